package world

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/score"
)

// tasksFor returns n train and n held-out-split tasks (train from the
// generator, held-out drawn by index too) at level lv.
func tasksFor(t testing.TB, lv, n int, seed uint64) []*Task {
	t.Helper()
	g, err := NewGenerator(seed, Level(lv))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*Task, 0, 2*scaled(n))
	for i := range scaled(n) {
		out = append(out, g.Task(Train, i), g.Task(HeldOut, i))
	}
	return out
}

// judged runs the rules judge on text for t's rubric.
func judged(t *Task, text string) []judge.Verdict {
	return judge.NewRules().Judge(context.Background(), &judge.Input{Rubric: t.Rubric, Response: text})
}

func mets(vs []judge.Verdict) []*bool {
	out := make([]*bool, len(vs))
	for i := range vs {
		out[i] = vs[i].Met
	}
	return out
}

// checkAgrees fails unless the judge's verdicts equal r.Met and every
// criterion the answer meets with evidence has its evidence exactly at
// the slot Render recorded.
func checkAgrees(t *testing.T, tk *Task, r Rendered, what string) bool {
	t.Helper()
	vs := judged(tk, r.Text)
	for i, v := range vs {
		k := tk.Criteria[i].Kind
		if v.Met == nil {
			t.Errorf("%s %s: %s: not judged: %s", tk.ID, what, k, v.Error)
			return false
		}
		if *v.Met != r.Met[i] {
			t.Errorf("%s %s: %s: judge says met=%v, world says %v (%s)\n%s", tk.ID, what, k, *v.Met, r.Met[i], v.Explanation, r.Text)
			return false
		}
		if k == KindLength {
			if v.Evidence != nil {
				t.Errorf("%s %s: length criterion has evidence", tk.ID, what)
			}
			continue
		}
		if !*v.Met && !k.Negative() && k != KindMeals {
			continue // a missed positive criterion has no evidence (boxed shows the wrong box)
		}
		if !*v.Met && k.Negative() {
			if v.Evidence != nil {
				t.Errorf("%s %s: %s: avoided pitfall has evidence %q", tk.ID, what, k, v.Evidence.Text)
			}
			continue
		}
		want, ok := r.Slots[k]
		if v.Evidence == nil || !ok || v.Evidence.Start != want.Start || v.Evidence.End != want.End {
			t.Errorf("%s %s: %s: evidence %+v, want the slot %+v (%q)\n%s", tk.ID, what, k, v.Evidence, want, r.Text[want.Start:want.End], r.Text)
			return false
		}
	}
	return true
}

// The reference answer meets every positive criterion and no pitfall,
// so it scores 1 under HealthBench's rule and RaR's category rule and
// the maximum Σ positive / Σ all under RaR's explicit rule; every
// evidence span sits at the slot the world wrote.
func TestReferenceScoresMax(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		for _, tk := range tasksFor(t, lv, 1000, 7) {
			r := tk.Ref()
			if r.Text != tk.Reference {
				t.Fatalf("%s: Ref().Text is not the reference", tk.ID)
			}
			for i, c := range tk.Criteria {
				if r.Met[i] == c.Kind.Negative() {
					t.Fatalf("%s: reference: world says %s met=%v", tk.ID, c.Kind, r.Met[i])
				}
			}
			if !checkAgrees(t, tk, r, "reference") {
				return
			}
			m := mets(judged(tk, tk.Reference))
			var pos, all float64
			for _, c := range tk.Rubric.Criteria {
				all += c.Weight
				if c.Weight > 0 {
					pos += c.Weight
				}
			}
			for _, rule := range []score.Rule{score.RuleHealthBench, score.RuleRaRCategory, score.RuleWeighted, score.RuleRaR} {
				got, ok := rule.Score(tk.Rubric.Criteria, m)
				want := 1.0
				if rule == score.RuleRaR {
					want = pos / all
				}
				if !ok || got != want {
					t.Fatalf("%s: reference scores %v under %s, want %v", tk.ID, got, rule, want)
				}
			}
		}
	}
}

