package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/prompt"
)

// applyConfig reads --config and copies each of its settings into o
// unless the matching flag was given on the command line. Relative paths
// in the file are relative to the file's folder, so a config works from
// any working directory.
func applyConfig(fs *flag.FlagSet, o *evalOptions, stderr io.Writer) int {
	data, err := os.ReadFile(o.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd eval: %v\n", err)
		return exitFailure
	}
	c, dl := config.Parse(o.configFile, data)
	for _, d := range dl {
		fmt.Fprintln(stderr, d.String())
	}
	if c == nil {
		fmt.Fprintf(stderr, "rcsd eval: the config %s has errors\n", o.configFile)
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	dir := filepath.Dir(o.configFile)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	str := func(name string, dst *string, v string) {
		if v != "" && !set[name] {
			*dst = v
		}
	}
	str("rubric", &o.rubricFile, rel(c.Rubric))
	str("judge", &o.judge, string(c.Judge.Kind))
	str("judge-url", &o.judgeURL, c.Judge.URL)
	str("judge-model", &o.judgeModel, c.Judge.Model)
	str("judge-mode", &o.judgeMode, c.Judge.Mode)
	str("judge-cache", &o.judgeCache, rel(c.Judge.Cache))
	str("scoring", &o.scoring, string(c.Scoring.Rule))
	str("grpo", &o.grpo, c.Scoring.GRPO)
	if c.Judge.Timeout > 0 && !set["judge-timeout"] {
		o.judgeTimeout = time.Duration(c.Judge.Timeout)
	}
	if c.Judge.Retries != nil && !set["judge-retries"] {
		o.judgeRetries = *c.Judge.Retries
	}
	if c.Scoring.Seed != nil && !set["seed"] {
		o.seed = uint(*c.Scoring.Seed)
	}
	if c.Scoring.Bootstrap != nil && !set["bootstrap"] {
		o.bootstrap = *c.Scoring.Bootstrap
	}
	if c.Concurrency > 0 && !set["concurrency"] {
		o.concurrency = c.Concurrency
	}
	return exitOK
}

// applyPromptConfig fills o from the prompt section (and preset) of the
// config file at path, for every field whose flag was not given; a flag
// given on the command line wins. It returns an exit code.
func applyPromptConfig(path string, fs *flag.FlagSet, o *prompt.Options, cmd string, stderr io.Writer) int {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd %s: %v\n", cmd, err)
		return exitFailure
	}
	c, dl := config.Parse(path, data)
	for _, d := range dl {
		fmt.Fprintln(stderr, d.String())
	}
	if c == nil {
		fmt.Fprintf(stderr, "rcsd %s: the config %s has errors\n", cmd, path)
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	p := c.PromptOptions()
	if !set["variant"] && p.Variant != "" {
		o.Variant = p.Variant
	}
	if !set["chat"] && p.Chat != "" {
		o.Chat = p.Chat
	}
	if !set["thinking"] && p.Thinking {
		o.Thinking = true
	}
	if !set["reason-first"] && p.ReasonFirst {
		o.ReasonFirst = true
	}
	if !set["criterion"] && p.Criterion != "" {
		o.Criterion = p.Criterion
	}
	if !set["template"] && p.Custom != "" {
		o.Custom = p.Custom
	}
	return exitOK
}
