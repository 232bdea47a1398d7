package distill

import (
	"encoding/json"
	"os"
	"testing"
)

type torchCase struct {
	Name           string          `json:"name"`
	Options        json.RawMessage `json:"options"`
	Tokens         [][]int         `json:"tokens"`
	CompletionMask [][]bool        `json:"completion_mask"`
	Student        [][][]float64   `json:"student"`
	Teacher        [][][]float64   `json:"teacher"`
	Loss           float64         `json:"loss"`
	PerToken       [][]float64     `json:"per_token"`
	ValidTokens    int             `json:"valid_tokens"`
	Dropped        int             `json:"dropped"`
	Grad           [][][]float64   `json:"grad"`
}

// TestTorchReference compares losses, per-token values and student-logit
// gradients with PyTorch float64 (autograd) on the seeded cases of
// bench/distill/torch_reference.py, whose output is committed as
// testdata/torch_reference.json (provenance inside). Tolerance 1e-9,
// relative above 1 and absolute below.
func TestTorchReference(t *testing.T) {
	data, err := os.ReadFile("testdata/torch_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Provenance string      `json:"provenance"`
		Cases      []torchCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) < 20 {
		t.Fatalf("fixture has %d cases", len(fx.Cases))
	}
	const tol = 1e-9
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			o, l := ParseOptions(c.Options)
			if l.HasErrors() {
				t.Fatalf("options: %v", l)
			}
			k := mustKernel(t, o)
			seqs := make([]DenseSequence, len(c.Tokens))
			grad := make([][][]float64, len(c.Tokens))
			for s := range c.Tokens {
				seqs[s] = DenseSequence{Tokens: c.Tokens[s], Mask: c.CompletionMask[s], Student: c.Student[s], Teacher: c.Teacher[s]}
				grad[s] = make([][]float64, len(c.Tokens[s]))
				for i := range grad[s] {
					grad[s][i] = make([]float64, len(c.Student[s][i]))
				}
			}
			res, err := k.Loss(seqs, grad)
			if err != nil {
				t.Fatal(err)
			}
			if !close(res.Loss, c.Loss, tol) {
				t.Errorf("loss = %.17g, torch %.17g", res.Loss, c.Loss)
			}
			if res.ValidTokens != c.ValidTokens || res.DroppedSequences != c.Dropped {
				t.Errorf("valid %d dropped %d, torch %d %d", res.ValidTokens, res.DroppedSequences, c.ValidTokens, c.Dropped)
			}
			for s := range c.PerToken {
				for i, want := range c.PerToken[s] {
					if got := res.Tokens[s][i].Divergence; !close(got, want, tol) {
						t.Errorf("token [%d][%d] = %.17g, torch %.17g", s, i, got, want)
					}
					for j, w := range c.Grad[s][i] {
						if g := grad[s][i][j]; !close(g, w, tol) {
							t.Errorf("grad [%d][%d][%d] = %.17g, torch %.17g", s, i, j, g, w)
						}
					}
				}
			}
		})
	}
}
