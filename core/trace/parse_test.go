package trace

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/lm"
)

// Two positions of a well-formed trace: the student's top list holds its
// sampled token, the teacher's lists it second.
const (
	sOK = `"student":[{"token_id":5,"token":"Hi","logprob":-0.25,"top":[{"token_id":5,"token":"Hi","logprob":-0.25},{"token_id":9,"token":"Yo","logprob":-1.75}]},{"token_id":2,"logprob":-0.5}]`
	tOK = `"teacher":[{"token_id":5,"logprob":-0.75,"top":[{"token_id":9,"logprob":-1},{"token_id":5,"logprob":-0.75}]},{"token_id":2,"logprob":-0.125}]`
)

func rec(fields ...string) string { return "{" + strings.Join(fields, ",") + "}" }

// diagStrings renders diagnostics as compilers do, with the record id.
func diagStrings(l diag.List) []string {
	var out []string
	for _, d := range l {
		s := d.String()
		if d.Record != "" {
			s += " [" + d.Record + "]"
		}
		if d.Criterion != "" {
			s += " {" + d.Criterion + "}"
		}
		out = append(out, s)
	}
	return out
}

func TestParseValid(t *testing.T) {
	te := 9
	tests := []struct {
		name  string
		line  string
		want  *Trace
		diags []string
	}{{
		name: "minimal",
		line: rec(`"id":"r1"`, sOK, tOK),
		want: &Trace{ID: "r1", File: "t.jsonl", Line: 7,
			Student: []lm.Position{
				{TokenID: 5, Token: "Hi", LogProb: -0.25, Top: []lm.Alt{{TokenID: 5, Token: "Hi", LogProb: -0.25}, {TokenID: 9, Token: "Yo", LogProb: -1.75}}},
				{TokenID: 2, LogProb: -0.5}},
			Teacher: []lm.Position{
				{TokenID: 5, LogProb: -0.75, Top: []lm.Alt{{TokenID: 9, LogProb: -1}, {TokenID: 5, LogProb: -0.75}}},
				{TokenID: 2, LogProb: -0.125}}},
	}, {
		name: "every optional field, ids as strings and integers, rounding of 0",
		line: rec(`"schema_version":1`, `"id":42`, `"student":[{"token_id":"9","logprob":5e-7},{"token_id":2,"logprob":-1,"top":[]}]`,
			`"teacher":[{"token_id":9,"logprob":-0.5,"top":null},{"token_id":2,"logprob":-2,"token":null}]`,
			`"criteria":{"c1":[{"token_id":9,"logprob":-0.25},{"token_id":2,"logprob":-3}]}`,
			`"think_end_token":9`, `"mask":[false,true]`, `"meta":{"model":"m","n":[1,2]}`),
		want: &Trace{ID: "42", File: "t.jsonl", Line: 7,
			Student:       []lm.Position{{TokenID: 9, LogProb: 0}, {TokenID: 2, LogProb: -1}},
			Teacher:       []lm.Position{{TokenID: 9, LogProb: -0.5}, {TokenID: 2, LogProb: -2}},
			Criteria:      map[string][]lm.Position{"c1": {{TokenID: 9, LogProb: -0.25}, {TokenID: 2, LogProb: -3}}},
			ThinkEndToken: &te, Mask: []bool{false, true}, Meta: []byte(`{"model":"m","n":[1,2]}`)},
	}, {
		name: "top list without the sampled token is allowed",
		line: rec(`"id":"r2"`, `"student":[{"token_id":3,"logprob":-4,"top":[{"token_id":1,"logprob":-0.1}]}]`, `"teacher":[{"token_id":3,"logprob":-5}]`),
		want: &Trace{ID: "r2", File: "t.jsonl", Line: 7,
			Student: []lm.Position{{TokenID: 3, LogProb: -4, Top: []lm.Alt{{TokenID: 1, LogProb: -0.1}}}},
			Teacher: []lm.Position{{TokenID: 3, LogProb: -5}}},
	}, {
		name: "missing id is a warning",
		line: rec(sOK, tOK),
		want: &Trace{ID: "line-7", File: "t.jsonl", Line: 7,
			Student: []lm.Position{
				{TokenID: 5, Token: "Hi", LogProb: -0.25, Top: []lm.Alt{{TokenID: 5, Token: "Hi", LogProb: -0.25}, {TokenID: 9, Token: "Yo", LogProb: -1.75}}},
				{TokenID: 2, LogProb: -0.5}},
			Teacher: []lm.Position{
				{TokenID: 5, LogProb: -0.75, Top: []lm.Alt{{TokenID: 9, LogProb: -1}, {TokenID: 5, LogProb: -0.75}}},
				{TokenID: 2, LogProb: -0.125}}},
		diags: []string{`t.jsonl:7:1: warning trace-missing-id: $: the trace has no "id"; using "line-7" (give every trace the id of its item so results can be joined back) [line-7]`},
	}, {
		name: "think_end_token that never occurs is a warning",
		line: rec(`"id":"r3"`, `"student":[{"token_id":3,"logprob":-4}]`, `"teacher":[{"token_id":3,"logprob":-5}]`, `"think_end_token":151668`),
		want: func() *Trace {
			n := 151668
			return &Trace{ID: "r3", File: "t.jsonl", Line: 7, ThinkEndToken: &n,
				Student: []lm.Position{{TokenID: 3, LogProb: -4}}, Teacher: []lm.Position{{TokenID: 3, LogProb: -5}}}
		}(),
		diags: []string{`t.jsonl:7:110: warning trace-think-end-absent: $.think_end_token: think_end_token 151668 never occurs in the completion: with mask_thinking this trace is dropped (check the id against the tokenizer, or the completion was cut before </think>) [r3]`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, dl := Parse([]byte(tc.line), 7, "t.jsonl")
			if diff := cmp.Diff(tc.diags, diagStrings(dl)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("trace (-want +got):\n%s", diff)
			}
			// The slow path reads a well-formed record to the same trace.
			p := parser{line: []byte(tc.line), lineNo: 7, file: "t.jsonl"}
			slow := p.slow()
			if slow != nil {
				slow.File, slow.Line = "t.jsonl", 7
			}
			if diff := cmp.Diff(tc.want, slow, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("slow path (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	many := make([]string, 25)
	for i := range many {
		many[i] = `{"token_id":1,"logprob":0.5}`
	}
	tests := []struct {
		name string
		line string
		want []string
	}{
		{"invalid UTF-8", "{\"id\":\"a\xffb\"}", []string{
			"t.jsonl:3:9: error trace-invalid-utf8: the record is not valid UTF-8 (token texts must be UTF-8: write undecodable bytes as U+FFFD, or leave \"token\" out)",
		}},
		{"not an object", `[1,2]`, []string{
			"t.jsonl:3:1: error trace-not-object: $: a trace record must be one JSON object per line",
		}},
		{"empty line", ``, []string{
			"t.jsonl:3:1: error trace-not-object: $: a trace record must be one JSON object per line",
		}},
		{"syntax error", `{"id":"a",}`, []string{
			"t.jsonl:3:12: error trace-bad-json: invalid JSON: invalid character '}' looking for beginning of object key string",
		}},
		{"bare NaN (Python json.dumps)", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":NaN}]`, `"teacher":[]`), []string{
			"t.jsonl:3:46: error trace-non-finite-logprob: a bare NaN is not JSON (JSON has no NaN or infinities) (every log-prob must be a finite number; Python's json.dumps writes NaN unless allow_nan=False)",
		}},
		{"bare -Infinity", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":-Infinity}]`, `"teacher":[]`), []string{
			"t.jsonl:3:46: error trace-non-finite-logprob: a bare -Infinity is not JSON (JSON has no NaN or infinities) (every log-prob must be a finite number; Python's json.dumps writes NaN unless allow_nan=False)",
		}},
		{"trailing data", rec(`"id":"a"`, sOK, tOK) + ` {}`, []string{
			"t.jsonl:3:337: error trace-bad-json: invalid JSON: invalid character '{' after top-level value",
		}},
		{"unknown top-level field", rec(`"id":"a"`, sOK, tOK, `"critera":{}`, `"zzz":1`), []string{
			"t.jsonl:3:345: error trace-unknown-field: $.critera: unknown field \"critera\" (did you mean \"criteria\"?) [a]",
			"t.jsonl:3:354: error trace-unknown-field: $.zzz: unknown field \"zzz\" (the fields are schema_version, id, student, teacher, criteria, think_end_token, mask, meta; put free-form data under \"meta\") [a]",
		}},
		{"misspelt logprob", rec(`"id":"a"`, `"student":[{"token_id":1,"logprobs":-1}]`, `"teacher":[{"token_id":1,"logprob":-1}]`), []string{
			"t.jsonl:3:47: error trace-unknown-field: $.student[0].logprobs: student position 0: unknown field \"logprobs\" (did you mean \"logprob\"?) [a]",
			"t.jsonl:3:22: error trace-missing-field: $.student[0]: student position 0: \"logprob\" is missing [a]",
		}},
		{"missing teacher", rec(`"id":"a"`, sOK), []string{
			"t.jsonl:3:1: error trace-missing-field: $: the trace has no \"teacher\" positions [a]",
		}},
		{"null student", rec(`"id":"a"`, `"student":null`, tOK), []string{
			"t.jsonl:3:21: error trace-wrong-type: $.student: student: expected a list of positions, got null [a]",
		}},
		{"empty completion", rec(`"id":"a"`, `"student":[]`, `"teacher":[]`), []string{
			"t.jsonl:3:21: error trace-empty: $.student: the student has no positions (empty completion) (a trace needs at least one completion token; skip empty completions when writing traces) [a]",
			"t.jsonl:3:34: error trace-empty: $.teacher: the teacher has no positions (empty completion) (a trace needs at least one completion token; skip empty completions when writing traces) [a]",
		}},
		{"length mismatch", rec(`"id":"a"`, sOK, `"teacher":[{"token_id":5,"logprob":-0.75}]`), []string{
			"t.jsonl:3:203: error trace-length-mismatch: $.teacher: the teacher has 1 position, the student 2 (both sides score the same completion tokens: one entry per student token) [a]",
		}},
		{"token ids differ", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":-1},{"token_id":2,"logprob":-1},{"token_id":3,"logprob":-1}]`,
			`"teacher":[{"token_id":1,"logprob":-1},{"token_id":3,"logprob":-1},{"token_id":4,"logprob":-1}]`), []string{
			"t.jsonl:3:158: error trace-token-mismatch: $.teacher[1].token_id: position 1: the teacher scores token id 3, the student sampled 2 (2 positions differ) (score the student's token ids under the teacher's prompt; never re-tokenize the text) [a]",
		}},
		{"NaN and infinity strings", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":"NaN","top":[{"token_id":2,"logprob":"-inf"}]}]`,
			`"teacher":[{"token_id":1,"logprob":"Infinity"}]`), []string{
			"t.jsonl:3:46: error trace-non-finite-logprob: $.student[0].logprob: student position 0: logprob is the string \"NaN\", not a finite number (every log-prob must be a finite number) [a]",
			"t.jsonl:3:83: error trace-non-finite-logprob: $.student[0].top[0].logprob: student position 0, top entry 0: logprob is the string \"-inf\", not a finite number (every log-prob must be a finite number) [a]",
			"t.jsonl:3:129: error trace-non-finite-logprob: $.teacher[0].logprob: teacher position 0: logprob is the string \"Infinity\", not a finite number (every log-prob must be a finite number) [a]",
		}},
		{"numbers beyond float64", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":1e999}]`, `"teacher":[{"token_id":1,"logprob":-1e999}]`), []string{
			"t.jsonl:3:46: error trace-non-finite-logprob: $.student[0].logprob: student position 0: logprob 1e999 is out of the range of float64 (every log-prob must be a finite number) [a]",
			"t.jsonl:3:89: error trace-non-finite-logprob: $.teacher[0].logprob: teacher position 0: logprob -1e999 is out of the range of float64 (every log-prob must be a finite number) [a]",
		}},
		{"null and non-numeric log-probs", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":null}]`, `"teacher":[{"token_id":1,"logprob":"low"}]`), []string{
			"t.jsonl:3:46: error trace-wrong-type: $.student[0].logprob: student position 0: logprob: expected a number, got null (JSON has no NaN: a null log-prob often is one; every log-prob must be a finite number) [a]",
			"t.jsonl:3:88: error trace-wrong-type: $.teacher[0].logprob: teacher position 0: logprob: expected a number, got a string [a]",
		}},
		{"log-prob above 0", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":0.5}]`, `"teacher":[{"token_id":1,"logprob":2e-6,"top":[{"token_id":1,"logprob":2e-6}]}]`), []string{
			"t.jsonl:3:46: error trace-positive-logprob: $.student[0].logprob: student position 0: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:87: error trace-positive-logprob: $.teacher[0].logprob: teacher position 0: log-prob 2e-06 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:123: error trace-positive-logprob: $.teacher[0].top[0].logprob: teacher position 0, top entry 0: log-prob 2e-06 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
		}},
		{"bad token ids", rec(`"id":"a"`, `"student":[{"token_id":-1,"logprob":-1},{"token_id":1.5,"logprob":-1},{"token_id":1e20,"logprob":-1},{"token_id":"abc","logprob":-1},{"token_id":3000000000,"logprob":-1}]`,
			`"teacher":[{"token_id":-1,"logprob":-1},{"token_id":1,"logprob":-1},{"token_id":1,"logprob":-1},{"token_id":1,"logprob":-1},{"token_id":1,"logprob":-1}]`), []string{
			"t.jsonl:3:34: error trace-bad-token-id: $.student[0].token_id: student position 0: token id -1 is not in [0, 2147483647] [a]",
			"t.jsonl:3:63: error trace-bad-token-id: $.student[1].token_id: student position 1: token_id: expected an integer, got 1.5 [a]",
			"t.jsonl:3:93: error trace-bad-token-id: $.student[2].token_id: student position 2: token_id: expected an integer, got 1e20 [a]",
			"t.jsonl:3:124: error trace-wrong-type: $.student[3].token_id: student position 3: token_id: expected an integer, got a string [a]",
			"t.jsonl:3:156: error trace-bad-token-id: $.student[4].token_id: student position 4: token id 3000000000 is not in [0, 2147483647] [a]",
			"t.jsonl:3:205: error trace-bad-token-id: $.teacher[0].token_id: teacher position 0: token id -1 is not in [0, 2147483647] [a]",
		}},
		{"duplicate top id", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":-1,"top":[{"token_id":4,"logprob":-2},{"token_id":1,"logprob":-1},{"token_id":4,"logprob":-3}]}]`, `"teacher":[{"token_id":1,"logprob":-1}]`), []string{
			"t.jsonl:3:124: error trace-duplicate-top-id: $.student[0].top[2].token_id: student position 0: token id 4 is listed twice in the top list (entries 0 and 2) (each top list holds distinct tokens) [a]",
		}},
		{"top disagrees with the sampled log-prob", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":-1,"top":[{"token_id":1,"logprob":-1.01}]}]`, `"teacher":[{"token_id":1,"logprob":-1}]`), []string{
			"t.jsonl:3:80: error trace-sampled-mismatch: $.student[0].top[0].logprob: student position 0: the top list gives the sampled token 1 log-prob -1.01, the position -1 (both must come from the same forward pass; check how the trace was assembled) [a]",
		}},
		{"renormalised top-k (mass above 1)", rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":-0.1,"top":[{"token_id":1,"logprob":-0.1},{"token_id":2,"logprob":-1}]}]`, `"teacher":[{"token_id":1,"logprob":-1}]`), []string{
			"t.jsonl:3:57: error trace-mass-above-one: $.student[0].top: student position 0: the listed tokens' probabilities sum to 1.27272 > 1 (log-probs must be full-vocabulary log-softmax at temperature 1, not renormalised over the top-k or taken at another temperature) [a]",
		}},
		{"wrong types in positions", rec(`"id":"a"`, `"student":[3,{"token_id":1,"logprob":-1,"token":7,"top":{}},{"token_id":1,"logprob":-1,"top":[true,{"token_id":2,"logprob":-2,"top":[]}]}]`, `"teacher":{}`), []string{
			"t.jsonl:3:22: error trace-wrong-type: $.student[0]: student position 0: expected an object {token_id, logprob, top}, got a number [a]",
			"t.jsonl:3:59: error trace-wrong-type: $.student[1].token: student position 1: token: expected a string, got a number [a]",
			"t.jsonl:3:67: error trace-wrong-type: $.student[1].top: student position 1: top: expected a list of {token_id, logprob} objects, got an object [a]",
			"t.jsonl:3:105: error trace-wrong-type: $.student[2].top[0]: student position 2, top entry 0: expected an object {token_id, logprob}, got a boolean [a]",
			"t.jsonl:3:143: error trace-unknown-field: $.student[2].top[1].top: student position 2, top entry 1: unknown field \"top\" (the fields are token_id, token, logprob) [a]",
			"t.jsonl:3:160: error trace-wrong-type: $.teacher: teacher: expected a list of positions, got an object [a]",
		}},
		{"unsupported schema version", rec(`"schema_version":2`, `"id":"a"`, sOK, tOK), []string{
			"t.jsonl:3:19: error trace-unsupported-version: $.schema_version: schema_version 2 is not one this rcsd reads (1) (upgrade rcsd) [a]",
		}},
		{"empty id", rec(`"id":""`, sOK, tOK), []string{
			"t.jsonl:3:7: error trace-bad-id: $.id: the id is an empty string",
		}},
		{"object id", rec(`"id":{"x":1}`, sOK, tOK), []string{
			"t.jsonl:3:7: error trace-bad-id: $.id: expected a string or an integer id, got an object",
		}},
		{"mask problems", rec(`"id":"a"`, sOK, tOK, `"mask":[true,1,false]`), []string{
			"t.jsonl:3:348: error trace-wrong-type: $.mask[1]: mask entry 1: expected true or false, got a number [a]",
		}},
		{"criterion null", rec(`"id":"a"`, sOK, tOK, `"criteria":{"c3":null}`), []string{
			"t.jsonl:3:352: error trace-wrong-type: $.criteria.c3: criterion \"c3\": expected a list of positions, got null [a] {c3}",
		}},
		{"criteria misaligned", rec(`"id":"a"`, sOK, tOK, `"criteria":{"":[],"c1":[{"token_id":5,"logprob":-1}],"c 2":[{"token_id":5,"logprob":-1},{"token_id":7,"logprob":-1}]}`), []string{
			"t.jsonl:3:346: error trace-bad-criterion: $.criteria: a criterion id is the empty string (use the rubric's criterion ids) [a]",
			"t.jsonl:3:435: error trace-token-mismatch: $.criteria[\"c 2\"][1].token_id: position 1: the criterion \"c 2\" scores token id 7, the student sampled 2 (score the student's token ids under the teacher's prompt; never re-tokenize the text) [a] {c 2}",
			"t.jsonl:3:358: error trace-length-mismatch: $.criteria.c1: the criterion \"c1\" has 1 position, the student 2 (both sides score the same completion tokens: one entry per student token) [a] {c1}",
		}},
		{"mask too short", rec(`"id":"a"`, sOK, tOK, `"mask":[true]`), []string{
			"t.jsonl:3:342: error trace-mask-length: $.mask: the mask has 1 entry, the student 2 positions (one boolean per completion position) [a]",
		}},
		{"criteria not an object", rec(`"id":"a"`, sOK, tOK, `"criteria":[1]`), []string{
			"t.jsonl:3:346: error trace-wrong-type: $.criteria: criteria: expected an object, got a list ({\"<criterion id>\": [teacher positions conditioned on that criterion alone]}) [a]",
		}},
		{"negative think_end_token", rec(`"id":"a"`, sOK, tOK, `"think_end_token":-4`), []string{
			"t.jsonl:3:353: error trace-bad-token-id: $.think_end_token: think_end_token -4 is not a token id in [0, 2147483647] [a]",
		}},
		{"meta not an object", rec(`"id":"a"`, sOK, tOK, `"meta":"free text"`), []string{
			"t.jsonl:3:342: error trace-wrong-type: $.meta: meta: expected an object, got a string (put free-form data in an object) [a]",
		}},
		{"too many errors", rec(`"id":"a"`, `"student":[`+strings.Join(many, ",")+`]`, `"teacher":[`+strings.Join(many, ",")+`]`), []string{
			"t.jsonl:3:46: error trace-positive-logprob: $.student[0].logprob: student position 0: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:75: error trace-positive-logprob: $.student[1].logprob: student position 1: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:104: error trace-positive-logprob: $.student[2].logprob: student position 2: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:133: error trace-positive-logprob: $.student[3].logprob: student position 3: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:162: error trace-positive-logprob: $.student[4].logprob: student position 4: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:191: error trace-positive-logprob: $.student[5].logprob: student position 5: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:220: error trace-positive-logprob: $.student[6].logprob: student position 6: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:249: error trace-positive-logprob: $.student[7].logprob: student position 7: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:278: error trace-positive-logprob: $.student[8].logprob: student position 8: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:307: error trace-positive-logprob: $.student[9].logprob: student position 9: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:336: error trace-positive-logprob: $.student[10].logprob: student position 10: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:365: error trace-positive-logprob: $.student[11].logprob: student position 11: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:394: error trace-positive-logprob: $.student[12].logprob: student position 12: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:423: error trace-positive-logprob: $.student[13].logprob: student position 13: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:452: error trace-positive-logprob: $.student[14].logprob: student position 14: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:481: error trace-positive-logprob: $.student[15].logprob: student position 15: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:510: error trace-positive-logprob: $.student[16].logprob: student position 16: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:539: error trace-positive-logprob: $.student[17].logprob: student position 17: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:568: error trace-positive-logprob: $.student[18].logprob: student position 18: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3:597: error trace-positive-logprob: $.student[19].logprob: student position 19: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [a]",
			"t.jsonl:3: info trace-more-errors: 30 more problems in this record are not shown [a]",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, dl := Parse([]byte(tc.line), 3, "t.jsonl")
			if tr != nil {
				t.Errorf("got a trace, want none")
			}
			if !dl.HasErrors() {
				t.Errorf("no error reported")
			}
			if diff := cmp.Diff(tc.want, diagStrings(dl)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
