package judge

import (
	"github.com/rcsd-dev/rcsd/internal/shareddata"

	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

func lexConf(c float64) *float64 { return &c }

const lexPrefix = "heuristic (lexical term overlap): "

// Hand derivations for a three-criterion rubric (N = 3). Key terms after
// stop words and stemming:
//
//	c1 "Recommends oral rehydration salts for diarrhoea."  recommend, oral, rehydrat, salt, diarrhoea
//	c2 "Advises seeing a doctor if fever exceeds 39 °C."   advis, see, doctor, fever, exceed, 39 (number)
//	c3 "Does not recommend antibiotics."                  recommend, antibiotic (negated)
//
// w = ln(1 + N/df): "recommend" is in two criteria, w = ln 2.5; every
// other term is in one, w = ln 4; the number 39 gets 1.5·ln 4.
//
// c1: found oral, rehydrat, salt, all in sentence 1: G = L = 3 ln4 /
// (4 ln4 + ln2.5) = 0.643644; met; confidence 0.5 + 0.5·0.143644/0.5 = 0.644.
// c2: found see, doctor, fever, 39 in sentence 2: G = L = (3 + 1.5)/(5 +
// 1.5) = 9/13 = 0.692308; met; confidence 0.692.
// c3: found antibiotic in sentence 3: G = L = ln4 / (ln4 + ln2.5) =
// log10(4) = 0.602060 ≥ 0.5, so the (negated) criterion is not met;
// confidence 0.602. That is the documented blind spot: the response says
// antibiotics are not needed, which a grader would count as meeting c3.
func TestLexicalRubric(t *testing.T) {
	r := &rubric.Rubric{Criteria: []rubric.Criterion{
		{ID: "c1", Description: "Recommends oral rehydration salts for diarrhoea.", Weight: 5},
		{ID: "c2", Description: "Advises seeing a doctor if fever exceeds 39 °C.", Weight: 5},
		{ID: "c3", Description: "Does not recommend antibiotics.", Weight: 5},
	}}
	const resp = "Give oral rehydration salts after each loose stool. See a doctor if the fever is above 39 °C. Antibiotics are not usually needed."
	got := NewLexical().Judge(context.Background(), &Input{Response: resp, Rubric: r})
	want := []Verdict{
		{
			ID: "c1", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.644), Heuristic: true,
			Evidence:    evAt(resp, "Give oral rehydration salts after each loose stool."),
			Explanation: lexPrefix + "score 0.64 (threshold 0.50); matched: oral, rehydration, salts; missed: recommends, diarrhoea",
		},
		{
			ID: "c2", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.692), Heuristic: true,
			Evidence:    evAt(resp, "See a doctor if the fever is above 39 °C."),
			Explanation: lexPrefix + "score 0.69 (threshold 0.50); matched: seeing, doctor, fever, 39; missed: advises, exceeds",
		},
		{
			ID: "c3", Met: Bool(false), Judge: KindLexical, Confidence: lexConf(0.602), Heuristic: true,
			Evidence: evAt(resp, "Antibiotics are not usually needed."),
			Explanation: lexPrefix + "score 0.60 (threshold 0.50); matched: antibiotics; missed: recommend; " +
				"criterion is phrased negatively, so it is met when its terms are absent",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Single-criterion rubrics: N = 1, so every word term weighs ln 2 and a
// number or formula 1.5·ln 2; the score is a plain weighted fraction.
func TestLexicalCases(t *testing.T) {
	tests := []struct {
		name string
		lex  *Lexical
		crit rubric.Criterion
		resp string
		want Verdict
	}{
		{
			// "dosing" and "dose" both stem to "dos"; score 1, confidence
			// 0.5 + 0.5·0.5/0.5 = 1 capped at 0.9.
			name: "title-when-no-description",
			crit: rubric.Criterion{ID: "x", Title: "Ibuprofen dosing"},
			resp: "Ibuprofen dose is 400 mg.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.9), Heuristic: true,
				Evidence:    &Evidence{0, 25, "Ibuprofen dose is 400 mg."},
				Explanation: lexPrefix + "score 1.00 (threshold 0.50); matched: ibuprofen, dosing"},
		},
		{
			// One key term: confidence capped at 0.7.
			name: "single-term-cap",
			crit: rubric.Criterion{ID: "x", Description: "Mentions ibuprofen."},
			resp: "Ibuprofen helps.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.7), Heuristic: true,
				Evidence:    &Evidence{0, 16, "Ibuprofen helps."},
				Explanation: lexPrefix + "score 1.00 (threshold 0.50); matched: ibuprofen"},
		},
		{
			// Found aspirin, pain of recommend, aspirin, pain: 2/3. The best
			// sentence is negated ("not"): met, but confidence capped at 0.6.
			name: "negated-sentence-cap",
			crit: rubric.Criterion{ID: "x", Description: "Recommends aspirin for pain."},
			resp: "Do not take aspirin for pain.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.6), Heuristic: true,
				Evidence: &Evidence{0, 29, "Do not take aspirin for pain."},
				Explanation: lexPrefix + "score 0.67 (threshold 0.50); matched: aspirin, pain; missed: recommends; " +
					"the best sentence contains a negation, so the match may mean the opposite"},
		},
		{
			// The "Pitfall Criteria:" prefix is dropped and "Avoids …" makes it
			// negated: no term found, score 0, met; confidence 1 capped at 0.9;
			// no sentence matched, so no evidence.
			name: "negated-criterion-absent",
			crit: rubric.Criterion{ID: "x", Description: "Pitfall Criteria: Avoids recommending antibiotics."},
			resp: "Rest and fluids help.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.9), Heuristic: true,
				Explanation: lexPrefix + "score 0.00 (threshold 0.50); missed: recommending, antibiotics; " +
					"criterion is phrased negatively, so it is met when its terms are absent"},
		},
		{
			// Terms advis (ln2), dos (ln2), "500 mg" (1.5 ln2). 0.5 g = 500 mg
			// is found: 1.5/3.5 = 0.428571, not met; confidence
			// 0.5 + 0.5·0.071429/0.5 = 0.571.
			name: "number-with-unit-converted",
			crit: rubric.Criterion{ID: "x", Description: "Advises a dose of 500 mg."},
			resp: "Give 0.5 g twice daily.",
			want: Verdict{ID: "x", Met: Bool(false), Judge: KindLexical, Confidence: lexConf(0.571), Heuristic: true,
				Evidence:    &Evidence{0, 23, "Give 0.5 g twice daily."},
				Explanation: lexPrefix + "score 0.43 (threshold 0.50); matched: 500 mg; missed: advises, dose"},
		},
		{
			// A formula is matched with white space removed: "F = m a" has F=ma.
			name: "formula",
			crit: rubric.Criterion{ID: "x", Description: "States that F=ma."},
			resp: "Newton: F = m a.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.7), Heuristic: true,
				Evidence:    &Evidence{0, 16, "Newton: F = m a."},
				Explanation: lexPrefix + "score 1.00 (threshold 0.50); matched: F=ma"},
		},
		{
			// G = 1 (both found), L = 1/2 (one per sentence): score 0.75;
			// confidence 0.75. Of equally good sentences the first is evidence.
			name: "scattered-terms-count-less",
			crit: rubric.Criterion{ID: "x", Description: "Mentions fever and rash."},
			resp: "Fever started Monday. A rash followed.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.75), Heuristic: true,
				Evidence:    &Evidence{0, 21, "Fever started Monday."},
				Explanation: lexPrefix + "score 0.75 (threshold 0.50); matched: fever, rash"},
		},
		{
			// Score 1/3 against threshold 0.7: not met, confidence
			// 0.5 + 0.5·(0.7 − 1/3)/0.7 = 0.761905.
			name: "custom-threshold",
			lex:  &Lexical{Threshold: 0.7},
			crit: rubric.Criterion{ID: "x", Description: "Recommends rest and fluids."},
			resp: "Rest well.",
			want: Verdict{ID: "x", Met: Bool(false), Judge: KindLexical, Confidence: lexConf(0.762), Heuristic: true,
				Evidence:    &Evidence{0, 10, "Rest well."},
				Explanation: lexPrefix + "score 0.33 (threshold 0.70); matched: rest; missed: recommends, fluids"},
		},
		{
			// The zero value (and any threshold outside (0, 1)) uses 0.5.
			name: "zero-value-threshold",
			lex:  &Lexical{Threshold: 1.5},
			crit: rubric.Criterion{ID: "x", Description: "Recommends rest and fluids."},
			resp: "Rest well.",
			want: Verdict{ID: "x", Met: Bool(false), Judge: KindLexical, Confidence: lexConf(0.667), Heuristic: true,
				Evidence:    &Evidence{0, 10, "Rest well."},
				Explanation: lexPrefix + "score 0.33 (threshold 0.50); matched: rest; missed: recommends, fluids"},
		},
		{
			// Numbers are scanned per sentence; "x−1" (Unicode minus after a
			// letter) once hung the scan. Terms valu (ln2) and the number 1
			// (1.5 ln2); the number is found: 1.5/2.5 = 0.6, met, confidence
			// 0.5 + 0.5·0.1/0.5 = 0.6.
			name: "unicode-minus-in-response",
			crit: rubric.Criterion{ID: "x", Description: "Gives the value 1."},
			resp: "So x−1 is it.",
			want: Verdict{ID: "x", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.6), Heuristic: true,
				Evidence:    &Evidence{0, 15, "So x−1 is it."},
				Explanation: lexPrefix + "score 0.60 (threshold 0.50); matched: 1; missed: value"},
		},
		{
			name: "no-key-terms",
			crit: rubric.Criterion{ID: "x", Description: "The response is clear and correct."},
			resp: "Anything.",
			want: Verdict{ID: "x", Judge: KindLexical, Heuristic: true, Status: StatusNotApplicable, Explanation: "no key terms in criterion"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.lex
			if l == nil {
				l = NewLexical()
			}
			got := l.Judge(context.Background(), &Input{Response: tt.resp, Rubric: &rubric.Rubric{Criteria: []rubric.Criterion{tt.crit}}})
			if diff := cmp.Diff([]Verdict{tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			checkEvidenceSlices(t, tt.resp, got)
		})
	}
}

