package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lab/world"
)

// Lab items (what cmd/internal/labgen writes) go through `rcsd validate`
// and `rcsd eval --judge rules` unchanged: no diagnostics, every
// criterion judged, each reference answer (given as a response) scores 1.
func TestLabItemsEval(t *testing.T) {
	ho, err := world.HeldOutTasks(world.Level(0))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := world.WriteItems(&buf, ho[:40], 3, 1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	items := writeFile(t, dir, "lab.jsonl", buf.String())
	if out, errs, code := rcsd(t, "", "validate", items); code != 0 || out != "" {
		t.Fatalf("rcsd validate: exit %d\n%s%s", code, out, errs)
	}
	// The references as responses, one record each.
	var refs strings.Builder
	for _, tk := range ho[:40] {
		b, _ := json.Marshal(map[string]any{"id": tk.ID, "prompt": tk.Prompt, "rubric": tk.Rubric, "response": tk.Reference})
		refs.Write(b)
		refs.WriteByte('\n')
	}
	refFile := writeFile(t, dir, "refs.jsonl", refs.String())
	for _, tc := range []struct {
		file    string
		records int
	}{{items, 120}, {refFile, 40}} {
		out, errs, code := rcsd(t, "", "eval", "--judge", "rules", "--no-progress", tc.file)
		if code != 0 {
			t.Fatalf("rcsd eval %s: exit %d\n%s", tc.file, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != tc.records {
			t.Fatalf("rcsd eval %s: %d records, want %d", tc.file, len(lines), tc.records)
		}
		for _, l := range lines {
			var r struct {
				ID       string   `json:"id"`
				Score    *float64 `json:"score"`
				Criteria []struct {
					ID  string `json:"id"`
					Met *bool  `json:"met"`
				} `json:"criteria"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			for _, c := range r.Criteria {
				if c.Met == nil {
					t.Fatalf("%s: criterion %s not judged", r.ID, c.ID)
				}
			}
			if r.Score == nil || tc.file == refFile && *r.Score != 1 {
				t.Fatalf("%s: score %v", r.ID, r.Score)
			}
		}
	}
}
