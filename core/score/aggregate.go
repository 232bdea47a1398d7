package score

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultResamples is the number of bootstrap resamples HealthBench uses.
const DefaultResamples = 1000

// Stats is one metric aggregated over examples the way HealthBench does
// (simple-evals healthbench_eval.py, _compute_clipped_stats).
type Stats struct {
	// Mean is the mean of the example values clipped to [0, 1].
	Mean float64
	// BootstrapStd is the population standard deviation of the clipped
	// means of Resamples resamples drawn with replacement.
	BootstrapStd float64
	// N is the number of example values.
	N int
}

// AggregateOptions controls the bootstrap.
type AggregateOptions struct {
	// Resamples is the number of bootstrap resamples; 0 means
	// DefaultResamples.
	Resamples int
	// Rand is the generator the resamples are drawn from. It is advanced,
	// so several calls sharing one Rand continue one stream, as
	// simple-evals' calls share numpy's global state. When nil, a fresh
	// NewRandomState(Seed) is used.
	Rand *RandomState
	// Seed seeds the generator when Rand is nil.
	Seed uint32
}

func (o *AggregateOptions) rand() *RandomState {
	if o.Rand != nil {
		return o.Rand
	}
	return NewRandomState(o.Seed)
}

func (o *AggregateOptions) resamples() int {
	if o.Resamples < 0 {
		panic("score: AggregateOptions.Resamples is negative")
	}
	if o.Resamples == 0 {
		return DefaultResamples
	}
	return o.Resamples
}

// clip01 is np.clip(x, 0, 1): NaN stays NaN.
func clip01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// Aggregate returns the HealthBench statistics of values:
//
//	Mean         = clip(mean(v), 0, 1)
//	BootstrapStd = std_pop{ clip(mean(v*_b), 0, 1) : b = 1..B }
//	N            = len(v)
//
// where each v*_b holds len(v) values drawn uniformly with replacement.
// Sums follow numpy's pairwise order and the draws are numpy's legacy
// MT19937 randint, so with opts.Seed = s the result equals, bit for bit in
// the cases tested,
//
//	np.random.seed(s)
//	_compute_clipped_stats(values, "mean"), _compute_clipped_stats(values, "bootstrap_std")
//
// from simple-evals healthbench_eval.py (the mean consumes no random draws).
// Values are per-example scores, not clipped individually; NaN values
// propagate to Mean and BootstrapStd.
//
// Aggregate panics if values is empty or opts.Resamples < 0.
func Aggregate(values []float64, opts AggregateOptions) Stats {
	if len(values) == 0 {
		panic("score: Aggregate: no values")
	}
	b := opts.resamples()
	rng := opts.rand()
	n := len(values)
	sample := make([]float64, n)
	means := make([]float64, b)
	for k := range means {
		for i := range sample {
			sample[i] = values[rng.Intn(n)]
		}
		means[k] = clip01(npMean(sample))
	}
	scratch := sample
	if len(scratch) < b {
		scratch = make([]float64, b)
	}
	return Stats{
		Mean:         clip01(npMean(values)),
		BootstrapStd: npStd(means, scratch[:b]),
		N:            n,
	}
}

// Metric is one named value of an aggregate report.
type Metric struct {
	Key   string
	Value float64
}

// Metrics is an aggregate report: HealthBench's flat metric dictionary in a
// fixed key order. Keys are "<name>", "<name>:bootstrap_std" and
// "<name>:n_samples".
type Metrics []Metric

// Get returns the value of key and whether it is present.
func (m Metrics) Get(key string) (float64, bool) {
	for _, e := range m {
		if e.Key == key {
			return e.Value, true
		}
	}
	return 0, false
}

// Map returns m as a map.
func (m Metrics) Map() map[string]float64 {
	out := make(map[string]float64, len(m))
	for _, e := range m {
		out[e.Key] = e.Value
	}
	return out
}

// MarshalJSON writes m as one JSON object with keys in order, formatting
// numbers as Python's json.dumps does for floats (shortest round-trip
// digits, "1.0" rather than "1") and ":n_samples" values as integers, so
// the output reads like the JSON simple-evals writes. NaN and ±Inf, which
// JSON cannot carry, are written as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	var b []byte
	b = append(b, '{')
	for i, e := range m {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, e.Key)
		b = append(b, ": "...)
		b = appendPyFloat(b, e.Value, strings.HasSuffix(e.Key, ":n_samples"))
	}
	b = append(b, '}')
	return b, nil
}

