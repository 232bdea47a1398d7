package judge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// llmInput is a two-turn conversation judged on criteria that exercise the
// prompt rendering: integer, negative and fractional points, a criterion
// whose text spans lines, and one known only by its title.
func llmInput() *Input {
	return &Input{
		Prompt:   "user: I have a headache.\n\nassistant: How long has it lasted?\n\nuser: Two days, and paracetamol has not helped.",
		Response: "Try ibuprofen with food, drink water, and see a doctor if it lasts another day.",
		Rubric: &rubric.Rubric{Criteria: []rubric.Criterion{
			{ID: "c1", Description: `Mentions "ibuprofen" as an alternative.`, Weight: 5},
			{ID: "c2", Description: `Recommends "aspirin" to an adult.`, Weight: -4},
			{ID: "c3", Description: "Advises seeing a \"doctor\" if it persists.\nNames a time frame.", Weight: 0.7},
			{ID: "c4", Title: `Suggests "water"`, Weight: 2},
		}},
	}
}

func llmGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "llm", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs from the golden file (UPDATE_GOLDEN=1 rewrites it) (-want +got)\n%s", p, d)
	}
}

// TestLLMPromptsGolden pins the rendered prompts, and checks that the
// test grader reads back from them the response and criteria that were
// rendered: the prompt format is a contract with remotetest.ParsePrompt.
func TestLLMPromptsGolden(t *testing.T) {
	in := llmInput()
	conv := conversation(in)
	crit := in.Rubric.Criteria

	var all strings.Builder
	for i := range crit {
		p := renderCriterion(conv, &crit[i])
		fmt.Fprintf(&all, "==== criterion %s ====\n%s\n", crit[i].ID, p)
		got, err := remotetest.ParsePrompt(p)
		if err != nil {
			t.Fatalf("criterion %s: ParsePrompt: %v", crit[i].ID, err)
		}
		want := remotetest.Prompt{Response: in.Response, Items: []remotetest.Item{{Criterion: criterionText(&crit[i])}}}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("criterion %s: the grader reads back (-want +got)\n%s", crit[i].ID, d)
		}
	}
	llmGolden(t, "per-criterion.golden", all.String())

	asked := []int{0, 1, 2, 3}
	ids := promptIDs(crit, asked)
	p := renderResponse(conv, crit, asked, ids)
	llmGolden(t, "per-response.golden", p+"\n")
	got, err := remotetest.ParsePrompt(p)
	if err != nil {
		t.Fatalf("per-response: ParsePrompt: %v", err)
	}
	want := remotetest.Prompt{PerResponse: true, Response: in.Response, Items: []remotetest.Item{
		{ID: "c1", Criterion: crit[0].Description},
		{ID: "c2", Criterion: crit[1].Description},
		{ID: "c3", Criterion: "Advises seeing a \"doctor\" if it persists. Names a time frame."},
		{ID: "c4", Criterion: crit[3].Title},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("per-response: the grader reads back (-want +got)\n%s", d)
	}
}

func TestLLMTemplates(t *testing.T) {
	for _, tt := range []struct {
		name, tmpl string
		holes      []string
		sections   []string
	}{
		{"per-criterion", perCriterionTemplate, []string{"<<conversation>>", "<<rubric_item>>"}, []string{"# Conversation\n", "\n\n# Rubric item\n", "\n\n# Instructions\n"}},
		{"per-response", perResponseTemplate, []string{"<<conversation>>", "<<rubric_items>>"}, []string{"# Conversation\n", "\n\n# Rubric items\n", "\n\n# Instructions\n"}},
	} {
		for _, s := range append(tt.holes, tt.sections...) {
			if n := strings.Count(tt.tmpl, s); n != 1 {
				t.Errorf("%s template: %q occurs %d times, want once", tt.name, s, n)
			}
		}
	}
	if strings.Contains(perCriterionTemplate, "\n\n# Rubric items\n") {
		t.Error("per-criterion template has a per-response section header")
	}
}