// Answers written to meet a random subset of criteria meet exactly that
// subset (the length criterion as the world reports it), and the rules
// judge agrees with the world on every criterion and every span.
func TestWrittenAnswersAgreeWithJudge(t *testing.T) {
	lengthOff := 0
	total := 0
	for lv := 1; lv <= 3; lv++ {
		rng := rand.New(rand.NewPCG(uint64(lv), 99))
		for _, tk := range tasksFor(t, lv, 700, 11) {
			for range 3 {
				want := make([]bool, len(tk.Criteria))
				for i := range want {
					want[i] = rng.IntN(2) == 0
				}
				r := tk.Write(rng, want)
				total++
				for i, c := range tk.Criteria {
					if r.Met[i] != want[i] {
						if c.Kind != KindLength {
							t.Fatalf("%s: %s: asked met=%v, wrote %v\n%s", tk.ID, c.Kind, want[i], r.Met[i], r.Text)
						}
						lengthOff++
					}
				}
				if !checkAgrees(t, tk, r, "written") {
					return
				}
			}
		}
	}
	t.Logf("%d answers; the length criterion came out other than asked in %d (two pitfall tips in a brief note)", total, lengthOff)
	if lengthOff*20 > total {
		t.Errorf("the length criterion missed its request in %d of %d answers; want under 5%%", lengthOff, total)
	}
}

// Deliberately broken references lose exactly the criterion expected,
// with the evidence at the expected tokens: an item left out, the water
// or meal count changed, the unsafe tip added, the banned extra packed,
// two steps swapped.
func TestBrokenAnswersLoseExactlyOne(t *testing.T) {
	type breaker struct {
		kind  Kind
		name  string
		apply func(tk *Task, a *Answer) bool
	}
	breakers := []breaker{
		{KindGearActivity, "drop the activity item", func(tk *Task, a *Answer) bool { a.ActivityItem = -1; return true }},
		{KindGearSeason, "drop the season item", func(tk *Task, a *Answer) bool { a.SeasonItem = -1; return true }},
		{KindGearPlace, "drop the place item", func(tk *Task, a *Answer) bool { a.PlaceItem = -1; return true }},
		{KindWater, "wrong water", func(tk *Task, a *Answer) bool { a.Water++; return true }},
		{KindMeals, "wrong meals", func(tk *Task, a *Answer) bool { a.Meals += 2; return true }},
		{KindOpening, "wrong opening", func(tk *Task, a *Answer) bool { a.Tone = (a.Tone + 1) % len(tones); return true }},
		{KindOrder, "swap two steps", func(tk *Task, a *Answer) bool {
			a.Steps = append([]int(nil), a.Steps...)
			a.Steps[0], a.Steps[1] = a.Steps[1], a.Steps[0]
			return true
		}},
		{KindMeet, "another meeting point", func(tk *Task, a *Answer) bool { a.Meet = (a.Meet + 1) % len(meetings); return true }},
		{KindSignoff, "another name", func(tk *Task, a *Answer) bool { a.Name = (a.Name + 1) % len(names); return true }},
		{KindBannedExtra, "pack the banned extra", func(tk *Task, a *Answer) bool { a.Extra = tk.Secrets.Banned; return true }},
		{KindPitfallAudience, "add the audience's unsafe tip", func(tk *Task, a *Answer) bool {
			a.Tips = append([]int{tk.unsafeTip(KindPitfallAudience)}, a.Tips...)
			return true
		}},
		{KindPitfallSeason, "add the season's unsafe tip", func(tk *Task, a *Answer) bool {
			a.Tips = append(append([]int(nil), a.Tips...), tk.unsafeTip(KindPitfallSeason))
			return true
		}},
	}
	counts := map[Kind]int{}
	for lv := 1; lv <= 3; lv++ {
		for _, tk := range tasksFor(t, lv, 500, 13) {
			ref := tk.Ref()
			for _, b := range breakers {
				i := tk.Index(b.kind)
				if i < 0 {
					continue
				}
				a := ref.Answer
				a.Steps = append([]int(nil), a.Steps...)
				a.Tips = append([]int(nil), a.Tips...)
				b.apply(tk, &a)
				r := a.Render(tk)
				r.Met = tk.met(&a, r.Text)
				vs := judged(tk, r.Text)
				for j, v := range vs {
					want := ref.Met[j]
					if j == i {
						want = !want
					}
					if v.Met == nil || *v.Met != want {
						t.Fatalf("%s: %s: criterion %s: judge met=%v, want %v (%s)\n%s", tk.ID, b.name, tk.Criteria[j].Kind, v.Met, want, v.Explanation, r.Text)
					}
				}
				v := vs[i]
				switch {
				case b.kind.Negative():
					s := r.Slots[b.kind]
					if v.Evidence == nil || v.Evidence.Start != s.Start || v.Evidence.End != s.End {
						t.Fatalf("%s: %s: evidence %+v, want %+v", tk.ID, b.name, v.Evidence, s)
					}
					// The forbidden words themselves.
					if got, term := v.Evidence.Text, tk.Rubric.Criteria[i].Checks[0].Terms[0]; !strings.EqualFold(got, term) {
						t.Fatalf("%s: %s: evidence %q, want the term %q", tk.ID, b.name, got, term)
					}
				case b.kind == KindMeals: // boxed shows the wrong box
					s := r.Slots[KindMeals]
					if v.Evidence == nil || v.Evidence.Start != s.Start || v.Evidence.End != s.End {
						t.Fatalf("%s: %s: evidence %+v, want the box %+v", tk.ID, b.name, v.Evidence, s)
					}
				default:
					if v.Evidence != nil {
						t.Fatalf("%s: %s: a missed criterion has evidence %+v", tk.ID, b.name, v.Evidence)
					}
				}
				if !checkAgrees(t, tk, r, b.name) {
					return
				}
				counts[b.kind]++
			}
		}
	}
	for _, b := range breakers {
		if counts[b.kind] < scaled(50) {
			t.Errorf("%s: only %d tasks broken", b.name, counts[b.kind])
		}
	}
	t.Logf("broken answers per kind: %v", counts)
}

