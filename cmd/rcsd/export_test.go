package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/export/parquet"
)

func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// TestExportTargets exports the example training config and the science
// items to every target: the files, the summary and the warnings are
// golden; verl's Parquet file reads back.
func TestExportTargets(t *testing.T) {
	tests := []struct {
		target string
		files  []string
	}{
		{"trl-sdft", []string{"NOTES.md", "sdft_config.yaml", "train.jsonl"}},
		{"trl-gkd", []string{"NOTES.md", "gkd_config.yaml", "train.jsonl"}},
		{"verl", []string{"NOTES.md", "rcsd_feedback_reward.py", "train.parquet", "verl_sdpo.yaml"}},
		{"tinker", []string{"NOTES.md", "tinker_sdft.json", "train.jsonl"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			stdout, stderr, code := rcsd(t, "", "export", "--target", tt.target, "--config", "../../examples/rcsd-train.yaml",
				"--data", "../../examples/science.jsonl", "--out", out)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if d := cmp.Diff(tt.files, dirFiles(t, out)); d != "" {
				t.Errorf("files (-want +got):\n%s", d)
			}
			golden(t, "export/"+tt.target+".txt", strings.ReplaceAll(stdout+stderr, out, "OUT"))
			notes, _ := os.ReadFile(filepath.Join(out, "NOTES.md"))
			if !strings.Contains(string(notes), "`loss.clip_entry` = 0.05") {
				t.Errorf("NOTES.md does not list RCSD's per-entry clip")
			}
			if tt.target == "verl" {
				data, err := os.ReadFile(filepath.Join(out, "train.parquet"))
				if err != nil {
					t.Fatal(err)
				}
				rows, err := parquet.Decode(data)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range rows {
					ids = append(ids, r.ExtraInfo.ID)
					if !strings.HasPrefix(r.ExtraInfo.PrivilegedContext, "Reference Answer:\n") || r.Prompt[len(r.Prompt)-1].Role != "user" || r.RewardModel.GroundTruth == "" {
						t.Errorf("row %+v", r)
					}
				}
				if d := cmp.Diff([]string{"sci-rayleigh-sky", "sci-methane-combustion-enthalpy", "sci-michaelis-menten"}, ids); d != "" {
					t.Errorf("ids (-want +got):\n%s", d)
				}
			}
		})
	}
}

// TestExportOut: a non-empty --out is refused without --force; with it,
// the files are replaced and no temporary file is left.
func TestExportOut(t *testing.T) {
	out := t.TempDir()
	writeFile(t, out, "keep.txt", "mine")
	args := []string{"export", "--target", "trl-sdft", "--config", "../../examples/rcsd-train.yaml", "--out", out}
	_, stderr, code := rcsd(t, "", args...)
	if code != exitUsage || !strings.Contains(stderr, "is not empty; pass --force") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, stderr, code = rcsd(t, "", append(args, "--force")...); code != exitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if _, stderr, code = rcsd(t, "", append(args, "--force")...); code != exitOK {
		t.Fatalf("--force again: exit %d: %s", code, stderr)
	}
	if d := cmp.Diff([]string{"NOTES.md", "keep.txt", "sdft_config.yaml"}, dirFiles(t, out)); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
}

// TestExportBadInput: bad records are reported with file:line and path
// and skipped (exit 1, counted); a config with errors or a loss the target
// cannot run exports nothing (exit 2).
func TestExportBadInput(t *testing.T) {
	dir := t.TempDir()
	items := writeFile(t, dir, "items.jsonl", `{"id": "ok", "prompt": "Q?", "reference_answer": "A.", "rubric": [{"title": "T", "description": "D.", "weight": 1}]}
{"id": "bad", "prompt": "Q?", "rubric": [{"title": "T", "description": "D.", "weight": "heavy"}]}
not json
`)
	out := filepath.Join(dir, "out")
	_, stderr, code := rcsd(t, "", "export", "--target", "trl-sdft", "--config", "../../examples/rcsd-train.yaml", "--data", items, "--out", out, "-q")
	if code != exitBadInput {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{
		items + `:2:88: error wrong-type: $.rubric[0].weight: must be a number, not a string`,
		items + `:3:1: error not-object: $: a record must be one JSON object per line`,
	}
	if d := cmp.Diff(want, strings.Split(strings.TrimSpace(stderr), "\n")); d != "" {
		t.Errorf("stderr (-want +got):\n%s", d)
	}
	train, _ := os.ReadFile(filepath.Join(out, "train.jsonl"))
	if n := strings.Count(string(train), "\n"); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}

	cfg := writeFile(t, dir, "bad.yaml", "schema_version: 1\nloss:\n  divergence: forward\n  estimator: sampled-token\n")
	_, stderr, code = rcsd(t, "", "export", "--target", "verl", "--config", cfg, "--out", filepath.Join(dir, "none"))
	if code != exitUsage || !strings.Contains(stderr, cfg+`:3:15: error distill-estimator-divergence: $.loss.divergence`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	cfg = writeFile(t, dir, "rllm.yaml", "schema_version: 1\nloss: {estimator: rllm}\n")
	_, stderr, code = rcsd(t, "", "export", "--target", "tinker", "--config", cfg, "--out", filepath.Join(dir, "none"))
	if code != exitUsage || !strings.Contains(stderr, "error export-inexpressible: $.loss.estimator") || !strings.Contains(stderr, "nothing exported") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "none")); !os.IsNotExist(err) {
		t.Errorf("an --out was created despite the errors")
	}
	_, stderr, code = rcsd(t, "", "export", "--target", "verll", "--config", cfg, "--out", out)
	if code != exitUsage || !strings.Contains(stderr, `did you mean "verl"?`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestExportHelp(t *testing.T) {
	out, _, code := rcsd(t, "", "help", "export")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"trl-sdft", "trl-gkd", "verl", "tinker", "NOTES.md", "Examples:", "--force", "distillation_alpha", "train.parquet"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %q", s)
		}
	}
}
