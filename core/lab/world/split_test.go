package world

import (
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/api"
)

// The held-out split is 20 of the 200 (activity, season, audience)
// combinations; every value and every pair of values of those three
// features still occurs in training.
func TestSplitCoversPairs(t *testing.T) {
	held := 0
	as, au, su := map[[2]int]bool{}, map[[2]int]bool{}, map[[2]int]bool{}
	for a := range activities {
		for s := range seasons {
			for u := range audiences {
				if IsHeldOut(a, s, u) {
					held++
					continue
				}
				as[[2]int{a, s}], au[[2]int{a, u}], su[[2]int{s, u}] = true, true, true
			}
		}
	}
	if held != 20 {
		t.Errorf("%d held-out combinations, want 20", held)
	}
	if len(as) != len(activities)*len(seasons) || len(au) != len(activities)*len(audiences) || len(su) != len(seasons)*len(audiences) {
		t.Errorf("pairs seen in training: %d/%d activity-season, %d/%d activity-audience, %d/%d season-audience",
			len(as), len(activities)*len(seasons), len(au), len(activities)*len(audiences), len(su), len(seasons)*len(audiences))
	}
}

// HeldOutTasks gives 500 held-out tasks, with distinct prompts where the
// split has enough; train tasks and the pretraining corpus never use a
// held-out combination, so no held-out prompt is ever pretrained on.
func TestHeldOutNeverInTraining(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		d := Level(lv)
		ho, err := HeldOutTasks(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ho) != HeldOutSize {
			t.Fatalf("level %d: %d held-out tasks", lv, len(ho))
		}
		prompts := map[string]bool{}
		for _, tk := range ho {
			f := tk.Features
			if !IsHeldOut(f.Activity, f.Season, f.Audience) || tk.Split != HeldOut {
				t.Fatalf("%s is not held out: %+v", tk.ID, f)
			}
			prompts[tk.Prompt] = true
		}
		want := min(HeldOutSize, PromptCount(HeldOut, d))
		if len(prompts) != want {
			t.Errorf("level %d: %d distinct held-out prompts, want %d", lv, len(prompts), want)
		}
		c, err := NewCorpus(CorpusConfig{Seed: 3}, d)
		if err != nil {
			t.Fatal(err)
		}
		withRubric := 0
		n := scaled(5000)
		for i := range n {
			ex := c.Example(i)
			f := ex.Task.Features
			if IsHeldOut(f.Activity, f.Season, f.Audience) || prompts[ex.Task.Prompt] || ex.Task.Split != Train {
				t.Fatalf("corpus example %d is a held-out task: %s", i, ex.Task.Prompt)
			}
			if ex.WithRubric {
				withRubric++
			}
		}
		if withRubric < n*45/100 || withRubric > n*55/100 {
			t.Errorf("level %d: %d of %d corpus examples show the rubric, want about half", lv, withRubric, n)
		}
	}
}

// A corpus example is its context then its answer: the teacher's context
// for rubric examples, the student's otherwise; a rubric example meets
// every positive criterion and no pitfall (the length criterion aside,
// which two pitfall tips can break); a prompt-only example meets about
// half.
func TestCorpusExamples(t *testing.T) {
	c, _ := NewCorpus(CorpusConfig{Seed: 9}, Level(0))
	tok := NewTokenizer()
	var metShown, nShown, metHidden, nHidden int
	for i := range scaled(3000) {
		ex := c.Example(i)
		tk := ex.Task
		ctx := StudentContext(tok, tk.Prompt)
		if ex.WithRubric {
			ctx = TeacherContext(tok, tk.Prompt, tk.Rubric, "")
		}
		if ex.Seq.Start != len(ctx) || !equalInts(ex.Seq.IDs[:ex.Seq.Start], ctx) {
			t.Fatalf("example %d: context differs", i)
		}
		if got := tok.Decode(ex.Seq.IDs[ex.Seq.Start:]); got != ex.Answer.Text+"<eos>" {
			t.Fatalf("example %d: answer %q", i, got)
		}
		for k, cr := range tk.Criteria {
			ok := ex.Answer.Met[k] != cr.Kind.Negative()
			if ex.WithRubric {
				nShown++
				if ok {
					metShown++
				} else if cr.Kind != KindLength {
					t.Fatalf("example %d: rubric example misses %s", i, cr.Kind)
				}
			} else {
				nHidden++
				if ok {
					metHidden++
				}
			}
		}
		if again := c.Example(i); !equalInts(again.Seq.IDs, ex.Seq.IDs) {
			t.Fatalf("example %d differs between two calls", i)
		}
	}
	t.Logf("criteria met: %d/%d with the rubric, %d/%d without", metShown, nShown, metHidden, nHidden)
	if r := float64(metHidden) / float64(nHidden); r < 0.45 || r > 0.6 {
		t.Errorf("prompt-only examples meet %.2f of criteria, want about 0.5", r)
	}
}

