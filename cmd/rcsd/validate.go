package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/diag"
)

var errHelp = flag.ErrHelp

const validateHelp = `
Usage: rcsd validate [flags] FILE...

Check rubric files (YAML or JSON, in any importable format: the rcsd
format with schema_version, the RCSD / Rubrics-as-Rewards array,
HealthBench rows or rubrics, RubricHub aliases) and item files (JSONL, one
record per line, as 'rcsd eval' reads them) and rcsd config files
(schema_version, judge, scoring; see docs/cli.md). Every problem is reported at
once, one per line, in the form editors understand:

  rubric.yaml:12:5: error unknown-field: $.criteria[1].wieght: unknown field "wieght" (did you mean "weight"?)

Errors make the input unusable; warnings are lints (RCSD's generator rules:
3–25 criteria, at least one negative criterion, weights in [-2, 10];
duplicate or generic criteria; pitfall wording that contradicts the sign of
the weight). The codes are listed in docs/diagnostics.md.

Examples:
  rcsd validate examples/rubrics/photosynthesis.rar.json examples/eval-config.yaml
  rcsd validate --format json items.jsonl | jq .
  rcsd validate -q data/*.jsonl      # errors only
  rcsd validate --rubric examples/rubrics/answer-format.yaml examples/items-shared-rubric.jsonl

Exit codes: 0 no errors (warnings allowed; see --werror); 1 errors found;
2 usage error; 3 a file could not be read.
`

func runValidate(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", validateHelp, stderr)
	format := fs.String("format", "text", "output `format`: text (file:line:col: severity code: message) or json")
	kind := fs.String("kind", "", "treat every file as `kind` rubric, items or config (default: detect)")
	rubricFile := fs.String("rubric", "", "shared rubric `FILE` for items without their own, as rcsd eval --rubric reads it")
	quiet := fs.Bool("q", false, "print errors only")
	werror := fs.Bool("werror", false, "exit 1 on warnings too")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "rcsd validate: give one or more files (rcsd validate -h)")
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "rcsd validate: --format %q: want text or json\n", *format)
		return exitUsage
	}
	status := exitOK
	var shared []byte
	if *rubricFile != "" {
		b, err := os.ReadFile(*rubricFile)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd validate: %v\n", err)
			return exitFailure
		}
		shared = b
	}
	var all []api.ValidateResponse
	var nerr, nwarn int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd validate: %v\n", err)
			status = exitFailure
			continue
		}
		resp := api.Validate(api.ValidateRequest{File: f, Content: string(data), Kind: *kind, Rubric: string(shared), RubricFile: *rubricFile})
		resp.Diagnostics.Sort()
		nerr += resp.Errors
		nwarn += resp.Warnings
		if *quiet {
			kept := resp.Diagnostics[:0]
			for _, d := range resp.Diagnostics {
				if d.Severity == diag.Error {
					kept = append(kept, d)
				}
			}
			resp.Diagnostics = kept
		}
		if *format == "json" {
			resp.Rubric = nil
			all = append(all, resp)
			continue
		}
		for _, d := range resp.Diagnostics {
			fmt.Fprintln(stdout, d.String())
		}
	}
	if *format == "json" {
		b, _ := json.MarshalIndent(all, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else if !*quiet {
		fmt.Fprintf(stderr, "%d file(s): %d error(s), %d warning(s)\n", len(files), nerr, nwarn)
	}
	if status == exitOK && (nerr > 0 || (*werror && nwarn > 0)) {
		status = exitBadInput
	}
	return status
}