// Rubrics have 3–8 criteria in the level's range, at least one pitfall
// with a negative weight, RaR categories and one rules check each.
func TestRubricShape(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		d := Level(lv)
		seen := map[Kind]int{}
		for _, tk := range tasksFor(t, lv, 1000, 3) {
			n := len(tk.Rubric.Criteria)
			if n < d.MinCriteria || n > d.MaxCriteria || n < 3 || n > 8 {
				t.Fatalf("%s: %d criteria at level %d", tk.ID, n, lv)
			}
			neg, only := false, 0
			for i, c := range tk.Rubric.Criteria {
				seen[tk.Criteria[i].Kind]++
				if c.Weight < 0 {
					neg = true
					if c.Category != rubric.CategoryPitfall || c.Polarity != rubric.Negative {
						t.Fatalf("%s: negative criterion %s is %s/%s", tk.ID, c.ID, c.Category, c.Polarity)
					}
				}
				if len(c.Checks) != 1 {
					t.Fatalf("%s: %s has %d checks", tk.ID, c.ID, len(c.Checks))
				}
				if tk.Criteria[i].RubricOnly {
					only++
				}
			}
			if !neg {
				t.Fatalf("%s: no pitfall", tk.ID)
			}
			if only != d.RubricOnly {
				t.Fatalf("%s: %d rubric-only criteria, want %d", tk.ID, only, d.RubricOnly)
			}
		}
		t.Logf("level %d: criteria kinds seen in 2000 tasks: %v", lv, seen)
	}
}

// Every pool entry is absent, as a word-bounded and case-folded match,
// from every other entry and template: a check for one entry can never
// match another entry's words.
func TestPoolsDisjoint(t *testing.T) {
	var entries []string
	for _, a := range activities {
		entries = append(entries, a.item)
	}
	for _, s := range seasons {
		entries = append(entries, s.item)
	}
	for _, p := range places {
		entries = append(entries, p.item)
	}
	entries = append(entries, steps...)
	entries = append(entries, extras...)
	entries = append(entries, meetings...)
	for _, tp := range tips {
		if tp.term != "" {
			entries = append(entries, tp.term)
		}
	}
	texts := append([]string(nil), lexicon()...)
	for _, a := range activities {
		texts = append(texts, a.name)
	}
	tipTexts := map[string]string{}
	for _, tp := range tips {
		tipTexts[tp.term] = tp.text
	}
	for _, e := range entries {
		re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(e) + `\b`)
		for _, x := range texts {
			if x != e && x != tipTexts[e] && re.MatchString(x) {
				t.Errorf("%q occurs in %q", e, x)
			}
		}
	}
}

