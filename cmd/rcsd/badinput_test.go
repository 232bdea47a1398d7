package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

// The records the bad-input table wraps each bad line in: two good
// records, g1 before and g3 after, judged from their labels.
const (
	biRubric = `"rubric":[{"id":"c1","description":"Names Rayleigh scattering","weight":2},{"id":"c2","description":"Says the sky reflects the sea","weight":-1}]`
	biPrefix = `{"id":"b","prompt":"p",` + biRubric // 168 bytes: the columns below count from its end
)

func biGood(id string) string {
	return `{"id":"` + id + `","prompt":"Why is the sky blue?",` + biRubric + `,"response":"Rayleigh scattering.","labels":[true,false]}`
}

// outRecord is the part of an output record the table checks.
type outRecord struct {
	ID    string `json:"id"`
	Index int    `json:"response_index"`
}

// completeRecords checks that out is a sequence of complete JSON lines,
// each an rcsd record, and returns "id/index" for each.
func completeRecords(t *testing.T, out string) []string {
	t.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("the output does not end with a newline: %q", out[max(0, len(out)-80):])
	}
	var got []string
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var r outRecord
		if !json.Valid([]byte(line)) || json.Unmarshal([]byte(line), &r) != nil || r.ID == "" {
			t.Errorf("output line %d is not a complete record: %q", i+1, line)
			continue
		}
		got = append(got, fmt.Sprintf("%s/%d", r.ID, r.Index))
	}
	return got
}

// diagLines keeps the stderr lines that are diagnostics about file (the
// summary table and the progress bar are left out), with file's
// directory removed so expectations read "items.jsonl:2:7: ...".
func diagLines(stderr, file string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, file+":") || strings.HasPrefix(l, "rcsd eval: stopping at "+file) {
			out = append(out, strings.ReplaceAll(l, filepath.Dir(file)+string(filepath.Separator), ""))
		}
	}
	return out
}

