package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/api"
)

func ExampleExport() {
	resp := api.Export(context.Background(), api.ExportRequest{
		Target:     "trl-sdft",
		ConfigFile: "train.yaml",
		Config:     "schema_version: 1\npreset: rcsd\n",
		Items:      `{"id": "q1", "prompt": "What is the capital of France?", "reference_answer": "Paris.", "rubric": [{"title": "Paris", "description": "Names Paris.", "weight": 5}]}` + "\n",
	})
	for _, f := range resp.Files {
		fmt.Println(f.Name)
	}
	for _, d := range resp.Diagnostics {
		fmt.Println(d)
	}
	// Output:
	// sdft_config.yaml
	// train.jsonl
	// NOTES.md
	// train.yaml:2:9: warning export-approximated: $.loss.support: trl-sdft approximates loss.support = teacher-topk with distillation_mode = "topk_logits": TRL's top-k support is the student's top k (torch.topk(student_logits)); no option takes the teacher's, so the entries summed over differ where the two disagree
	// train.yaml:2:9: warning export-approximated: $.loss.top_k: trl-sdft approximates loss.top_k = 20 with distillation_topk = 20: k of the student's top-k support (see loss.support)
	// train.yaml:2:9: warning export-unmappable: $.loss.clip_entry: trl-sdft cannot express loss.clip_entry = 0.05: no per-(token, vocabulary entry) cap of the divergence terms; TRL's distillation_is_clip caps the importance ratio of reused rollouts, a different thing (sampling.importance_clip)
}

// TestExportErrors: the config's own errors come first, located, and
// nothing is exported; a rubric file the config names must be given.
func TestExportErrors(t *testing.T) {
	tests := []struct {
		name string
		req  api.ExportRequest
		want []string
	}{
		{"unknown key and contradiction", api.ExportRequest{Target: "verl", ConfigFile: "c.yaml",
			Config: "schema_version: 1\nloss:\n  divergence: forward\n  estimator: sampled-token\nteacher: {mode: ema, ema_decy: 0.9}\n"}, []string{
			`c.yaml:3:15: error distill-estimator-divergence: $.loss.divergence: estimator "sampled-token" estimates reverse KL(S‖T) from the sampled token; divergence "forward" contradicts it (leave divergence out or set "reverse")`,
			`c.yaml:5:10: error missing-value: $.teacher: an ema teacher needs ema_decay (add ema_decay, e.g. 0.999 (OPSD))`,
			`c.yaml:5:32: error unknown-field: $.teacher.ema_decy: unknown field "ema_decy" (did you mean "ema_decay"?)`,
		}},
		{"bad target", api.ExportRequest{Target: "deepspeed", Config: "schema_version: 1\n"}, []string{
			`error export-inexpressible: unknown export target "deepspeed" (want trl-sdft, trl-gkd, verl, tinker)`,
		}},
		{"rubric file not given", api.ExportRequest{Target: "verl", ConfigFile: "c.yaml", Config: "schema_version: 1\nrubrics: {file: r.yaml}\n", Items: `{"prompt": "q"}`}, []string{
			`c.yaml: error missing-value: $.rubrics.file: the config's rubric file r.yaml was not given`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := api.Export(context.Background(), tt.req)
			var got []string
			for _, d := range resp.Diagnostics {
				got = append(got, d.String())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
			if len(resp.Files) != 0 {
				t.Errorf("files despite errors")
			}
		})
	}
}

// TestExportRubricFile: the host passes the config's rubric file; records
// without their own rubric use it, and verl rows come back for the host
// to encode.
func TestExportRubricFile(t *testing.T) {
	resp := api.Export(context.Background(), api.ExportRequest{Target: "verl", Config: "schema_version: 1\nrubrics: {file: r.yaml}\n",
		Rubric: "schema_version: 1\ncriteria:\n  - {id: a, description: Names Paris., weight: 5}\n  - {id: b, description: Names Berlin., weight: -1}\n", RubricFile: "r.yaml",
		Items: `{"id": "q1", "prompt": "Capital of France?", "reference_answer": "Paris."}` + "\n"})
	if resp.Rows != 1 || len(resp.VerlRows) != 1 {
		t.Fatalf("rows %d, %v", resp.Rows, resp.Diagnostics)
	}
	if r := resp.VerlRows[0].ExtraInfo.Rubric; !strings.Contains(r, `"Names Paris."`) || !strings.Contains(r, `"weight":-1`) {
		t.Errorf("rubric %s", r)
	}
}