// Tasks depend on the seed, the split and the index only.
func TestDeterministic(t *testing.T) {
	a, _ := NewGenerator(5, Level(0))
	b, _ := NewGenerator(5, Level(0))
	c, _ := NewGenerator(6, Level(0))
	same := 0
	for i := range 200 {
		// b draws another index first: a task depends on its index only.
		x, _, z := a.Task(Train, i), b.Task(Train, 199-i), c.Task(Train, i)
		if y2 := b.Task(Train, i); x.Prompt != y2.Prompt || x.Reference != y2.Reference || CompactRubric(x.Rubric) != CompactRubric(y2.Rubric) {
			t.Fatalf("task %d differs between two generators of seed 5", i)
		}
		if x.Prompt == z.Prompt && x.Reference == z.Reference {
			same++
		}
	}
	if same > 2 {
		t.Errorf("%d of 200 tasks equal under seeds 5 and 6", same)
	}
	h1, _ := HeldOutTasks(Level(0))
	h2, _ := HeldOutTasks(Level(0))
	for i := range h1 {
		if h1[i].Prompt != h2[i].Prompt || h1[i].Reference != h2[i].Reference || CompactRubric(h1[i].Rubric) != CompactRubric(h2[i].Rubric) {
			t.Fatalf("held-out task %d differs between calls", i)
		}
	}
}

// A pinned task: the generator's output for seed 1, task 0 at the
// default level. Changing the world's pools, templates or random draws
// changes it; update it on purpose (and say so in docs/lab.md).
func TestPinnedTask(t *testing.T) {
	g, _ := NewGenerator(1, Level(0))
	tk := g.Task(Train, 0)
	got := tk.Prompt + "\n" + CompactRubric(tk.Rubric) + "\n" + tk.Reference
	want := `Write a friendly note for beginners going on a 5 day summer cave at the desert.
10 bring the sun hat
3 bring the salt tablets
8 carry 20 liters of water
5 plan \boxed{15} meals
-2 says off the trail
5 order tell a friend > lock the car > charge the phone > study the route
6 meet at the village hall
2 sign From Priya.
Hi beginners! For your 5 day summer cave at the desert, bring the spare lamp, the sun hat, the salt tablets and the compass. Carry 20 liters of water. First tell a friend, then lock the car, then charge the phone, then study the route. Meet at the village hall. Keep the group close together. Take photos of the view. Rest when you feel tired. Plan \boxed{15} meals in all. From Priya.`
	if got != want {
		t.Errorf("seed 1 task 0:\n%s\nwant\n%s", got, want)
	}
}

func TestDifficultyValidate(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		if err := Level(lv).Validate(); err != nil {
			t.Errorf("level %d: %v", lv, err)
		}
	}
	bad := Level(1)
	bad.MaxCriteria = 9
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "criteria 3–9") {
		t.Errorf("9 criteria: %v", err)
	}
	bad = Level(1)
	bad.MinCriteria, bad.MaxCriteria = 8, 8
	if _, err := NewGenerator(1, bad); err == nil || !strings.Contains(err.Error(), "prompt-determined") {
		t.Errorf("8 criteria at level 1: %v", err)
	}
}

// Figures for docs/lab.md: distinct tasks and prompts.
func TestDistinctTasks(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		d := Level(lv)
		g, _ := NewGenerator(1, d)
		seen, prompts := map[string]bool{}, map[string]bool{}
		n := scaled(20000)
		for i := range n {
			tk := g.Task(Train, i)
			seen[tk.Prompt+"\x00"+CompactRubric(tk.Rubric)] = true
			prompts[tk.Prompt] = true
		}
		t.Logf("level %d: %d train prompts, %d held-out prompts; %d distinct tasks and %d distinct prompts in %d draws",
			lv, PromptCount(Train, d), PromptCount(HeldOut, d), len(seen), len(prompts), n)
		if len(seen) < n*9/10 {
			t.Errorf("level %d: only %d distinct tasks in %d", lv, len(seen), n)
		}
	}
}

func itoa(n int) string     { return fmt.Sprint(n) }
func ftoa(x float64) string { return fmt.Sprintf("%.1f", x) }