// The real HealthBench row (the first 8 criteria of row 4 of
// healthbench_oss_eval_first30.jsonl in ../shared/data and its
// physician-written ideal completion, values unchanged; public data, read
// when the test runs and never committed).
//
// c5 is derived by hand. Terms of "Clearly directs the user to consult
// their doctor for medication decisions.": direct, consult, doctor,
// medicat, decision. Over the 8 criteria, df(consult) = 2 (c2
// "consulting"), df(medicat) = 4 (c1, c2, c4, c5), the rest 1; N = 8, so
// w = ln 9, ln 5, ln 9, ln 3, ln 9 (sum 9.299724). All but "direct" occur:
// G = (ln5 + 2 ln9 + ln3)/9.299724 = 0.763732. The best sentence, the
// first, holds medicat, decision, doctor: L = (ln3 + 2 ln9)/9.299724 =
// 0.590669. Score 0.677201: met, confidence 0.677.
//
// The other verdicts are the judge's output at the time of writing
// (regression values, each read against the response): the physician's
// answer meets c4, c5 and misses c1, c2, c6, c7, c8 by word overlap, which
// shows the heuristic's limits (a grader would likely give c2 and c7).
func TestLexicalHealthBenchRow(t *testing.T) {
	var hb struct {
		Rubrics []struct {
			Criterion string  `json:"criterion"`
			Points    float64 `json:"points"`
		} `json:"rubrics"`
		Ideal struct {
			Completion string `json:"ideal_completion"`
		} `json:"ideal_completions_data"`
	}
	if err := json.Unmarshal(shareddata.HealthBenchRow(t, 3), &hb); err != nil {
		t.Fatal(err)
	}
	criteria, err := json.Marshal(hb.Rubrics[:8])
	if err != nil {
		t.Fatal(err)
	}
	row := struct{ Response string }{hb.Ideal.Completion}
	r, dl := rubric.FromJSON(criteria)
	if dl.HasErrors() || r == nil || len(r.Criteria) != 8 {
		t.Fatalf("FromJSON: %v", dl)
	}
	got := NewLexical().Judge(context.Background(), &Input{Response: row.Response, Rubric: r})
	checkEvidenceSlices(t, row.Response, got)
	wantMet := []bool{false, false, false, true, true, false, false, false}
	for i, v := range got {
		if v.ID != r.Criteria[i].ID || v.Judge != KindLexical || !v.Heuristic || v.Error != "" || v.Met == nil || v.Confidence == nil {
			t.Errorf("verdict %d malformed: %+v", i, v)
			continue
		}
		if *v.Met != wantMet[i] {
			t.Errorf("%s: met = %v, want %v (%s)", v.ID, *v.Met, wantMet[i], v.Explanation)
		}
		if c := *v.Confidence; c < 0.5 || c > 0.9 {
			t.Errorf("%s: confidence %v outside [0.5, 0.9]", v.ID, c)
		}
	}
	const first = "Deciding whether to start medication is an important decision that should be made in consultation with your doctor."
	want5 := Verdict{
		ID: "c5", Met: Bool(true), Judge: KindLexical, Confidence: lexConf(0.677), Heuristic: true,
		Evidence:    &Evidence{0, len(first), first},
		Explanation: lexPrefix + "score 0.68 (threshold 0.50); matched: consult, doctor, medication, decisions; missed: directs",
	}
	if diff := cmp.Diff(want5, got[4]); diff != "" {
		t.Errorf("c5 (-want +got):\n%s", diff)
	}
	// The hand derivation above, recomputed, for its arithmetic.
	total := 3*math.Log(9) + math.Log(5) + math.Log(3)
	score := ((math.Log(5)+2*math.Log(9)+math.Log(3))/total + (math.Log(3)+2*math.Log(9))/total) / 2
	if math.Abs(score-0.677201) > 1e-6 {
		t.Errorf("hand derivation arithmetic: score %v", score)
	}
}

