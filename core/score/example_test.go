package score

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

var (
	T = func() *bool { b := true; return &b }()
	F = func() *bool { b := false; return &b }()
	U *bool // unjudged
)

// All expected values in this file are hand derivations; the arithmetic is
// in each case's comment. Tolerance 1e-15 (the ratios are exact or one
// rounding away).
func TestHealthBench(t *testing.T) {
	tests := []struct {
		name   string
		points []float64
		met    []*bool
		want   float64
		ok     bool
	}{
		// (10 + 7) / (10 + 9 + 7 + 8) = 17/34.
		{"positive-only", []float64{10, 9, 7, 8}, []*bool{T, F, T, F}, 0.5, true},
		// (10 − 10) / (10 + 9 + 7) = 0: a met negative item subtracts.
		{"negative-met", []float64{10, 9, 7, -10}, []*bool{T, F, F, T}, 0, true},
		// −10 / 26: below zero, not clipped per example.
		{"below-zero", []float64{10, 9, 7, -10}, []*bool{F, F, F, T}, -10.0 / 26, true},
		// (10 + 9 + 7) / 26 = 1; the negative item is not met.
		{"all-good", []float64{10, 9, 7, -10}, []*bool{T, T, T, F}, 1, true},
		// Unjudged counts as not met: (9) / 26 for a nil first verdict.
		{"unjudged", []float64{10, 9, 7, -10}, []*bool{U, T, F, U}, 9.0 / 26, true},
		{"no-positive", []float64{-5, -1}, []*bool{T, F}, 0, false},
		{"empty", nil, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := HealthBench(tt.points, tt.met)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("HealthBench = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHealthBenchTags(t *testing.T) {
	points := []float64{10, 5, -4, -3, 6}
	tags := [][]string{
		{"axis:accuracy", "level:example"},
		{"axis:completeness", "level:example"},
		{"axis:accuracy", "level:example"},
		{"axis:safety"}, // only a negative item: omitted
		{"axis:completeness", "axis:completeness"},
	}
	met := []*bool{T, F, T, T, T}
	got := HealthBenchTags(points, tags, met)
	want := map[string]float64{
		"axis:accuracy":     (10.0 - 4) / 10, // items 0, 2
		"axis:completeness": 6.0 / 11,        // items 1, 4 (4's repeated tag once)
		"level:example":     (10.0 - 4) / 15, // items 0, 1, 2
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HealthBenchTags (-want +got):\n%s", diff)
	}
}

func TestHealthBenchExampleTags(t *testing.T) {
	points := []float64{10, 5, -4}
	tags := [][]string{{"axis:accuracy"}, {"axis:completeness"}, {"axis:accuracy", "theme:x"}}
	em, ok := HealthBenchExample(points, tags, []string{"theme:x", "physician_agreed_category:y"}, []*bool{T, F, F})
	if !ok {
		t.Fatal("not ok")
	}
	// overall = 10/15; example tags copy it; "theme:x" is also a rubric tag
	// with no positive points (only item 2), so it keeps the copy; the
	// rubric tags follow in first-appearance order.
	want := []Metric{
		{"overall_score", 10.0 / 15},
		{"theme:x", 10.0 / 15},
		{"physician_agreed_category:y", 10.0 / 15},
		{"axis:accuracy", 1},
		{"axis:completeness", 0},
	}
	if diff := cmp.Diff(want, em.Metrics); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

func TestRaR(t *testing.T) {
	tests := []struct {
		name    string
		weights []float64
		met     []*bool
		want    float64
		ok      bool
	}{
		// (5 + 3) / (5 + 3 + 1) = 8/9.
		{"positive", []float64{5, 3, 1}, []*bool{T, T, F}, 8.0 / 9, true},
		// Σw = 5 + 3 − 2 = 6 over all weights; pitfall met: (5 − 2)/6.
		{"pitfall-met", []float64{5, 3, -2}, []*bool{T, F, T}, 3.0 / 6, true},
		// Pitfall avoided: 8/6 > 1; RaR's explicit form is not bounded.
		{"pitfall-avoided", []float64{5, 3, -2}, []*bool{T, T, F}, 8.0 / 6, true},
		{"sum-zero", []float64{2, -2}, []*bool{T, F}, 0, false},
		{"sum-negative", []float64{1, -2}, []*bool{T, F}, 0, false},
		{"unjudged", []float64{5, 3, 1}, []*bool{U, T, U}, 3.0 / 9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RaR(tt.weights, tt.met)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("RaR = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRaRCategory(t *testing.T) {
	E, I, O, P := rubric.CategoryEssential, rubric.CategoryImportant, rubric.CategoryOptional, rubric.CategoryPitfall
	tests := []struct {
		name string
		cats []rubric.Category
		met  []*bool
		want float64
		ok   bool
	}{
		// Σw = 1 + 0.7 + 0.3 + 0.9 = 2.9. Pitfall not met = avoided, credited.
		// (1 + 0.3 + 0.9) / 2.9.
		{"pitfall-avoided", []rubric.Category{E, I, O, P}, []*bool{T, F, T, F}, 2.2 / 2.9, true},
		// Pitfall met = present: (1 + 0.3) / 2.9.
		{"pitfall-present", []rubric.Category{E, I, O, P}, []*bool{T, F, T, T}, 1.3 / 2.9, true},
		// Everything good: 1.
		{"all-good", []rubric.Category{E, I, O, P}, []*bool{T, T, T, F}, 1, true},
		// An unjudged pitfall counts as not met, hence avoided: 0.9 / 1.9.
		{"unjudged-pitfall", []rubric.Category{E, P}, []*bool{F, U}, 0.9 / 1.9, true},
		{"uncategorised", []rubric.Category{E, rubric.CategoryNone}, []*bool{T, T}, 0, false},
		{"empty-category", []rubric.Category{""}, []*bool{T}, 0, false},
		{"empty", nil, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RaRCategory(tt.cats, tt.met)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("RaRCategory = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestResearchRubrics(t *testing.T) {
	tests := []struct {
		name    string
		weights []float64
		met     []*bool
		want    float64
	}{
		// (4 − 2) / (4 + 1) = 0.4: negative weights only in the numerator.
		{"mixed", []float64{4, 1, -2}, []*bool{T, F, T}, 0.4},
		// No positive weight: 0, as calculate_compliance_score.py returns.
		{"no-positive", []float64{-1, -2}, []*bool{T, T}, 0},
		{"empty", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResearchRubrics(tt.weights, tt.met); math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("ResearchRubrics = %v, want %v", got, tt.want)
			}
		})
	}
	// Graded: (0.5·4 + 1·1 − 1·2) / 5 = 0.2.
	if got := ResearchRubricsGraded([]float64{4, 1, -2}, []float64{0.5, 1, 1}); math.Abs(got-0.2) > 1e-15 {
		t.Errorf("ResearchRubricsGraded = %v, want 0.2", got)
	}
}

func TestWeightedPositive(t *testing.T) {
	// (4) / (4 + 1); the −2 criterion is ignored whether met or not.
	got, ok := WeightedPositive([]float64{4, 1, -2}, []*bool{T, F, T})
	if !ok || math.Abs(got-0.8) > 1e-15 {
		t.Errorf("WeightedPositive = %v, %v; want 0.8, true", got, ok)
	}
	if _, ok := WeightedPositive([]float64{0, -1}, []*bool{T, T}); ok {
		t.Error("WeightedPositive with no positive weight: ok = true")
	}
}

func TestUnjudged(t *testing.T) {
	if got := Unjudged([]*bool{T, U, F, U}); got != 2 {
		t.Errorf("Unjudged = %d, want 2", got)
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	fs := map[string]func(){
		"HealthBench":      func() { HealthBench([]float64{1}, nil) },
		"HealthBenchTags":  func() { HealthBenchTags([]float64{1}, nil, []*bool{T}) },
		"RaR":              func() { RaR([]float64{1}, nil) },
		"RaRCategory":      func() { RaRCategory([]rubric.Category{"essential"}, nil) },
		"ResearchRubrics":  func() { ResearchRubrics([]float64{1}, nil) },
		"WeightedPositive": func() { WeightedPositive([]float64{1}, nil) },
		"Rule.Score":       func() { RuleRaR.Score([]rubric.Criterion{{}}, nil) },
		"invalid rule":     func() { Rule("x").Score(nil, nil) },
		"Aggregate empty":  func() { Aggregate(nil, AggregateOptions{}) },
	}
	for name, f := range fs {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			f()
		})
	}
}

func TestTree(t *testing.T) {
	// Hand: leaf scores 1, 0, 1 under weights 1, 1, 2 → (1 + 0 + 2)/4 =
	// 0.75; root: (3·0.75 + 1·0)/4 = 0.5625; a zero-weight parent scores 0.
	tree := Node{Children: []Node{
		{Weight: 3, Children: []Node{{Weight: 1, Score: 1}, {Weight: 1, Score: 0}, {Weight: 2, Score: 1}}},
		{Weight: 1, Children: []Node{{Weight: 0, Score: 1}}},
	}}
	if got := tree.Eval(); got != 0.5625 {
		t.Errorf("Eval = %v, want 0.5625", got)
	}
}
