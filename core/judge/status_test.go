package judge

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Verdicts read back: the status as written, or, for records written
// before statuses existed, the one met (and a not-applicable reason in
// error) implies; a status that contradicts met is refused.
func TestVerdictJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     Verdict
		err      string
	}{
		{"met", `{"id":"a","met":true,"status":"met","judge":"rules"}`, Verdict{ID: "a", Met: Bool(true), Status: StatusMet, Judge: KindRules}, ""},
		{"unjudged", `{"id":"a","met":null,"status":"unjudged","judge":"llm","error":"grader request failed: HTTP 500"}`,
			Verdict{ID: "a", Status: StatusUnjudged, Judge: KindLLM, Error: "grader request failed: HTTP 500"}, ""},
		{"not-applicable", `{"id":"a","met":null,"status":"not_applicable","judge":"rules","explanation":"no checks"}`,
			Verdict{ID: "a", Status: StatusNotApplicable, Judge: KindRules, Explanation: "no checks"}, ""},
		{"legacy-met", `{"id":"a","met":false,"judge":"labels"}`, Verdict{ID: "a", Met: Bool(false), Status: StatusNotMet, Judge: KindLabels}, ""},
		{"legacy-failure", `{"id":"a","met":null,"judge":"llm","error":"grader request failed: remote: connection refused"}`,
			Verdict{ID: "a", Status: StatusUnjudged, Judge: KindLLM, Error: "grader request failed: remote: connection refused"}, ""},
		{"legacy-no-checks", `{"id":"a","met":null,"judge":"rules","error":"no checks"}`,
			Verdict{ID: "a", Status: StatusNotApplicable, Judge: KindRules, Error: "no checks"}, ""},
		{"legacy-no-label", `{"id":"a","met":null,"judge":"labels","error":"no label for criterion"}`,
			Verdict{ID: "a", Status: StatusNotApplicable, Judge: KindLabels, Error: "no label for criterion"}, ""},
		{"contradiction", `{"id":"a","met":false,"status":"met"}`, Verdict{}, `criterion "a": status "met" needs met true, got false`},
		{"unjudged-with-met", `{"id":"a","met":true,"status":"unjudged"}`, Verdict{}, `criterion "a": status "unjudged" needs met null, got true`},
		{"unknown", `{"id":"a","met":null,"status":"maybe"}`, Verdict{}, `criterion "a": unknown status "maybe" (valid: met, not_met, unjudged, not_applicable)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Verdict
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Settle fills in what met implies and keeps what a judge set.
func TestSettle(t *testing.T) {
	vs := []Verdict{{Met: Bool(true)}, {Met: Bool(false)}, {Error: "x"}, notApplicable("d", KindRules, ReasonNoChecks)}
	Settle(vs)
	got := []Status{vs[0].Status, vs[1].Status, vs[2].Status, vs[3].Status}
	want := []Status{StatusMet, StatusNotMet, StatusUnjudged, StatusNotApplicable}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(vs[3])
	if string(b) != `{"id":"d","met":null,"status":"not_applicable","judge":"rules","explanation":"no checks"}` {
		t.Errorf("wire form %s", b)
	}
}
