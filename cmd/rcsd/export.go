package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/export"
	"github.com/rcsd-dev/rcsd/core/export/parquet"
)

const exportHelp = `
Usage: rcsd export --target TARGET --config FILE [--data ITEMS.jsonl] --out DIR

Turn an rcsd config (the rubric, teacher template, loss, teacher weights
and sampling you tried here) into the files of a training run in the
framework you run on GPUs, and convert the items into its dataset.

Targets and what each gets in DIR:
  trl-sdft  TRL's self-distillation trainer (trl.experimental.sdft):
            sdft_config.yaml (distillation_mode, distillation_topk,
            distillation_alpha, distillation_add_tail, teacher_model_kind,
            teacher_prompt_template, ...) and train.jsonl rows
            {prompt: chat messages, privileged_context: the teacher's block}
  trl-gkd   TRL's GKDTrainer: gkd_config.yaml (beta, lmbda, temperature,
            max_new_tokens) and train.jsonl rows {messages, prompt,
            privileged_context}; GKD's teacher does not see the block
  verl      verl with lasgroup/SDPO's loss: verl_sdpo.yaml (Hydra, loss_mode
            sdpo, a self_distillation block), rcsd_feedback_reward.py and
            train.parquet rows {data_source, prompt, ability, reward_model,
            extra_info: rubric, reference_answer, privileged_context}
  tinker    tinker-cookbook: tinker_sdft.json (topk, temperature, demo_template,
            teacher_sync_every, ...), tinker_on_policy.json for the tinker
            estimator, and train.jsonl rows {id, question, golden_answer}

Every export writes NOTES.md: the mapping of every knob with its source,
and everything the target cannot express (RCSD's per-entry clip in TRL,
the teacher's top-k support where a trainer takes the student's, ...).
Those are also printed as warnings; none is dropped silently. A loss the
target cannot run at all (say, rllm's estimator) is an error and nothing
is written. Conventions are converted explicitly: rcsd's β is TRL's α and
GKD's beta (0 forward KL, 1 reverse), an EMA decay d is an update rate
1 − d.

Bad records are reported (file:line: ... $.path) and skipped; the rest
are exported. DIR is created; a non-empty DIR is refused unless --force
(then files of the same names are replaced). Each file is written to a
temporary name and renamed, so a file is complete or absent.

Examples:
  rcsd export --target trl-sdft --config examples/rcsd-train.yaml --data examples/science.jsonl --out run/trl
  rcsd export --target verl --config examples/rcsd-train.yaml --data examples/science.jsonl --out run/verl
  rcsd export --target tinker --config examples/rcsd-train.yaml --out run/tinker   # settings only
  rcsd export --target trl-gkd --config cfg.yaml --data items.jsonl --out run/gkd --format json

Exit codes: 0 exported (warnings allowed); 1 exported, but some records
were skipped; 2 usage error, a config with errors or a loss the target
cannot run; 3 a file could not be read or written.
`

