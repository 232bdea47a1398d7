package labscorer

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lab/model"
	"github.com/rcsd-dev/rcsd/core/lab/world"
)

func newScorer(t *testing.T) (*Scorer, *model.Model[float32]) {
	t.Helper()
	cfg := model.Config{Vocab: world.NewTokenizer().VocabSize(), Context: 64, Width: 16, Heads: 2, Layers: 1}
	m, err := model.New[float32](cfg, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	s, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// Score, Dense and LogProbsAt give exactly the model's LogProbs, and every
// top-k list is the k most probable tokens of the whole vocabulary.
func TestAgreesWithLogProbs(t *testing.T) {
	s, m := newScorer(t)
	ctx := context.Background()
	tok := world.NewTokenizer()
	cont, err := s.Tokenize(ctx, "Hi beginners! Carry 20 liters of water.")
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Decode(cont); got != "Hi beginners! Carry 20 liters of water." {
		t.Fatalf("tokenize round trip: %q", got)
	}
	cont = append(cont, world.EOS)
	prompt := world.StudentContext(tok, "Write a friendly note for beginners going on a 5 day summer cave at the desert.")
	V := m.Config().Vocab
	want := make([]float32, len(cont)*V)
	ws := m.NewWorkspace(1, m.Config().Context)
	if err := m.LogProbs(ws, append(append([]int{}, prompt...), cont...), len(prompt), want); err != nil {
		t.Fatal(err)
	}
	const k = 5
	ps, err := s.Score(ctx, prompt, cont, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(cont) {
		t.Fatalf("%d positions for %d tokens", len(ps), len(cont))
	}
	for i, p := range ps {
		row := want[i*V : (i+1)*V]
		if p.TokenID != cont[i] || p.LogProb != float64(row[cont[i]]) || p.Token != tok.TokenText(cont[i]) {
			t.Fatalf("position %d: %+v, want id %d logprob %v", i, p, cont[i], row[cont[i]])
		}
		if len(p.Top) != k {
			t.Fatalf("position %d: %d alternatives, want %d", i, len(p.Top), k)
		}
		for j, a := range p.Top {
			if a.LogProb != float64(row[a.TokenID]) {
				t.Fatalf("position %d alt %d: %v, the model says %v", i, j, a.LogProb, row[a.TokenID])
			}
			if j > 0 && a.LogProb > p.Top[j-1].LogProb {
				t.Fatalf("position %d: alternatives out of order", i)
			}
		}
		// Exact: no token outside the top k is more probable than its last.
		in := map[int]bool{}
		for _, a := range p.Top {
			in[a.TokenID] = true
		}
		for id, v := range row {
			if !in[id] && float64(v) > p.Top[k-1].LogProb {
				t.Fatalf("position %d: token %d (%v) beats the top-%d's last (%v)", i, id, v, k, p.Top[k-1].LogProb)
			}
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v))
		}
		if math.Abs(sum-1) > 1e-4 {
			t.Fatalf("position %d: probabilities sum to %v", i, sum)
		}
	}
	n := 0
	if err := s.Dense(ctx, prompt, cont, func(i int, lp []float64) error {
		if i != n || len(lp) != V {
			t.Fatalf("dense position %d (expected %d), %d entries", i, n, len(lp))
		}
		for id, v := range lp {
			if v != float64(want[i*V+id]) {
				t.Fatalf("dense position %d token %d: %v, want %v", i, id, v, want[i*V+id])
			}
		}
		n++
		return nil
	}); err != nil || n != len(cont) {
		t.Fatalf("dense: %v after %d positions", err, n)
	}
	ids := make([][]int, len(cont))
	for i := range ids {
		ids[i] = []int{cont[i], world.EOS, V - 1}
	}
	at, err := s.LogProbsAt(ctx, prompt, cont, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range at {
		for j, id := range ids[i] {
			if row[j] != float64(want[i*V+id]) {
				t.Fatalf("LogProbsAt[%d][%d]: %v, want %v", i, j, row[j], want[i*V+id])
			}
		}
	}
	if s.VocabSize() != V || s.TokenText(world.EOS) != "<eos>" || s.TokenText(V) != "" || s.TokenText(-1) != "" {
		t.Fatal("vocabulary accessors")
	}
}

func TestErrors(t *testing.T) {
	s, _ := newScorer(t)
	ctx := context.Background()
	long := make([]int, 70)
	for name, tc := range map[string]struct {
		context, cont []int
		topK          int
		want          string
	}{
		"empty context": {nil, []int{5}, 1, "context is empty"},
		"too long":      {[]int{1}, long, 1, "exceed the model's context of 64"},
		"vocabulary":    {[]int{1}, []int{9999}, 1, "continuation token 9999 at position 0"},
		"negative k":    {[]int{1}, []int{5}, -1, "top-k -1"},
	} {
		_, err := s.Score(ctx, tc.context, tc.cont, tc.topK)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	if _, err := s.LogProbsAt(ctx, []int{1}, []int{5}, [][]int{{-1}}); err == nil {
		t.Error("LogProbsAt took id -1")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Score(cctx, []int{1}, []int{5}, 1); err == nil {
		t.Error("a cancelled context scored")
	}
	m, _ := model.New[float32](model.Config{Vocab: 100, Context: 8, Width: 8, Heads: 1, Layers: 1}, 1, 1)
	defer m.Close()
	if _, err := New(m); err == nil {
		t.Error("a 100-token model was accepted for the world's tokenizer")
	}
}