func TestEvalBadInput(t *testing.T) {
	g1, g3 := biGood("g1"), biGood("g3")
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	huge := biPrefix + `,"response":"` + strings.Repeat("x", 3<<20) + `"}` // beyond the reader's 1 MiB buffer
	tests := []struct {
		name  string
		input string // the whole file; most cases are g1, one bad line, g3
		args  []string
		code  int
		diags []string // stderr diagnostics, whole
		out   []string // the records written, in order
	}{
		// Wrong types.
		{name: "id is an object", input: g1 + "\n" + `{"id":{"a":1},"prompt":"p",` + biRubric + `,"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:7: error bad-id: $.id: expected a string or an integer id, got an object`}},
		{name: "id is a fraction", input: g1 + "\n" + `{"id":1.5,"prompt":"p",` + biRubric + `,"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:7: error bad-id: $.id: expected a string or an integer id, got a number`}},
		{name: "id is empty", input: g1 + "\n" + `{"id":"","prompt":"p",` + biRubric + `,"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:7: error bad-id: $.id: the id is an empty string`}},
		{name: "responses is a string of numbers", input: g1 + "\n" + biPrefix + `,"responses":"1, 2, 3"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:182: error wrong-type: $.responses: expected a list of strings, got a string`}},
		{name: "responses holds a number", input: g1 + "\n" + biPrefix + `,"responses":["a",2]}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:187: error wrong-type: $.responses[1]: expected a string, got a number`}},
		{name: "response is a number", input: g1 + "\n" + biPrefix + `,"response":42}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:181: error wrong-type: $.response: expected a string, got a number`}},
		{name: "labels is a string", input: g1 + "\n" + biPrefix + `,"response":"x","labels":"yes"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:194: error wrong-type: $.labels: labels must be a list aligned with the criteria or an object keyed by criterion id, got a string`}},
		{name: "a label is a string", input: g1 + "\n" + biPrefix + `,"response":"x","labels":[true,"no"]}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:200: error wrong-type: $.labels[1]: a label must be true, false or null, got a string`}},
		{name: "prompt is a number", input: g1 + "\n" + `{"id":"b","prompt":5,` + biRubric + `,"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:20: error wrong-type: $.prompt: expected a string or a list of chat messages, got a number`}},
		{name: "message without role", input: g1 + "\n" + `{"id":"b","prompt":[{"content":"hi"}],` + biRubric + `,"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:21: error missing-field: $.prompt[0]: the message has no "role"`}},
		// Labels misaligned with the criteria or responses.
		{name: "fewer labels than criteria", input: g1 + "\n" + biPrefix + `,"response":"x","labels":[true]}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:194: error label-count: $.labels: 1 labels for 2 criteria`}},
		{name: "fewer label sets than responses", input: g1 + "\n" + biPrefix + `,"responses":["x","y"],"labels":[[true,false]]}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:201: error label-count: $.labels: 1 label sets for 2 responses`}},
		{name: "label for an unknown criterion", input: g1 + "\n" + biPrefix + `,"response":"x","labels":{"c3":true}}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:200: error unknown-criterion: $.labels["c3"]: no criterion has the id "c3" (did you mean "c1"?)`}},
		// Missing or doubled fields.
		{name: "no response", input: g1 + "\n" + biPrefix + "}\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:1: error missing-response: $: the record has no response to judge (add "response" (text) or "responses" (a list))`}},
		{name: "misspelt response", input: g1 + "\n" + biPrefix + `,"respones":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:1: error missing-response: $: the record has no response to judge (found "respones": did you mean "response"?)`}},
		{name: "empty responses", input: g1 + "\n" + biPrefix + `,"responses":[]}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:182: error empty-responses: $.responses: "responses" is an empty list`}},
		{name: "response and responses", input: g1 + "\n" + biPrefix + `,"response":"x","responses":["y"]}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:197: error ambiguous-response: $.responses: the record has both "response" and "responses"`}},
		{name: "no rubric and no --rubric", input: g1 + "\n" + `{"id":"b","prompt":"p","response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:1: error missing-rubric: $: the record has no rubric (add "rubric" (any importable format) or "rubrics" (HealthBench), or pass --rubric FILE)`}},
		{name: "rubric and rubrics", input: g1 + "\n" + biPrefix + `,"rubrics":[{"criterion":"x","points":1,"tags":[]}],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:180: error ambiguous-rubric: $.rubrics: the record has both "rubric" and "rubrics"`}},
		// Bad rubrics.
		{name: "empty rubric", input: g1 + "\n" + `{"id":"b","prompt":"p","rubric":[],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:33: error empty-rubric: $.rubric: the rubric has no criteria (add at least one criterion)`}},
		{name: "rubric with an unknown field", input: g1 + "\n" + `{"id":"b","prompt":"p","rubric":[{"description":"x","wieght":1}],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:62: error unknown-field: $.rubric[0].wieght: unknown field "wieght" in a criterion (did you mean "weight"?)`}},
		{name: "HealthBench points as a string", input: g1 + "\n" + `{"prompt_id":"b","prompt":[{"role":"user","content":"p"}],"rubrics":[{"criterion":"x","points":"5","tags":[]}],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{
				`items.jsonl:2:96: error wrong-type: $.rubrics[0].points: must be a number, not a string`,
			}},
		{name: "weight out of float64 range", input: g1 + "\n" + `{"id":"b","prompt":"p","rubric":[{"description":"x","weight":1e999}],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:62: error number-out-of-range: $.rubric[0].weight: number 1e999 is out of range (weights must be finite float64 values)`}},
		// Broken JSON.
		{name: "truncated JSON", input: g1 + "\n" + biPrefix + `,"resp` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:174: error bad-json: invalid JSON: unexpected end of JSON input`}},
		{name: "NaN", input: g1 + "\n" + `{"id":"b","prompt":"p","rubric":[{"description":"x","weight":NaN}],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:62: error bad-json: invalid JSON: invalid character 'N' looking for beginning of value`}},
		{name: "Infinity", input: g1 + "\n" + `{"id":"b","prompt":"p","rubric":[{"description":"x","weight":-Infinity}],"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:63: error bad-json: invalid JSON: invalid character 'I' in numeric literal`}},
		{name: "nested too deep", input: g1 + "\n" + biPrefix + `,"response":"x","extra":` + deep + "}\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:10192: error bad-json: invalid JSON: invalid character '[' exceeded max depth`}},
		{name: "not an object", input: g1 + "\n" + `["b","x"]` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:1: error not-object: $: a record must be one JSON object per line`}},
		{name: "trailing data", input: g1 + "\n" + biPrefix + `,"response":"x"} {}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:186: error bad-json: invalid JSON: invalid character '{' after top-level value`}},
		{name: "invalid UTF-8", input: g1 + "\n" + `{"id":"b","prompt":"caf` + "\xe9" + `",` + biRubric + `,"response":"x"}` + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2:24: error invalid-utf8: the record is not valid UTF-8 (re-encode the file as UTF-8)`}},
		// Run-level problems.
		{name: "huge record over --max-record-bytes", input: g1 + "\n" + huge + "\n" + g3 + "\n", args: []string{"--max-record-bytes", "1048576"}, code: 1,
			diags: []string{`items.jsonl:2: error line-too-long: the record is longer than 1048576 bytes (--max-record-bytes) and was skipped`}},
		{name: "duplicate id", input: g1 + "\n" + g1 + "\n" + g3 + "\n", code: 1,
			diags: []string{`items.jsonl:2: error duplicate-id: $.id: the id "g1" was already used by an earlier record; this record is skipped (ids must be unique so results can be joined and resumed)`}},
		{name: "line numbers count blank lines and CRLF", input: g1 + "\r\n\r\n" + `{"id":{"a":1},"prompt":"p",` + biRubric + `,"response":"x"}` + "\r\n" + g3 + "\r\n", code: 1,
			diags: []string{`items.jsonl:3:7: error bad-id: $.id: expected a string or an integer id, got an object`}},
		// Accepted input.
		{name: "blank and white-space lines", input: "\n" + g1 + "\n \t\n\r\n\n" + g3 + "\n\n", code: 0},
		{name: "CRLF line endings", input: g1 + "\r\n" + g3 + "\r\n", code: 0},
		{name: "byte order mark", input: "\xef\xbb\xbf" + g1 + "\n" + g3 + "\n", code: 0},
		{name: "no final newline", input: g1 + "\n" + g3, code: 0},
		{name: "no prompt (optional)", input: g1 + "\n" + `{"id":"b",` + biRubric + `,"response":"x","labels":[true,null]}` + "\n" + g3 + "\n", code: 0,
			out: []string{"g1/0", "b/0", "g3/0"}},
		{name: "no id: warning, named line-N", input: g1 + "\n" + `{"prompt":"p",` + biRubric + `,"response":"x","labels":[false,false]}` + "\n" + g3 + "\n", code: 0,
			diags: []string{`items.jsonl:2:1: warning missing-id: $: the record has no "id" (or "prompt_id"); using "line-2" (give every record a stable id so --resume and merge can rely on it)`},
			out:   []string{"g1/0", "line-2/0", "g3/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeFile(t, t.TempDir(), "items.jsonl", tt.input)
			wantOut := tt.out
			if wantOut == nil {
				wantOut = []string{"g1/0", "g3/0"}
			}

			args := append([]string{"eval", "--no-progress", "--judge", "labels"}, tt.args...)
			stdout, stderr, code := rcsd(t, "", append(args, file)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if got := diagLines(stderr, file); !cmp.Equal(tt.diags, got) {
				t.Errorf("diagnostics (-want +got):\n%s\ngot, whole:\n%s", cmp.Diff(tt.diags, got), strings.Join(got, "\n"))
			}
			if d := cmp.Diff(wantOut, completeRecords(t, stdout)); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
			if tt.code == 1 && !strings.Contains(stderr, "skipped: 1 record(s) with errors") {
				t.Errorf("no skipped count in the summary:\n%s", stderr)
			}

			// --strict stops at the bad record: only g1 is written.
			if tt.code != 1 {
				return
			}
			stdout, stderr, code = rcsd(t, "", append(append(args, "--strict", "-q"), file)...)
			if code != exitBadInput {
				t.Errorf("--strict: exit %d, want 1", code)
			}
			line := strings.Split(tt.diags[0], ":")[1]
			wantStrict := append(append([]string(nil), tt.diags...), "rcsd eval: stopping at items.jsonl:"+line+" (--strict)")
			if d := cmp.Diff(wantStrict, diagLines(stderr, file)); d != "" {
				t.Errorf("--strict diagnostics (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{"g1/0"}, completeRecords(t, stdout)); d != "" {
				t.Errorf("--strict records (-want +got):\n%s", d)
			}
		})
	}
}