func appendPyFloat(b []byte, v float64, integer bool) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if integer && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	// Python's repr switches to exponent form below 1e-4 and from 1e16.
	var s string
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		s = strconv.FormatFloat(v, 'e', -1, 64) // "1e-05", "1.5e+16", as Python
	} else {
		s = strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
	}
	return append(b, s...)
}

// ExampleMetrics is one example's named values in the order simple-evals
// records them in SingleEvalResult.metrics (overall_score, then example
// tags, then rubric tags), plus its score.
type ExampleMetrics struct {
	// Score is SingleEvalResult.score, aggregated under the name "score";
	// nil when the example has none.
	Score   *float64
	Metrics []Metric
}

// HealthBenchExample returns the metrics simple-evals records for one
// graded example: "overall_score" (HealthBench), one entry per
// example-level tag holding a copy of the overall score, then one entry per
// rubric-level tag with positive points (HealthBenchTags) in order of first
// appearance. Score is the overall score. ok is false when the rubric has
// no positive points (simple-evals asserts it has). An example tag repeated
// in exampleTags is recorded once (simple-evals asserts there are none).
//
// HealthBenchExample panics if len(points), len(tags) and len(met) differ.
func HealthBenchExample(points []float64, tags [][]string, exampleTags []string, met []*bool) (ExampleMetrics, bool) {
	checkLen("HealthBenchExample", len(points), len(met))
	checkLen("HealthBenchExample", len(points), len(tags))
	overall, ok := HealthBench(points, met)
	if !ok {
		return ExampleMetrics{}, false
	}
	ms := make([]Metric, 1, 1+len(exampleTags)+8)
	ms[0] = Metric{"overall_score", overall}
	for _, t := range exampleTags {
		if !slices.ContainsFunc(ms, func(m Metric) bool { return m.Key == t }) {
			ms = append(ms, Metric{t, overall})
		}
	}
	for _, t := range tagOrder(tags) {
		if s, ok := tagScore(t, points, tags, met); ok {
			// A rubric tag equal to an example tag overwrites it, as
			// dict.update does in simple-evals.
			if j := slices.IndexFunc(ms, func(m Metric) bool { return m.Key == t }); j >= 0 {
				ms[j].Value = s
			} else {
				ms = append(ms, Metric{t, s})
			}
		}
	}
	return ExampleMetrics{Score: &overall, Metrics: ms}, true
}

// ReportOptions controls AggregateReport.
type ReportOptions struct {
	AggregateOptions
	// KeepScore keeps the "score" statistics in the report. simple-evals
	// pops "score" into EvalResult.score and leaves it out of the metrics
	// (it is still resampled, so it still advances the generator); some
	// forks write it out (the real report in shared/data has "score",
	// "score:bootstrap_std", "score:n_samples").
	KeepScore bool
}

// AggregateReport aggregates examples into HealthBench's metric dictionary,
// as simple-evals _aggregate_get_clipped_mean does: every name seen in any
// example is aggregated with Aggregate over the examples that have it, the
// names taken in order of first appearance (each example's metrics, then
// its score under "score") so the bootstrap draws come from one generator
// stream in the same order as numpy's. For each name the report has
// "<name>" (clipped mean), "<name>:n_samples" and "<name>:bootstrap_std".
// The result is sorted by key, as the published report files are.
//
// With opts.Seed = s and opts.Rand nil, the values equal
// np.random.seed(s); _aggregate_get_clipped_mean(results).metrics.
func AggregateReport(examples []ExampleMetrics, opts ReportOptions) Metrics {
	var order []string
	values := make(map[string][]float64)
	add := func(name string, v float64) {
		if _, ok := values[name]; !ok {
			order = append(order, name)
		}
		values[name] = append(values[name], v)
	}
	for _, ex := range examples {
		for _, m := range ex.Metrics {
			add(m.Key, m.Value)
		}
		if ex.Score != nil {
			add("score", *ex.Score)
		}
	}
	ao := opts.AggregateOptions
	ao.Rand = ao.rand()
	out := make(Metrics, 0, 3*len(order))
	for _, name := range order {
		st := Aggregate(values[name], ao)
		if name == "score" && !opts.KeepScore {
			continue
		}
		out = append(out,
			Metric{name, st.Mean},
			Metric{name + ":n_samples", float64(st.N)},
			Metric{name + ":bootstrap_std", st.BootstrapStd},
		)
	}
	slices.SortStableFunc(out, func(a, b Metric) int { return strings.Compare(a.Key, b.Key) })
	return out
}
