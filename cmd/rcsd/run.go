package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/rcsd-dev/rcsd/core/api"
)

// Exit codes, documented in docs/cli.md.
const (
	exitOK          = 0   // everything was evaluated / valid
	exitBadInput    = 1   // diagnostics with errors, or records skipped
	exitUsage       = 2   // bad flags or configuration
	exitFailure     = 3   // I/O or internal failure
	exitIncomplete  = 4   // eval: some criteria could not be judged; rerun with --resume
	exitInterrupted = 130 // stopped by a signal; rerun with --resume
)

type command struct {
	name, summary string
	run           func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"validate", "check rubric files and item files; report every problem with its position", runValidate},
		{"eval", "judge and score responses against rubrics, in batch (JSONL in, JSONL out)", runEval},
		{"merge", "join the outputs of a sharded eval run and summarise them", runMerge},
		{"teacher", "print the student's and the teacher's contexts for items, checked to differ only in the privileged block", runTeacher},
		{"logprobs", "score responses under both contexts with a model (demo, vLLM, SGLang) and write traces", runLogprobs},
		{"loss", "compute the token-level conditioned loss of traces, with per-token divergence and advantage", runLoss},
		{"export", "turn a config and items into a TRL, verl or tinker-cookbook training run, listing what the target cannot express", runExport},
		{"serve", "serve the playground and the JSON API on this machine (the Worker's handler)", runServe},
		{"version", "print the engine version", func(_ []string, _ io.Reader, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, api.EngineVersion)
			return exitOK
		}},
	}
}

const usageText = `rcsd: rubric-conditioned self-distillation toolkit

In RCSD one model is both student (it sees the question) and teacher (it
also sees the rubric and re-scores the student's tokens). rcsd prepares and
checks what that needs: rubrics, per-criterion judgments and scores, the
two contexts, the models' log-probs and the token-level conditioned loss.

Usage:
  rcsd <command> [flags] [files]

Commands:
%s
Run 'rcsd help <command>' (or 'rcsd <command> -h') for a command's flags
and examples. Formats: docs/rubric-format.md, docs/cli.md.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run([]string{"-h"}, stdin, stdout, stdout)
				}
			}
			fmt.Fprintf(stderr, "rcsd: no command %q\n", args[1])
			return exitUsage
		}
		printUsage(stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	var names []string
	for _, c := range commands() {
		if c.name == name {
			return c.run(args[1:], stdin, stdout, stderr)
		}
		names = append(names, c.name)
	}
	fmt.Fprintf(stderr, "rcsd: unknown command %q", name)
	if s := suggest(name, names); s != "" {
		fmt.Fprintf(stderr, " (did you mean %q?)", s)
	}
	fmt.Fprintln(stderr, "\nRun 'rcsd help' for the list of commands.")
	return exitUsage
}

func printUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, usageText, b.String())
}
