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
	// The text itself is pinned by testdata/script/teacher.txtar.
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

// TestTeacherConfig: the prompt section and the preset's variant come
// from --config; a flag given on the command line wins.
func TestTeacherConfig(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "rcsd.yaml", "schema_version: 1\npreset: rgsd\nprompt:\n  chat: llama3\n")
	out, errOut, code := rcsd(t, "", "teacher", "--config", cfg, "../../examples/math.jsonl")
	if code != exitOK || !strings.Contains(out, "teacher (rgsd, llama3)") {
		t.Errorf("config: exit %d, stderr %q\n%.300s", code, errOut, out)
	}
	out, _, code = rcsd(t, "", "teacher", "--config", cfg, "--variant", "opsd", "../../examples/math.jsonl")
	if code != exitOK || !strings.Contains(out, "teacher (opsd, llama3)") {
		t.Errorf("flag over config: exit %d\n%.300s", code, out)
	}
	bad := writeFile(t, t.TempDir(), "bad.yaml", "schema_version: 1\nprompt:\n  chat: lama3\n")
	_, errOut, code = rcsd(t, "", "teacher", "--config", bad, "../../examples/math.jsonl")
	if code != exitUsage || !strings.Contains(errOut, `unknown chat template "lama3"`) {
		t.Errorf("bad config: exit %d, stderr %q", code, errOut)
	}
}
