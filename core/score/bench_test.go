package score

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// benchItems builds items × 12-criterion rubrics with verdicts, the batch
// evaluator's shape.
func benchItems(items int) ([][]rubric.Criterion, [][]*bool) {
	r := rand.New(rand.NewPCG(7, 8))
	crit := make([][]rubric.Criterion, items)
	met := make([][]*bool, items)
	for i := range crit {
		crit[i], met[i] = randomRubric(r, 12)
	}
	return crit, met
}

var sink float64

// BenchmarkRuleScore reports criteria scored per second; it must not
// allocate.
func BenchmarkRuleScore(b *testing.B) {
	for _, items := range []int{10, 1000, 100000} {
		crit, met := benchItems(items)
		for _, rule := range []Rule{RuleHealthBench, RuleRaRCategory} {
			b.Run(string(rule)+"/items="+strconv.Itoa(items), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for i := range crit {
						s, _ := rule.Score(crit[i], met[i])
						sink += s
					}
				}
				b.ReportMetric(float64(items*12)*float64(b.N)/b.Elapsed().Seconds(), "criteria/s")
			})
		}
	}
}

func BenchmarkAggregate(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		v := referenceValues("uniform", n)
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink += Aggregate(v, AggregateOptions{Seed: 1}).BootstrapStd
			}
			b.ReportMetric(float64(n*DefaultResamples)*float64(b.N)/b.Elapsed().Seconds(), "draws/s")
		})
	}
}

func BenchmarkGRPOBatch(b *testing.B) {
	for _, n := range []int{64, 4096, 262144} {
		v := referenceValues("uniform", n)
		dst := make([]float64, n)
		b.Run("rewards="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				GRPOBatch(dst, v, 8, TRL(ScaleGroup))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rewards/s")
		})
	}
}

func TestRuleScoreAllocs(t *testing.T) {
	crit, met := benchItems(100)
	for _, rule := range Rules {
		n := testing.AllocsPerRun(10, func() {
			for i := range crit {
				s, _ := rule.Score(crit[i], met[i])
				sink += s
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocs per 100 items, want 0", rule, n)
		}
	}
}