// TestEvalMaxRecordBytesBoundary: a record of exactly N bytes is read, one
// of N+1 bytes is skipped, whatever its line ending.
func TestEvalMaxRecordBytesBoundary(t *testing.T) {
	rec := biGood("g1")
	n := len(rec)
	for _, end := range []string{"\n", "\r\n", ""} {
		for _, tc := range []struct {
			max  int
			code int
		}{{n, 0}, {n + 1, 0}, {n - 1, 1}, {n - 2, 1}} {
			t.Run(fmt.Sprintf("%q/max=len%+d", end, tc.max-n), func(t *testing.T) {
				out, errOut, code := rcsd(t, rec+end, "eval", "-q", "--judge", "labels", "--max-record-bytes", fmt.Sprint(tc.max), "-")
				if code != tc.code {
					t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
				}
				if tc.code == 1 {
					want := fmt.Sprintf("<stdin>:1: error line-too-long: the record is longer than %d bytes (--max-record-bytes) and was skipped\n", tc.max)
					if errOut != want || out != "" {
						t.Errorf("stderr %q, stdout %q; want stderr %q and no output", errOut, out, want)
					}
				}
			})
		}
	}
}

// TestEvalStdoutIsJSONL checks that every record of a larger mixed run
// is one complete JSON line: bad records in between never leave a
// fragment behind.
func TestEvalStdoutIsJSONL(t *testing.T) {
	var in bytes.Buffer
	var want []string
	for i := 0; i < 600; i++ {
		switch i % 7 {
		case 3:
			in.WriteString(biPrefix + `,"resp` + "\n") // truncated
		case 5:
			in.WriteString(`{"id":"x` + fmt.Sprint(i) + `","prompt":"p","response":"x"}` + "\n") // no rubric
		default:
			id := fmt.Sprintf("g%d", i)
			in.WriteString(`{"id":"` + id + `",` + biRubric + `,"responses":["a","b"],"labels":[[true,false],[false,true]]}` + "\n")
			want = append(want, id+"/0", id+"/1")
		}
	}
	out, _, code := rcsd(t, in.String(), "eval", "-q", "--judge", "labels", "--concurrency", "4", "-")
	if code != exitBadInput {
		t.Errorf("exit %d, want 1", code)
	}
	if d := cmp.Diff(want, completeRecords(t, out)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
}