func TestSplitSentences(t *testing.T) {
	type sent struct {
		Text    string
		Negated bool
	}
	tests := []struct {
		in   string
		want []sent
	}{
		{"Dr. Smith said never. Take 2.5 mg, e.g. twice!\nRest?  Yes", []sent{
			{"Dr. Smith said never.", true}, {"Take 2.5 mg, e.g. twice!", false}, {"Rest?", false}, {"Yes", false}}},
		// "no" is on the abbreviation list (as in "No. 5"), so a sentence
		// ending in "no." runs on into the next: a trade-off of the list.
		{"The answer is no. Rest at home.", []sent{{"The answer is no. Rest at home.", true}}},
		{"Line one\nline two\r\n\nend.", []sent{{"Line one", false}, {"line two", false}, {"end.", false}}},
		{"Version 1.2.3 is out. Use it (cf. the notes).", []sent{{"Version 1.2.3 is out.", false}, {"Use it (cf. the notes).", false}}},
	}
	for _, tt := range tests {
		var got []sent
		for _, ls := range splitSentences(tt.in) {
			got = append(got, sent{tt.in[ls.start:ls.end], ls.negated})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("splitSentences(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if got := splitSentences(" \n\t "); len(got) != 0 {
		t.Errorf("blank text gave %d sentences", len(got))
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"recommends", "recommend"},
		{"recommended", "recommend"},
		{"recommending", "recommend"},
		{"hydration", "hydrat"},
		{"hydrate", "hydrat"},
		{"medications", "medicat"},
		{"therapies", "therapy"},
		{"classes", "class"},
		{"stopped", "stop"},
		{"running", "run"},
		{"falling", "fall"}, // l is not undoubled
		{"quickly", "quick"},
		{"diagnosis", "diagnosis"},
		{"virus", "virus"},
		{"pass", "pass"},
		{"dose", "dos"},
		{"dosing", "dos"},
		{"see", "see"},
	}
	for _, tt := range tests {
		if got := stem(tt.in); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
