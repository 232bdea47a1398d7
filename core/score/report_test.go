package score

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// graded30 is testdata/healthbench_first30_graded.json: the rubrics (points
// and tags) and example tags of the first 30 HealthBench rows, synthetic
// verdicts, and the per-example metrics and aggregate reports
// gen_reference.py computed for them with numpy 1.24.2.
type graded30 struct {
	Examples []struct {
		PromptID    string   `json:"prompt_id"`
		ExampleTags []string `json:"example_tags"`
		Rubrics     []struct {
			Points float64  `json:"points"`
			Tags   []string `json:"tags"`
		} `json:"rubrics"`
		Met         []bool  `json:"met"`
		WantMetrics [][]any `json:"want_metrics"`
	} `json:"examples"`
	WantReports map[string]map[string]float64 `json:"want_reports"`
}

func loadGraded30(t *testing.T) graded30 {
	t.Helper()
	b, err := os.ReadFile("testdata/healthbench_first30_graded.json")
	if err != nil {
		t.Fatal(err)
	}
	var g graded30
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Examples) != 30 {
		t.Fatalf("fixture has %d examples, want 30", len(g.Examples))
	}
	return g
}

func boolPtrs(bs []bool) []*bool {
	out := make([]*bool, len(bs))
	for i := range bs {
		out[i] = &bs[i]
	}
	return out
}

func graded30Examples(t *testing.T, g graded30) []ExampleMetrics {
	t.Helper()
	var exs []ExampleMetrics
	for _, e := range g.Examples {
		points := make([]float64, len(e.Rubrics))
		tags := make([][]string, len(e.Rubrics))
		for i, r := range e.Rubrics {
			points[i], tags[i] = r.Points, r.Tags
		}
		em, ok := HealthBenchExample(points, tags, e.ExampleTags, boolPtrs(e.Met))
		if !ok {
			t.Fatalf("%s: no positive points", e.PromptID)
		}
		exs = append(exs, em)
	}
	return exs
}

// TestHealthBenchExampleMatchesSimpleEvals compares every example's metric
// names, order and values with gen_reference.py's restatement of
// simple-evals grade_sample, to 1e-12.
func TestHealthBenchExampleMatchesSimpleEvals(t *testing.T) {
	g := loadGraded30(t)
	exs := graded30Examples(t, g)
	for i, e := range g.Examples {
		got := exs[i].Metrics
		if len(got) != len(e.WantMetrics) {
			t.Errorf("%s: %d metrics, want %d", e.PromptID, len(got), len(e.WantMetrics))
			continue
		}
		for j, w := range e.WantMetrics {
			key, val := w[0].(string), w[1].(float64)
			if got[j].Key != key || math.Abs(got[j].Value-val) > 1e-12 {
				t.Errorf("%s metric %d = %s %v, want %s %v", e.PromptID, j, got[j].Key, got[j].Value, key, val)
			}
		}
		if *exs[i].Score != got[0].Value {
			t.Errorf("%s: Score %v != overall_score %v", e.PromptID, *exs[i].Score, got[0].Value)
		}
	}
}

// TestAggregateReportMatchesSimpleEvals checks the whole report (every
// key, n_samples, clipped means and bootstrap stds) against
// np.random.seed(seed); _aggregate_get_clipped_mean(...) as restated in
// gen_reference.py, with "score" kept as the fork's report in shared/data
// keeps it, to 1e-12.
func TestAggregateReportMatchesSimpleEvals(t *testing.T) {
	g := loadGraded30(t)
	exs := graded30Examples(t, g)
	for seed, want := range g.WantReports {
		t.Run("seed"+seed, func(t *testing.T) {
			var s uint32
			if seed == "12345" {
				s = 12345
			}
			got := AggregateReport(exs, ReportOptions{AggregateOptions: AggregateOptions{Seed: s}, KeepScore: true})
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			gotKeys := make([]string, len(got))
			for i, m := range got {
				gotKeys[i] = m.Key
			}
			if diff := cmp.Diff(keys, gotKeys); diff != "" {
				t.Fatalf("keys (-want +got):\n%s", diff)
			}
			for _, m := range got {
				if math.Abs(m.Value-want[m.Key]) > 1e-12 {
					t.Errorf("%s = %v, want %v", m.Key, m.Value, want[m.Key])
				}
			}
		})
	}
}

// Without KeepScore the report drops "score" but its resampling still
// consumes draws, so every other value is unchanged.
func TestAggregateReportDropsScore(t *testing.T) {
	g := loadGraded30(t)
	exs := graded30Examples(t, g)
	kept := AggregateReport(exs, ReportOptions{KeepScore: true}).Map()
	got := AggregateReport(exs, ReportOptions{})
	if len(got) != len(kept)-3 {
		t.Fatalf("%d metrics, want %d", len(got), len(kept)-3)
	}
	for _, m := range got {
		if strings.HasPrefix(m.Key, "score") {
			t.Errorf("unexpected key %s", m.Key)
		}
		if kept[m.Key] != m.Value {
			t.Errorf("%s = %v, with KeepScore %v", m.Key, m.Value, kept[m.Key])
		}
	}
}

// TestReportKeysLikeRealOutput checks our key layout against the real
// HealthBench report in shared/data (5,000 examples, llama-4-maverick;
// copied key names only, in testdata/maverick_keys.txt): every key there is
// "<name>", "<name>:bootstrap_std" or "<name>:n_samples" for the same
// name set, which is exactly what AggregateReport emits per name; and the
// names our fixture produces are a subset of the real ones (the 30 rows
// do not carry every tag).
func TestReportKeysLikeRealOutput(t *testing.T) {
	b, err := os.ReadFile("testdata/maverick_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	real := strings.Fields(string(b))
	realSet := make(map[string]bool, len(real))
	for _, k := range real {
		realSet[k] = true
	}
	if !sort.StringsAreSorted(real) {
		t.Errorf("real report keys are not sorted")
	}
	for _, k := range real {
		if strings.HasSuffix(k, ":bootstrap_std") || strings.HasSuffix(k, ":n_samples") {
			continue
		}
		for _, suf := range []string{":bootstrap_std", ":n_samples"} {
			if !realSet[k+suf] {
				t.Errorf("real report has %s but not %s", k, k+suf)
			}
		}
	}
	g := loadGraded30(t)
	got := AggregateReport(graded30Examples(t, g), ReportOptions{KeepScore: true})
	for _, m := range got {
		if !realSet[m.Key] {
			t.Errorf("our key %q is not in the real report", m.Key)
		}
	}
	for _, k := range []string{"overall_score", "overall_score:bootstrap_std", "overall_score:n_samples", "axis:accuracy", "level:example", "score"} {
		if _, ok := got.Get(k); !ok {
			t.Errorf("missing %s", k)
		}
	}
}

func TestMetricsMarshalJSON(t *testing.T) {
	m := Metrics{
		{"axis:accuracy", 0.4168609965499118},
		{"axis:accuracy:bootstrap_std", 0.0},
		{"axis:accuracy:n_samples", 4150},
		{"tiny", 1.5e-05},
		{"one", 1},
		{"nan", math.NaN()},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// Python: json.dumps({"axis:accuracy": 0.4168609965499118, "axis:accuracy:bootstrap_std": 0.0,
	//   "axis:accuracy:n_samples": 4150, "tiny": 1.5e-05, "one": 1.0}) (NaN aside).
	want := `{"axis:accuracy":0.4168609965499118,"axis:accuracy:bootstrap_std":0.0,"axis:accuracy:n_samples":4150,"tiny":1.5e-05,"one":1.0,"nan":null}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