// Figures for docs/lab.md: the lengths of the model's sequences at each
// level, over 10,000 train tasks and the held-out split; the longest OPSD
// sequence (teacher context with the reference, then the answer) fits
// MaxContext at every level.
func TestSequenceLengths(t *testing.T) {
	tok := NewTokenizer()
	for lv := 1; lv <= 3; lv++ {
		d := Level(lv)
		g, _ := NewGenerator(1, d)
		ho, _ := HeldOutTasks(d)
		type stat struct{ max, sum, n int }
		var st [4]stat // student ctx, teacher ctx, answer, OPSD total
		add := func(k, v int) {
			st[k].max = max(st[k].max, v)
			st[k].sum += v
			st[k].n++
		}
		nt := scaled(10000)
		for i := range nt + len(ho) {
			var tk *Task
			if i < nt {
				tk = g.Task(Train, i)
			} else {
				tk = ho[i-nt]
			}
			s, te, a := len(StudentContext(tok, tk.Prompt)), len(TeacherContext(tok, tk.Prompt, tk.Rubric, "")), len(AnswerIDs(tok, tk.Reference))
			o := len(TeacherContext(tok, tk.Prompt, tk.Rubric, tk.Reference))
			add(0, s)
			add(1, te)
			add(2, a)
			add(3, o+a)
		}
		names := []string{"student context", "teacher context", "answer+eos", "OPSD context+answer"}
		var b strings.Builder
		for k, s := range st {
			b.WriteString(names[k] + " max " + itoa(s.max) + " mean " + ftoa(float64(s.sum)/float64(s.n)) + "; ")
		}
		t.Logf("level %d: %s", lv, b.String())
		if st[3].max > MaxContext {
			t.Errorf("level %d: an OPSD sequence of %d tokens > MaxContext %d", lv, st[3].max, MaxContext)
		}
	}
}

// Generated items are clean under `rcsd validate` (no error, no
// warning) at every level, train and held-out.
func TestItemsValidateClean(t *testing.T) {
	for lv := 1; lv <= 3; lv++ {
		ho, _ := HeldOutTasks(Level(lv))
		tasks := append(tasksFor(t, lv, 500, 17), ho...)
		var buf strings.Builder
		if err := WriteItems(&buf, tasks, 4, 1); err != nil {
			t.Fatal(err)
		}
		resp := api.Validate(api.ValidateRequest{File: "lab.jsonl", Content: buf.String()})
		if resp.Records != len(tasks) {
			t.Errorf("level %d: %d records validated, want %d", lv, resp.Records, len(tasks))
		}
		if resp.Errors != 0 || resp.Warnings != 0 {
			for i, d := range resp.Diagnostics {
				if i == 5 {
					break
				}
				t.Errorf("level %d: %s", lv, d.String())
			}
			t.Fatalf("level %d: %d errors, %d warnings over %d items", lv, resp.Errors, resp.Warnings, len(tasks))
		}
	}
}
