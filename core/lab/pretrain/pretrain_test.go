package pretrain

import (
	"bytes"
	"github.com/rcsd-dev/rcsd/core/lab/model"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/lab/world"
)

func tinyConfig() Config {
	c := DefaultConfig()
	c.Model.Width, c.Model.Heads, c.Model.Layers = 16, 2, 1
	c.Level = 1
	c.Steps, c.Batch, c.Warmup = 40, 4, 5
	c.LR, c.MinLR = 1e-2, 1e-3
	return c
}

func train(t *testing.T, c Config) (*Trainer, []float64) {
	t.Helper()
	tr, err := NewTrainer(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	var losses []float64
	if err := tr.Run(func(p Progress) error {
		if p.Step != len(losses)+1 || p.Tokens == 0 || p.LR != c.LRAt(p.Step-1) {
			t.Fatalf("progress %+v after %d steps", p, len(losses))
		}
		losses = append(losses, p.Loss)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if tr.Steps() != c.Steps {
		t.Fatalf("%d steps taken, want %d", tr.Steps(), c.Steps)
	}
	return tr, losses
}

// Same seed, same weights, bit for bit, whatever the worker count; another
// seed, other weights; and the answer-token loss falls.
func TestTrainDeterministicAndLearns(t *testing.T) {
	c := tinyConfig()
	a, la := train(t, c)
	c2 := c
	c2.Workers = 2
	b, lb := train(t, c2)
	if !slices.Equal(a.Model.Params.Data, b.Model.Params.Data) || !slices.Equal(la, lb) {
		t.Fatal("two runs of one config (1 and 2 workers) differ")
	}
	c3 := c
	c3.Seed = 2
	d, _ := train(t, c3)
	if slices.Equal(a.Model.Params.Data, d.Model.Params.Data) {
		t.Fatal("seeds 1 and 2 gave the same weights")
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	first, last := mean(la[:5]), mean(la[len(la)-5:])
	t.Logf("loss: first 5 steps %.3f, last 5 %.3f (ln V = %.3f)", first, last, math.Log(float64(c.Model.Vocab)))
	if !(last < first-1) {
		t.Fatalf("loss fell from %.3f to %.3f only", first, last)
	}
}

// The loss counts answer tokens and <eos> only: the mask is 1 exactly
// where the target is at or after Start, and padding is masked.
func TestBatchMasksAnswerOnly(t *testing.T) {
	seqs := []world.Sequence{{IDs: []int{1, 10, 11, 5, 20, 2}, Start: 4}, {IDs: []int{1, 12, 5, 2}, Start: 3}}
	tokens, targets, mask, T, err := Batch(seqs, 8)
	if err != nil {
		t.Fatal(err)
	}
	if T != 5 {
		t.Fatalf("T = %d, want 5", T)
	}
	wantTok := []int32{1, 10, 11, 5, 20, 1, 12, 5, 0, 0}
	wantTgt := []int32{10, 11, 5, 20, 2, 12, 5, 2, 0, 0}
	wantMask := []float32{0, 0, 0, 1, 1, 0, 0, 1, 0, 0}
	if !slices.Equal(tokens, wantTok) || !slices.Equal(targets, wantTgt) || !slices.Equal(mask, wantMask) {
		t.Fatalf("tokens %v targets %v mask %v", tokens, targets, mask)
	}
	if _, _, _, _, err := Batch(seqs, 4); err == nil {
		t.Fatal("a 6-token sequence fit a context of 4")
	}
}

func TestLRSchedule(t *testing.T) {
	c := Config{Steps: 100, Warmup: 10, LR: 1, MinLR: 0.1}
	if got := c.LRAt(0); got != 0.1 {
		t.Errorf("step 0: %v, want 0.1", got)
	}
	if got := c.LRAt(9); got != 1 {
		t.Errorf("step 9 (end of warmup): %v, want 1", got)
	}
	if got := c.LRAt(10); got != 1 {
		t.Errorf("step 10: %v, want 1", got)
	}
	if got := c.LRAt(99); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("last step: %v, want 0.1", got)
	}
	for s := 11; s < 100; s++ {
		if c.LRAt(s) > c.LRAt(s-1) {
			t.Fatalf("the schedule rises at step %d", s)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"vocab":  func(c *Config) { c.Model.Vocab = 100 },
		"steps":  func(c *Config) { c.Steps = 0 },
		"lr":     func(c *Config) { c.LR = 0 },
		"min_lr": func(c *Config) { c.MinLR = 1 },
		"level":  func(c *Config) { c.Level = 4 },
		"clip":   func(c *Config) { c.Clip = -1 },
	} {
		c := DefaultConfig()
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: an invalid config passed", name)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// Judge: a reference meets every positive criterion and no pitfall, so it
// scores Σ pos / Σ w under RaR and 1 under HealthBench; the empty answer
// meets none but a brief note's length bound.
func TestJudgeReference(t *testing.T) {
	tasks, err := world.HeldOutTasks(world.Level(3))
	if err != nil {
		t.Fatal(err)
	}
	rules := judge.NewRules()
	for _, tk := range tasks[:50] {
		met, rar, hb, err := Judge(rules, tk, tk.Reference)
		if err != nil {
			t.Fatal(err)
		}
		pos, all := 0.0, 0.0
		for i, c := range tk.Rubric.Criteria {
			all += c.Weight
			if c.Weight > 0 {
				pos += c.Weight
			}
			if met[i] == nil || *met[i] != (c.Weight > 0) {
				t.Fatalf("%s: criterion %s on the reference: %v", tk.ID, c.ID, met[i])
			}
		}
		if math.Abs(rar-pos/all) > 1e-12 || hb != 1 {
			t.Fatalf("%s: reference scores rar %v (want %v), healthbench %v", tk.ID, rar, pos/all, hb)
		}
		empty, _, _, err := Judge(rules, tk, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range tk.Criteria {
			if *empty[i] && c.Kind != world.KindLength {
				t.Fatalf("%s: the empty answer meets %s", tk.ID, c.Kind)
			}
		}
	}
}

// Evaluate on a few tasks: deterministic, every criterion counted once per
// task and side, perplexity finite and above 1, sampling by seed.
func TestEvaluate(t *testing.T) {
	c := tinyConfig()
	c.Steps = 5
	tr, _ := train(t, c)
	ec := EvalConfig{Level: 1, Tasks: 4, MaxNew: 40}
	a, err := Evaluate(tr.Model, ec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(tr.Model, ec)
	if err != nil {
		t.Fatal(err)
	}
	if a.Teacher.Score != b.Teacher.Score || a.StudentAnswer != b.StudentAnswer || a.Teacher.Perplexity != b.Teacher.Perplexity {
		t.Fatal("two evaluations of one model differ")
	}
	tasks, _ := world.HeldOutTasks(world.Level(1))
	want := 0
	for _, tk := range tasks[:4] {
		want += len(tk.Criteria)
	}
	for _, s := range []Side{a.Teacher, a.Student} {
		n := 0
		for _, r := range s.Criteria {
			n += r.N
		}
		if n != want {
			t.Fatalf("%d criteria counted, want %d", n, want)
		}
		if !(s.Perplexity > 1) || math.IsInf(s.Perplexity, 0) {
			t.Fatalf("perplexity %v", s.Perplexity)
		}
	}
	if a.Gap != a.Teacher.Score-a.Student.Score || a.Tasks != 4 {
		t.Fatalf("gap %v tasks %d", a.Gap, a.Tasks)
	}
	ec.Temperature, ec.Seed = 1, 7
	s1, _ := Evaluate(tr.Model, ec)
	s2, _ := Evaluate(tr.Model, ec)
	if s1.TeacherAnswer != s2.TeacherAnswer || s1.TeacherAnswer == a.TeacherAnswer {
		t.Fatalf("sampled answers: %q, %q (greedy %q)", s1.TeacherAnswer, s2.TeacherAnswer, a.TeacherAnswer)
	}
}

// A checkpoint round-trips bit for bit through gzip, and a model of
// another vocabulary is refused.
func TestCheckpointRoundTrip(t *testing.T) {
	c := tinyConfig()
	c.Steps = 3
	tr, _ := train(t, c)
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, tr.Model); err != nil {
		t.Fatal(err)
	}
	m, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config() != c.Model || !slices.Equal(m.Params.Data, tr.Model.Params.Data) {
		t.Fatal("the checkpoint read back differs")
	}
	if _, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()[:buf.Len()/2]), 1); err == nil {
		t.Fatal("a truncated checkpoint was read")
	}
	other, _ := model.New[float32](model.Config{Vocab: 100, Context: 8, Width: 8, Heads: 1, Layers: 1}, 1, 1)
	defer other.Close()
	buf.Reset()
	if err := WriteCheckpoint(&buf, other); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCheckpoint(&buf, 1); err == nil || !strings.Contains(err.Error(), "vocabulary is 100 tokens") {
		t.Fatalf("a 100-token checkpoint: %v", err)
	}
}
