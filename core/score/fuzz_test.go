package score

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// decodeRubric turns fuzz bytes into criteria: per 3 bytes, a weight in
// [−128, 127]/8, a category and a verdict (met, not met, unjudged).
func decodeRubric(b []byte) ([]rubric.Criterion, []*bool) {
	cats := []rubric.Category{"essential", "important", "optional", "pitfall", "none", ""}
	pols := []rubric.Polarity{"", rubric.Positive, rubric.Negative}
	var crit []rubric.Criterion
	var met []*bool
	for len(b) >= 3 {
		c := rubric.Criterion{
			Weight:   float64(int8(b[0])) / 8,
			Category: cats[int(b[1]&0x0f)%len(cats)],
			Polarity: pols[int(b[1]>>4)%len(pols)],
		}
		crit = append(crit, c)
		switch b[2] % 3 {
		case 0:
			met = append(met, T)
		case 1:
			met = append(met, F)
		default:
			met = append(met, nil)
		}
		b = b[3:]
	}
	return crit, met
}

// FuzzRuleScore: no rule ever returns NaN or ±Inf for finite weights, a
// score without OK is 0 with a reason (except research, always OK), and the
// bounded rules stay in their documented ranges.
func FuzzRuleScore(f *testing.F) {
	f.Add([]byte{80, 0, 0, 40, 1, 1, 0xf0, 0x23, 0})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0x80, 3, 2, 0x7f, 0x13, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		crit, met := decodeRubric(b)
		for _, r := range Rules {
			res := r.ScoreDetail(crit, met)
			if math.IsNaN(res.Score) || math.IsInf(res.Score, 0) {
				t.Fatalf("%s: score %v", r, res.Score)
			}
			if !res.OK && (res.Score != 0 || res.Reason == "") {
				t.Fatalf("%s: not OK but %+v", r, res)
			}
			if res.OK && (r == RuleWeighted || r == RuleRaRCategory) && (res.Score < 0 || res.Score > 1) {
				t.Fatalf("%s: score %v out of [0,1]", r, res.Score)
			}
			if res.OK && r == RuleHealthBench && res.Score > 1 {
				t.Fatalf("healthbench: score %v > 1", res.Score)
			}
		}
	})
}

// FuzzGRPO: finite rewards give finite advantages under every convention,
// and a group of one gives the documented values.
func FuzzGRPO(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Fuzz(func(t *testing.T, b []byte) {
		var x []float64
		for len(b) >= 8 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
				continue
			}
			x = append(x, v)
		}
		if len(x) == 0 {
			return
		}
		for _, conv := range []Convention{TRL(ScaleGroup), TRL(ScaleBatch), TRL(ScaleNone), Verl(true), Verl(false)} {
			a := GRPO(nil, x, conv)
			for i, v := range a {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%v: A[%d] = %v for %v", conv, i, v, x)
				}
			}
			if len(x) == 1 {
				want := 0.0
				if conv.Framework == FrameworkVerl {
					want = x[0]
					if conv.Scale != ScaleNone {
						want = x[0] / (1 + conv.Epsilon)
					}
				}
				if a[0] != want {
					t.Fatalf("%v singleton: %v, want %v", conv, a[0], want)
				}
			}
		}
	})
}
