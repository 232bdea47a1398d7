package main

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

func TestTeacherText(t *testing.T) {
	out, errOut, code := rcsd(t, "", "teacher", "--chat", "plain", "--variant", "rgsd", "../../examples/math.jsonl")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "teacher-rgsd-plain.golden", out)
	// The student never sees the rubric; every rubric line of the teacher
	// is marked as inserted.
	for _, block := range strings.Split(out, "━━ ")[1:] {
		if strings.Contains(block, ": student (") && strings.Contains(block, "(weight ") {
			t.Errorf("a student context holds the rubric:\n%s", block)
		}
		for _, line := range strings.Split(block, "\n") {
			if strings.Contains(line, "(weight ") && !strings.HasPrefix(line, "+ │") {
				t.Errorf("rubric line not marked as inserted: %q", line)
			}
		}
	}
}

func TestTeacherJSONFeedback(t *testing.T) {
	out, errOut, code := rcsd(t, "", "teacher", "--chat", "qwen3", "--variant", "feedback", "--format", "json", "../../examples/math.jsonl")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 12 { // 3 items × 4 responses: feedback is per response
		t.Fatalf("%d pairs, want 12", len(lines))
	}
	for i, l := range lines {
		var p struct {
			ID            string `json:"id"`
			ResponseIndex int    `json:"response_index"`
			Student       struct{ Text, Privileged string }
			Teacher       struct {
				Text, Privileged string
				Variant          string
			}
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		if p.ResponseIndex != i%4 || p.Teacher.Variant != "feedback" || p.Student.Privileged != "" || p.Teacher.Privileged == "" {
			t.Errorf("pair %d: %+v", i, p)
		}
		if !strings.HasPrefix(p.Teacher.Text, "<|im_start|>user\n") || strings.Contains(p.Student.Text, p.Teacher.Privileged) {
			t.Errorf("pair %d: teacher %q", i, p.Teacher.Text)
		}
	}
}

func TestTeacherUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"teacher", "../../examples/math.jsonl"}, exitUsage, "--chat is required"},
		{[]string{"teacher", "--chat", "qwen", "../../examples/math.jsonl"}, exitUsage, `--chat "qwen": want chatml, qwen3, llama3, plain (did you mean "qwen3"?)`},
		{[]string{"teacher", "--chat", "plain", "--variant", "rgds", "../../examples/math.jsonl"}, exitUsage, `(did you mean "rgsd"?)`},
		{[]string{"teacher", "--chat", "plain", "no-such-file.jsonl"}, exitFailure, "no such file"},
		{[]string{"teacher", "--chat", "plain", "--variant", "single-criterion", "--criterion", "nope", "../../examples/math.jsonl"}, exitBadInput, "nope"},
	}
	for _, tt := range tests {
		_, errOut, code := rcsd(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.err) {
			t.Errorf("rcsd %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.err)
		}
	}
}