func runExport(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", exportHelp, stderr)
	target := fs.String("target", "", "`target`: trl-sdft, trl-gkd, verl or tinker")
	cfgFile := fs.String("config", "", "the rcsd config `FILE` (YAML or JSON)")
	data := fs.String("data", "", "items `FILE` (JSONL, as rcsd eval reads them; responses not needed); without it only the settings are exported")
	out := fs.String("out", "", "output `DIR`")
	force := fs.Bool("force", false, "write into a non-empty --out, replacing files of the same names")
	format := fs.String("format", "text", "summary `format` on standard output: text or json (the files, mappings and diagnostics)")
	quiet := fs.Bool("q", false, "print errors only")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	switch {
	case len(rest) > 0:
		fmt.Fprintf(stderr, "rcsd export: unexpected argument %q (the items go in --data)\n", rest[0])
		return exitUsage
	case *target == "" || *cfgFile == "" || *out == "":
		fmt.Fprintln(stderr, "rcsd export: --target, --config and --out are required (rcsd export -h)")
		return exitUsage
	case *format != "text" && *format != "json":
		fmt.Fprintf(stderr, "rcsd export: --format %q: want text or json\n", *format)
		return exitUsage
	}
	if _, err := export.ParseTarget(*target); err != nil {
		fmt.Fprintf(stderr, "rcsd export: %v\n", err)
		return exitUsage
	}
	cfgText, err := os.ReadFile(*cfgFile)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd export: %v\n", err)
		return exitFailure
	}
	req := api.ExportRequest{Target: *target, Config: string(cfgText), ConfigFile: *cfgFile}
	if *data != "" {
		b, err := os.ReadFile(*data)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd export: %v\n", err)
			return exitFailure
		}
		req.Items, req.ItemsFile = string(b), *data
		// The rubric file the config names, relative to its folder.
		if c, _ := config.Parse(*cfgFile, cfgText); c != nil {
			if src := c.RubricSourceOf(); src.From == config.FromFile {
				p := src.File
				if !filepath.IsAbs(p) {
					p = filepath.Join(filepath.Dir(*cfgFile), p)
				}
				b, err := os.ReadFile(p)
				if err != nil {
					fmt.Fprintf(stderr, "rcsd export: the config's rubric file: %v\n", err)
					return exitFailure
				}
				req.Rubric, req.RubricFile = string(b), p
			}
		}
	}
	if code := checkOut(*out, *force, stderr); code != exitOK {
		return code
	}
	resp := api.Export(context.Background(), req)
	resp.Diagnostics.Sort()
	pr := diagPrinter{w: stderr, quiet: *quiet}
	pr.print(resp.Diagnostics)
	if resp.Diagnostics.HasErrors() && len(resp.Files) == 0 {
		fmt.Fprintf(stderr, "rcsd export: nothing exported to %s\n", *out)
		return exitUsage
	}
	files := resp.Files
	if len(resp.VerlRows) > 0 {
		b, err := parquet.Encode(resp.VerlRows)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd export: encoding %s: %v\n", export.VerlDataFile, err)
			return exitFailure
		}
		files = append(files, api.ExportFile{Name: export.VerlDataFile, Content: string(b)})
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "rcsd export: %v\n", err)
		return exitFailure
	}
	for _, f := range files {
		if err := writeAtomic(filepath.Join(*out, f.Name), []byte(f.Content)); err != nil {
			fmt.Fprintf(stderr, "rcsd export: %v\n", err)
			return exitFailure
		}
	}
	if *format == "json" {
		type summary struct {
			Target      string           `json:"target"`
			Out         string           `json:"out"`
			Files       []string         `json:"files"`
			Mappings    []export.Mapping `json:"mappings"`
			Diagnostics diag.List        `json:"diagnostics"`
			Records     int              `json:"records"`
			Rows        int              `json:"rows"`
			Skipped     int              `json:"skipped"`
			Engine      string           `json:"engine_version"`
		}
		s := summary{Target: resp.Target, Out: *out, Mappings: resp.Mappings, Diagnostics: resp.Diagnostics, Records: resp.Records, Rows: resp.Rows, Skipped: resp.Skipped, Engine: resp.EngineVersion}
		for _, f := range files {
			s.Files = append(s.Files, f.Name)
		}
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.Name
		}
		fmt.Fprintf(stdout, "%s: %s\n", *out, strings.Join(names, ", "))
	}
	unexpressed := 0
	for _, m := range resp.Mappings {
		if m.Status == export.Approximated || m.Status == export.Unmappable {
			unexpressed++
		}
	}
	if !*quiet {
		fmt.Fprintf(stderr, "%s: %d knob(s) not expressed exactly (see %s); %d record(s): %d row(s), %d skipped\n",
			*target, unexpressed, filepath.Join(*out, export.NotesFile), resp.Records, resp.Rows, resp.Skipped)
	}
	if resp.Skipped > 0 {
		return exitBadInput
	}
	return exitOK
}

// checkOut refuses a non-empty output folder unless force is set.
func checkOut(dir string, force bool, stderr io.Writer) int {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "rcsd export: --out: %v\n", err)
		return exitFailure
	case len(entries) > 0 && !force:
		fmt.Fprintf(stderr, "rcsd export: %s is not empty; pass --force to replace its files of the same names\n", dir)
		return exitUsage
	}
	return exitOK
}

// writeAtomic writes data to a temporary file next to path and renames
// it over path, so path is either complete or untouched.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
