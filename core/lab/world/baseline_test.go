package world

import (
	"math/rand/v2"
	"testing"

	"github.com/rcsd-dev/rcsd/core/score"
)

// Figures for docs/lab.md: the held-out scores of answers written
// without the rubric (Guess: every slot guessed; the corpus's
// prompt-only answers: each criterion met with probability one half;
// Informed: every prompt-determined slot right) and of the reference,
// under HealthBench's rule (rcsd eval's default) and RaR's explicit
// rule. Informed is below the reference by what only the rubric says.
func TestBaselines(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		ho, _ := HeldOutTasks(Level(lv))
		rng := rand.New(rand.NewPCG(1, uint64(lv)))
		var sum [4][2]float64
		for _, tk := range ho {
			half := make([]bool, len(tk.Criteria))
			for i, c := range tk.Criteria {
				half[i] = (rng.IntN(2) == 0) != c.Kind.Negative()
			}
			for k, r := range []Rendered{tk.Guess(rng), tk.Write(rng, half), tk.Informed(rng), tk.Ref()} {
				m := make([]*bool, len(r.Met))
				for i := range r.Met {
					m[i] = &r.Met[i]
				}
				for j, rule := range []score.Rule{score.RuleHealthBench, score.RuleRaR} {
					s, ok := rule.Score(tk.Rubric.Criteria, m)
					if !ok {
						t.Fatalf("%s: no %s score", tk.ID, rule)
					}
					sum[k][j] += s
				}
			}
		}
		n := float64(len(ho))
		t.Logf("level %d held-out mean score (healthbench / rar): guess %.3f / %.3f, half %.3f / %.3f, informed %.3f / %.3f, reference %.3f / %.3f",
			lv, sum[0][0]/n, sum[0][1]/n, sum[1][0]/n, sum[1][1]/n, sum[2][0]/n, sum[2][1]/n, sum[3][0]/n, sum[3][1]/n)
		if inf := sum[2][0] / n; inf > 0.9 || lv > 1 && inf > 0.8 {
			t.Errorf("level %d: an answer from the prompt alone scores %.3f: the rubric adds too little", lv, inf)
		}
	}
}

// With no rubric-only criteria everything a rubric asks follows from
// the prompt: the informed answer meets every criterion (the knob that
// moves the ceiling of a student that never sees a rubric).
func TestNoRubricOnlyCeiling(t *testing.T) {
	d := Level(3)
	d.RubricOnly = 0
	g, err := NewGenerator(4, d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range scaled(1000) {
		tk := g.Task(Train, i)
		r := tk.Informed(rng)
		for k, c := range tk.Criteria {
			if r.Met[k] == c.Kind.Negative() {
				t.Fatalf("%s: informed answer: %s met=%v\n%s", tk.ID, c.Kind, r.Met[k], r.Text)
			}
		}
	}
}
