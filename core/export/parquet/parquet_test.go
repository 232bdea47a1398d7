package parquet_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	pq "github.com/parquet-go/parquet-go"

	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/export"
	"github.com/rcsd-dev/rcsd/core/export/parquet"
)

// TestRoundTrip writes verl rows and reads them back through parquet-go,
// and checks the columns verl's RLHFDataset reads.
func TestRoundTrip(t *testing.T) {
	rows := export.VerlRows([]export.Row{
		{ID: "q1", Prompt: []eval.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Why is the sky blue?"}},
			Privileged: "Reference Answer:\nRayleigh.\n\nRubric (JSON array):\n[]", Reference: "Rayleigh.", Rubric: `[{"title": "R", "description": "Mentions Rayleigh.", "weight": 4}]`},
		{ID: "q2", Prompt: []eval.Message{{Role: "user", Content: "2+2? ünïcode ✓"}}, Privileged: "Rubric:\n1. (weight 1) Says 4."},
	})
	data, err := parquet.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parquet.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rows, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	want := export.VerlRow{DataSource: "rcsd", Ability: "rubric",
		Prompt:      []export.VerlMessage{{Role: "user", Content: "2+2? ünïcode ✓"}},
		RewardModel: export.VerlReward{Style: "rule", GroundTruth: ""},
		ExtraInfo:   export.VerlExtra{Split: "train", Index: 1, ID: "q2", PrivilegedContext: "Rubric:\n1. (weight 1) Says 4."}}
	if d := cmp.Diff(want, got[1]); d != "" {
		t.Errorf("row 1 (-want +got):\n%s", d)
	}
	// The schema verl's gsm8k preprocessing writes: prompt is a LIST of
	// {role, content}, reward_model and extra_info are groups.
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, p := range f.Schema().Columns() {
		cols = append(cols, joinPath(p))
	}
	wantCols := []string{"data_source", "prompt.list.element.role", "prompt.list.element.content", "ability",
		"reward_model.style", "reward_model.ground_truth", "extra_info.split", "extra_info.index", "extra_info.id",
		"extra_info.rubric", "extra_info.reference_answer", "extra_info.privileged_context"}
	if d := cmp.Diff(wantCols, cols); d != "" {
		t.Errorf("columns (-want +got):\n%s", d)
	}
	if f.NumRows() != 2 {
		t.Errorf("%d rows", f.NumRows())
	}
}

func joinPath(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += "."
		}
		s += x
	}
	return s
}

func TestEmpty(t *testing.T) {
	data, err := parquet.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parquet.Decode(data)
	if err != nil || len(got) != 0 {
		t.Errorf("%v %v", got, err)
	}
}