func TestLLMPromptIDs(t *testing.T) {
	mk := func(ids ...string) []rubric.Criterion {
		c := make([]rubric.Criterion, len(ids))
		for i, id := range ids {
			c[i].ID = id
		}
		return c
	}
	tests := []struct {
		name  string
		crit  []rubric.Criterion
		asked []int
		want  []string
	}{
		{"own ids", mk("a", "b:1", "c"), []int{0, 1, 2}, []string{"a", "b:1", "c"}},
		{"a subset keeps its ids", mk("a", "b", "c"), []int{0, 2}, []string{"a", "c"}},
		{"duplicate ids", mk("a", "a"), []int{0, 1}, []string{"1", "2"}},
		{"an empty id", mk("a", ""), []int{0, 1}, []string{"1", "2"}},
		{"white space", mk("a", "b c"), []int{0, 1}, []string{"1", "2"}},
		{"too long", mk("a", strings.Repeat("x", 65)), []int{0, 1}, []string{"1", "2"}},
	}
	for _, tt := range tests {
		if got := promptIDs(tt.crit, tt.asked); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseLLMMode(t *testing.T) {
	for _, s := range []string{"per-criterion", "per-response"} {
		if m, err := ParseLLMMode(s); err != nil || string(m) != s {
			t.Errorf("ParseLLMMode(%q) = %q, %v", s, m, err)
		}
	}
	_, err := ParseLLMMode("batch")
	if want := `unknown llm judge mode "batch": want per-criterion or per-response`; err == nil || err.Error() != want {
		t.Errorf("ParseLLMMode(batch) error = %v, want %s", err, want)
	}
	if _, err := NewLLM(&remote.Client{}, "batch"); err == nil {
		t.Error("NewLLM accepted an unknown mode")
	}
	if _, err := NewLLM(nil, PerCriterion); err == nil {
		t.Error("NewLLM accepted a nil client")
	}
}

func TestParseCriterionReply(t *testing.T) {
	tests := []struct {
		name, reply string
		met         bool
		expl, err   string
	}{
		{"bare", `{"explanation": "ok", "criteria_met": true}`, true, "ok", ""},
		{"false", `{"explanation": "no", "criteria_met": false}`, false, "no", ""},
		{"fenced json", "```json\n{\n  \"explanation\": \"fine\",\n  \"criteria_met\": true\n}\n```", true, "fine", ""},
		{"fenced bare", "```\n{\"criteria_met\": false}\n```", false, "", ""},
		{"prose around", "Here is my verdict:\n```json\n{\"explanation\": \"x\", \"criteria_met\": true}\n```\nHope this helps!", true, "x", ""},
		{"no explanation", `{"criteria_met": true}`, true, "", ""},
		{"extra fields ignored", `{"criteria_met": true, "confidence": 0.9}`, true, "", ""},
		{"braces and quotes inside strings", `{"explanation": "uses {x} and \"]\" here", "criteria_met": true}`, true, `uses {x} and "]" here`, ""},
		{"bracketed prose before", `[note] see {the response}: {"criteria_met": false}`, false, "", ""},
		{"unclosed brace before", `{ oops {"criteria_met": true}`, true, "", ""},
		{"nested in a wrapper", `{"result": {"criteria_met": true}}`, true, "", ""},
		{"think block drafts ignored", "<think>Maybe {\"criteria_met\": false}? No.</think>\n{\"criteria_met\": true}", true, "", ""},
		{"close tag only", "drafting {\"criteria_met\": false}</think>{\"criteria_met\": true}", true, "", ""},
		{"string true", `{"criteria_met": "true"}`, false, "", `grader reply: "criteria_met" is a string ("true"), want a JSON boolean (true or false)`},
		{"string yes", `{"explanation": "e", "criteria_met": "yes"}`, false, "", `grader reply: "criteria_met" is a string ("yes"), want a JSON boolean (true or false)`},
		{"number", `{"criteria_met": 1}`, false, "", `grader reply: "criteria_met" is a number (1), want a JSON boolean (true or false)`},
		{"null", `{"criteria_met": null}`, false, "", `grader reply: "criteria_met" is null, want a JSON boolean (true or false)`},
		{"list", `{"criteria_met": [true]}`, false, "", `grader reply: "criteria_met" is a list, want a JSON boolean (true or false)`},
		{"explanation not a string", `{"explanation": 3, "criteria_met": true}`, false, "", `grader reply: "explanation" is a number (3), want a string`},
		{"wrong field name", `{"explanation": "x", "met": true}`, false, "", `grader reply: no JSON object with a "criteria_met" field: "{\"explanation\": \"x\", \"met\": true}"`},
		{"python literals", `{'criteria_met': True}`, false, "", `grader reply: no JSON object with a "criteria_met" field: "{'criteria_met': True}"`},
		{"prose only", "I think the response is fine.", false, "", `grader reply: no JSON object with a "criteria_met" field: "I think the response is fine."`},
		{"empty", "  \n", false, "", `grader reply: no JSON object with a "criteria_met" field: ""`},
		{"two objects", `{"criteria_met": true} or maybe {"criteria_met": false}`, false, "", `grader reply: 2 JSON objects with a "criteria_met" field, want exactly one`},
		{"truncated", "```json\n{\n  \"explanation\": \"The response says", false, "", `grader reply: JSON cut short (did the grader run out of tokens?): "` + "```json\\n{\\n  \\\"explanation\\\": \\\"The response says" + `"`},
		{"long prose is cut in the message", strings.Repeat("é", 100), false, "", `grader reply: no JSON object with a "criteria_met" field: "` + strings.Repeat("é", 60) + `"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			met, expl, err := parseCriterionReply(tt.reply)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if met != tt.met || expl != tt.expl || gotErr != tt.err {
				t.Errorf("got (%v, %q, %q)\nwant (%v, %q, %q)", met, expl, gotErr, tt.met, tt.expl, tt.err)
			}
		})
	}
}

// llmOutcomeStrings renders outcomes as "true: explanation", "false: …" or
// "error: …" so table tests can state them whole.
func llmOutcomeStrings(oc []outcome) []string {
	s := make([]string, len(oc))
	for i, o := range oc {
		switch {
		case o.err != "":
			s[i] = "error: " + o.err
		case o.met == nil:
			s[i] = "nil"
		default:
			s[i] = fmt.Sprintf("%v: %s", *o.met, o.explanation)
		}
	}
	return s
}

func TestParseVerdictList(t *testing.T) {
	ids := []string{"c1", "c2", "c3"}
	tests := []struct {
		name, reply string
		ids         []string
		want        []string
		err         string
	}{
		{"bare list in order", `[{"id": "c1", "criteria_met": true, "explanation": "a"}, {"id": "c2", "criteria_met": false, "explanation": "b"}, {"id": "c3", "criteria_met": true, "explanation": "c"}]`,
			ids, []string{"true: a", "false: b", "true: c"}, ""},
		{"wrapped, fenced, among prose (the test server's reply)", "Here is my grading.\n```json\n{\"verdicts\": [{\"id\": \"c1\", \"criteria_met\": true}, {\"id\": \"c2\", \"criteria_met\": false}, {\"id\": \"c3\", \"criteria_met\": false}]}\n```",
			ids, []string{"true: ", "false: ", "false: "}, ""},
		{"reordered, matched by id", `[{"id": "c3", "criteria_met": true}, {"id": "c1", "criteria_met": false}, {"id": "c2", "criteria_met": true}]`,
			ids, []string{"false: ", "true: ", "true: "}, ""},
		{"numeric ids", `[{"id": 2, "criteria_met": true}, {"id": 1, "criteria_met": false}]`,
			[]string{"1", "2"}, []string{"false: ", "true: "}, ""},
		{"no ids, one per criterion: by position", `[{"criteria_met": true}, {"criteria_met": false}, {"criteria_met": true}]`,
			ids, []string{"true: ", "false: ", "true: "}, ""},
		{"no ids, too few: nothing placed", `[{"criteria_met": true}, {"criteria_met": false}]`,
			ids, []string{
				"error: grader reply: no verdict for this criterion (2 verdicts for 3 criteria; 2 without an id)",
				"error: grader reply: no verdict for this criterion (2 verdicts for 3 criteria; 2 without an id)",
				"error: grader reply: no verdict for this criterion (2 verdicts for 3 criteria; 2 without an id)",
			}, ""},
		{"one missing", `[{"id": "c1", "criteria_met": true}, {"id": "c3", "criteria_met": true}]`,
			ids, []string{"true: ", "error: grader reply: no verdict for this criterion (2 verdicts for 3 criteria)", "true: "}, ""},
		{"unknown id", `[{"id": "c1", "criteria_met": true}, {"id": "c9", "criteria_met": true}, {"id": "c3", "criteria_met": true}]`,
			ids, []string{"true: ", `error: grader reply: no verdict for this criterion (3 verdicts for 3 criteria; unknown ids "c9")`, "true: "}, ""},
		{"duplicate id", `[{"id": "c1", "criteria_met": true}, {"id": "c1", "criteria_met": false}, {"id": "c2", "criteria_met": true}, {"id": "c3", "criteria_met": true}]`,
			ids, []string{"error: grader reply: 2 verdicts for this criterion, want one", "true: ", "true: "}, ""},
		{"a string criteria_met spoils only its criterion", `[{"id": "c1", "criteria_met": "true"}, {"id": "c2", "criteria_met": false}, {"id": "c3", "criteria_met": true}]`,
			ids, []string{`error: grader reply: "criteria_met" is a string ("true"), want a JSON boolean (true or false)`, "false: ", "true: "}, ""},
		{"an element that is not an object", `{"verdicts": [{"id": "c1", "criteria_met": true}, "c2: yes", {"id": "c3", "criteria_met": true}]}`,
			ids, []string{"true: ", `error: grader reply: verdict 2 is a string ("c2: yes"), want an object`, "true: "}, ""},
		{"verdicts not a list", `{"verdicts": "all met"}`, ids, nil, `grader reply: "verdicts" is a string ("all met"), want a list`},
		{"a list of strings is no verdict list", `["c1", "c2"]`, ids, nil, `grader reply: no JSON list of verdicts: "[\"c1\", \"c2\"]"`},
		{"a lone object is no verdict list", `{"id": "c1", "criteria_met": true}`, ids, nil, `grader reply: no JSON list of verdicts: "{\"id\": \"c1\", \"criteria_met\": true}"`},
		{"two lists", `[{"id": "c1", "criteria_met": true}] and [{"id": "c2", "criteria_met": true}]`, ids, nil, "grader reply: 2 JSON lists of verdicts, want exactly one"},
		{"truncated", `[{"id": "c1", "criteria_met": true}, {"id": "c2", "crit`, ids, nil, `grader reply: JSON cut short (did the grader run out of tokens?): "[{\"id\": \"c1\", \"criteria_met\": true}, {\"id\": \"c2\", \"crit"`},
		{"prose", "All criteria are met.", ids, nil, `grader reply: no JSON list of verdicts: "All criteria are met."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oc, err := parseVerdictList(tt.reply, tt.ids)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.err {
				t.Errorf("error %q, want %q", gotErr, tt.err)
			}
			if d := cmp.Diff(tt.want, llmOutcomeStrings(oc)); err == nil && d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestLLMScanJSONBounded checks that reading a reply does work linear in
// its length, whatever it holds: the bytes the scanner examines (counted
// where it reads them) stay within a fixed number per byte of reply, on
// texts made so that every '{' and '[' starts a candidate that runs far.
// The sizes grow from small so that a scanner without a bound on
// candidates fails on the first size, before the quadratic work gets
// long. The time it takes is BenchmarkScanJSON's.
func TestLLMScanJSONBounded(t *testing.T) {
	// (1 + 3·maxJSONStarts) at 256 candidates (see scanWork): a fixed
	// number here, so raising the bound in llm.go is a visible choice.
	const perByte = 1 + 3*256
	hostile := []struct{ name, unit string }{
		{"unclosed lists", "["},
		{"unclosed objects", `{"a":`},
		{"balanced but invalid", "[{"},
		{"brackets in and out of strings", `"[`},
		{"prose with asides", "see [note {"},
	}
	for _, n := range []int{1 << 12, 1 << 14, 1 << 16} {
		for _, h := range hostile {
			text := strings.Repeat(h.unit, n/len(h.unit)+1)[:n]
			if h.name == "balanced but invalid" {
				text = strings.Repeat("[{", n/4) + strings.Repeat("}]", n/4)
			}
			found, _, work := scanJSONWork(text, isVerdictList)
			if len(found) != 0 {
				t.Errorf("%s, %d bytes: found %d values", h.name, len(text), len(found))
			}
			if work.bytes > perByte*len(text) {
				t.Fatalf("%s, %d bytes: %d bytes examined (%.0f per byte), want at most %d per byte", h.name, len(text), work.bytes, float64(work.bytes)/float64(len(text)), perByte)
			}
		}
	}
	if _, _, err := parseCriterionReply(strings.Repeat("[", maxReplyBytes-1)); err == nil {
		t.Error("accepted a reply of brackets")
	}
	if _, _, err := parseCriterionReply(strings.Repeat("x", maxReplyBytes+1)); err == nil || !strings.Contains(err.Error(), "bytes, more than") {
		t.Errorf("oversized reply: %v", err)
	}
}

// TestLLMScanJSONWork pins the count on small replies, worked by hand:
// the count is the scanner's reading, not an estimate.
func TestLLMScanJSONWork(t *testing.T) {
	tests := []struct {
		text   string
		shaped func(string) bool
		want   scanWork
	}{
		// "ok " to the '{' (4 bytes), its brackets (8), json.Valid and the
		// shape test (2·8); found, so the scan goes on after it: nothing left.
		{`ok {"a": 1}`, hasKey("a"), scanWork{starts: 1, bytes: 4 + 8 + 16}},
		// The same but not of the shape: the search goes on one byte after
		// the '{' and reads the 7 bytes left.
		{`ok {"a": 1}`, hasKey("criteria_met"), scanWork{starts: 1, bytes: 4 + 8 + 16 + 7}},
		// The '[' (1) runs to the end unclosed (3); the search finds the
		// '{' (2 more), which runs to the end too (1).
		{`[ {`, hasKey("a"), scanWork{starts: 2, bytes: 1 + 3 + 2 + 1}},
		// '[' (1) then a mismatched '}' (3 bytes matched); the search reads
		// the 2 bytes after the '['.
		{`[x}`, hasKey("a"), scanWork{starts: 1, bytes: 1 + 3 + 2}},
		{`no json here`, hasKey("a"), scanWork{bytes: 12}},
	}
	for _, tt := range tests {
		_, _, got := scanJSONWork(tt.text, tt.shaped)
		if got != tt.want {
			t.Errorf("%q: work %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// BenchmarkScanJSON is the time the bound of TestLLMScanJSONBounded costs
// on the worst reply of each kind (bytes/s is reply bytes).
func BenchmarkScanJSON(b *testing.B) {
	for _, unit := range []string{"[", `{"a":`, "x"} {
		text := strings.Repeat(unit, (maxReplyBytes-1)/len(unit))
		b.Run(fmt.Sprintf("%q", unit), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			var work scanWork
			for b.Loop() {
				_, _, work = scanJSONWork(text, isVerdictList)
			}
			b.ReportMetric(float64(work.bytes)/float64(len(text)), "examined/byte")
		})
	}
}

// FuzzLLMParseReply checks that reading never panics and that a per-response
// reply either fails as a whole or yields exactly one of a verdict or an
// error per criterion.
func FuzzLLMParseReply(f *testing.F) {
	for _, s := range []string{
		`{"explanation": "ok", "criteria_met": true}`,
		"```json\n{\"criteria_met\": false}\n```",
		`[{"id": "c1", "criteria_met": true}, {"id": "c2", "criteria_met": "no"}]`,
		`{"verdicts": [{"criteria_met": true}, 3]}`,
		`{ [ "}" ] {"criteria_met": true`,
		"<think>{</think>[{\"id\": 1}]",
	} {
		f.Add(s)
	}
	ids := []string{"c1", "c2"}
	f.Fuzz(func(t *testing.T, reply string) {
		_, _, _ = parseCriterionReply(reply)
		oc, err := parseVerdictList(reply, ids)
		if err != nil {
			return
		}
		if len(oc) != len(ids) {
			t.Fatalf("%d outcomes for %d criteria", len(oc), len(ids))
		}
		for i, o := range oc {
			if (o.met == nil) == (o.err == "") {
				t.Fatalf("outcome %d: met %v, error %q", i, o.met, o.err)
			}
		}
	})
}

func TestLLMCacheKey(t *testing.T) {
	m := func(s ...string) []remote.Message {
		var out []remote.Message
		for i := 0; i < len(s); i += 2 {
			out = append(out, remote.Message{Role: s[i], Content: s[i+1]})
		}
		return out
	}
	base := CacheKey("grader", PerCriterion, m("user", "hello"))
	if len(base) != 64 {
		t.Fatalf("key %q is not hex SHA-256", base)
	}
	if again := CacheKey("grader", PerCriterion, m("user", "hello")); again != base {
		t.Error("same request, different keys")
	}
	for name, k := range map[string]string{
		"model":             CacheKey("grader2", PerCriterion, m("user", "hello")),
		"mode":              CacheKey("grader", PerResponse, m("user", "hello")),
		"content":           CacheKey("grader", PerCriterion, m("user", "hello!")),
		"role":              CacheKey("grader", PerCriterion, m("system", "hello")),
		"text moved across": CacheKey("grade", PerCriterion, m("ruser", "hello")),
		"one more message":  CacheKey("grader", PerCriterion, m("user", "hello", "user", "")),
	} {
		if k == base {
			t.Errorf("changing the %s keeps the key", name)
		}
	}
}

// llmTestClient is a fast-retrying client for the test server. Its
// per-attempt timeout only detects a hung test server: generous, so a
// loaded machine never trips it.
func llmTestClient(s *remotetest.Server, retries int) *remote.Client {
	return &remote.Client{
		BaseURL:     s.URL,
		Model:       "grader",
		MaxRetries:  retries,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		Timeout:     time.Minute,
		Seed:        1,
	}
}

// llmKeywordInput is judged by the test server's KeywordRule: c1 and c3 are
// met ("ibuprofen" and "food" are in the response), c2 is not.
func llmKeywordInput() *Input {
	return &Input{
		Prompt:   "user: What can I take for a sprained ankle?",
		Response: "Take ibuprofen with food, and rest the ankle.",
		Rubric: &rubric.Rubric{Criteria: []rubric.Criterion{
			{ID: "c1", Description: `Suggests "ibuprofen".`, Weight: 5},
			{ID: "c2", Description: `Recommends "aspirin".`, Weight: -3},
			{ID: "c3", Description: `Says to take it with "food".`, Weight: 2},
		}},
	}
}

func llmKeywordWant() []Verdict {
	return []Verdict{
		{ID: "c1", Met: Bool(true), Judge: KindLLM, Explanation: `The response says "ibuprofen", so the criterion is met.`},
		{ID: "c2", Met: Bool(false), Judge: KindLLM, Explanation: "The response never mentions the key word aspirin."},
		{ID: "c3", Met: Bool(true), Judge: KindLLM, Explanation: `The response says "food", so the criterion is met.`},
	}
}

func TestLLMAgainstServer(t *testing.T) {
	tests := []struct {
		name     string
		mode     LLMMode
		schedule []remotetest.Fault
		requests int64
	}{
		{"per-criterion", PerCriterion, nil, 3},
		{"per-response", PerResponse, nil, 1},
		// Every transport fault the server injects, each retried by the
		// client: 429, 5xx, a dropped connection, a body that is not a
		// chat completion.
		{"per-criterion through faults", PerCriterion, []remotetest.Fault{remotetest.Fault429, remotetest.Fault500, remotetest.Fault502, remotetest.Fault503, remotetest.FaultDrop, remotetest.FaultBadBody}, 3 + 6},
		{"per-response through faults", PerResponse, []remotetest.Fault{remotetest.Fault429, remotetest.Fault503, remotetest.FaultDrop, remotetest.FaultBadBody}, 1 + 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := remotetest.NewServer(remotetest.Options{Schedule: tt.schedule, RetryAfter: "0"})
			defer s.Close()
			l := &LLM{Client: llmTestClient(s, 6), Mode: tt.mode}
			got := l.Judge(context.Background(), llmKeywordInput())
			if d := cmp.Diff(llmKeywordWant(), got); d != "" {
				t.Errorf("verdicts (-want +got)\n%s", d)
			}
			if n := s.Requests(); n != tt.requests {
				t.Errorf("%d requests, want %d (counts %v)", n, tt.requests, s.Counts())
			}
		})
	}
}

func TestLLMBadReplies(t *testing.T) {
	one := &Input{Prompt: "user: pain?", Response: "Take ibuprofen.", Rubric: &rubric.Rubric{Criteria: []rubric.Criterion{{ID: "c1", Description: `Mentions "ibuprofen"`, Weight: 5}}}}
	tests := []struct {
		name     string
		mode     LLMMode
		fault    remotetest.Fault
		reask    int
		retries  int
		err      string // substring of the verdict's error; "" for a met verdict
		requests int64
	}{
		{"prose", PerCriterion, remotetest.FaultProse, 0, 0, `grader reply: no JSON object with a "criteria_met" field: "I think the response is fine overall and meets what was asked."`, 1},
		{"prose re-asked", PerCriterion, remotetest.FaultProse, 1, 0, "", 2},
		{"string bool", PerCriterion, remotetest.FaultStringBool, 0, 0, `grader reply: "criteria_met" is a string ("yes"), want a JSON boolean (true or false)`, 1},
		{"truncated", PerCriterion, remotetest.FaultTruncated, 0, 0, "grader reply: JSON cut short (did the grader run out of tokens?)", 1},
		{"per-response prose", PerResponse, remotetest.FaultProse, 0, 0, `grader reply: no JSON list of verdicts: "I think`, 1},
		{"per-response string bool", PerResponse, remotetest.FaultStringBool, 0, 0, `grader reply: "criteria_met" is a string ("yes")`, 1},
		{"per-response truncated re-asked", PerResponse, remotetest.FaultTruncated, 2, 0, "", 2},
		{"retries exhausted", PerCriterion, remotetest.Fault503, 0, 0, "grader request failed: remote: giving up after 1 attempts: remote: HTTP 503 Service Unavailable", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := remotetest.NewServer(remotetest.Options{Schedule: []remotetest.Fault{tt.fault}})
			defer s.Close()
			l := &LLM{Client: llmTestClient(s, tt.retries), Mode: tt.mode, Reask: tt.reask, Cache: &MemoryCache{}}
			got := l.Judge(context.Background(), one)
			if len(got) != 1 {
				t.Fatalf("%d verdicts", len(got))
			}
			v := got[0]
			if tt.err == "" {
				if v.Met == nil || !*v.Met || v.Error != "" {
					t.Errorf("verdict %+v, want met", v)
				}
			} else if v.Met != nil || !strings.Contains(v.Error, tt.err) {
				t.Errorf("verdict met %v, error %q; want no verdict and an error containing %q", v.Met, v.Error, tt.err)
			}
			if n := s.Requests(); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			// A bad reply is not cached: judging again asks again (and
			// the schedule is spent, so now gets a good reply).
			before := s.Requests()
			again := l.Judge(context.Background(), one)
			if again[0].Met == nil || !*again[0].Met {
				t.Errorf("second run: %+v", again[0])
			}
			wantAsk := int64(1)
			if tt.err == "" {
				wantAsk = 0 // the good reply was cached
			}
			if n := s.Requests() - before; n != wantAsk {
				t.Errorf("second run made %d requests, want %d", n, wantAsk)
			}
		})
	}
}

func TestLLMCache(t *testing.T) {
	for _, mode := range []LLMMode{PerCriterion, PerResponse} {
		t.Run(string(mode), func(t *testing.T) {
			s := remotetest.NewServer(remotetest.Options{})
			defer s.Close()
			cache := &MemoryCache{}
			l := &LLM{Client: llmTestClient(s, 0), Mode: mode, Cache: cache}
			first := l.Judge(context.Background(), llmKeywordInput())
			n := s.Requests()
			second := l.Judge(context.Background(), llmKeywordInput())
			if s.Requests() != n {
				t.Errorf("second run made %d requests, want 0", s.Requests()-n)
			}
			if d := cmp.Diff(first, second); d != "" {
				t.Errorf("cached verdicts differ (-first +second)\n%s", d)
			}
			// Another model is another question.
			other := *l
			oc := llmTestClient(s, 0)
			oc.Model = "other"
			other.Client = oc
			other.Judge(context.Background(), llmKeywordInput())
			if s.Requests() == n {
				t.Error("a different model was served from the cache")
			}
		})
	}
}

func TestLLMConcurrencyBoundedByLimiter(t *testing.T) {
	var inFlight, peak atomic.Int64
	rule := func(response, criterion string) (bool, string) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		return remotetest.KeywordRule(response, criterion)
	}
	s := remotetest.NewServer(remotetest.Options{Rule: rule})
	defer s.Close()
	c := llmTestClient(s, 0)
	c.Limiter = remote.NewLimiter(2)
	l := &LLM{Client: c, Mode: PerCriterion}
	in := llmKeywordInput()
	for i := range 5 {
		in.Rubric.Criteria = append(in.Rubric.Criteria, rubric.Criterion{ID: fmt.Sprintf("x%d", i), Description: `Says "rest".`, Weight: 1})
	}
	var wg sync.WaitGroup
	for range 2 { // two responses judged at once share the limiter
		wg.Go(func() {
			for _, v := range l.Judge(context.Background(), in) {
				if v.Met == nil {
					t.Errorf("%s: %s", v.ID, v.Error)
				}
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak requests in flight %d, want the limiter's 2", p)
	}
}

func TestLLMNoRequest(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{})
	defer s.Close()
	in := llmKeywordInput()
	in.Rubric.Criteria = append(in.Rubric.Criteria, rubric.Criterion{ID: "blank", Description: "  "})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := (&LLM{Client: llmTestClient(s, 3), Mode: PerCriterion}).Judge(ctx, in)
	for _, v := range got[:3] {
		if v.Met != nil || !strings.Contains(v.Error, "context canceled") {
			t.Errorf("cancelled: %s: met %v, error %q", v.ID, v.Met, v.Error)
		}
	}
	if v := got[3]; v.Error != "criterion has no text to show the grader" {
		t.Errorf("blank criterion: %+v", v)
	}

	got = (&LLM{Client: llmTestClient(s, 0), Mode: "batch"}).Judge(context.Background(), in)
	for _, v := range got {
		if v.Met != nil || v.Judge != KindLLM || !strings.Contains(v.Error, "unknown llm judge mode") {
			t.Errorf("bad mode: %+v", v)
		}
	}
	if got := (&LLM{}).Judge(context.Background(), in); got[0].Error != "llm judge: no grader client" {
		t.Errorf("no client: %+v", got[0])
	}
	if got := (&LLM{Client: llmTestClient(s, 0), Mode: PerCriterion}).Judge(context.Background(), nil); got != nil {
		t.Errorf("nil input: %v", got)
	}
	if n := s.Requests(); n != 0 {
		t.Errorf("%d requests, want 0", n)
	}
}

func TestLLMKeyNeverInErrors(t *testing.T) {
	const secret = "sk-test-SECRET-0123456789"
	s := remotetest.NewServer(remotetest.Options{APIKey: "the-right-key"})
	defer s.Close()
	c := llmTestClient(s, 0)
	c.APIKey = secret
	for _, mode := range []LLMMode{PerCriterion, PerResponse} {
		for _, v := range (&LLM{Client: c, Mode: mode}).Judge(context.Background(), llmKeywordInput()) {
			if v.Met != nil || !strings.Contains(v.Error, "HTTP 401") || strings.Contains(v.Error, secret) {
				t.Errorf("%s: %s: met %v, error %q", mode, v.ID, v.Met, v.Error)
			}
		}
	}
}
