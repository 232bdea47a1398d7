package api

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// denseOnly hides the demo scorer's LogProbsAt, so scoreSides takes the
// dense path (two scans of the whole vocabulary per side).
type denseOnly struct{ lm.DenseScorer }

// The sparse path must give the dense path's positions exactly: the same
// merged ids in the same order, the same bits, the same token texts.
func TestSparseMatchesDense(t *testing.T) {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := lm.Demo(m)
	ctx := context.Background()
	student := m.Encode("Question: why is the sky blue?\n")
	teacher := m.Encode("Reference Answer:\nRayleigh scattering.\n\nRubric (JSON array):\n[{\"title\": \"Scattering\", \"weight\": 5}]\n\nQuestion: why is the sky blue?\n")
	cont := m.Encode("The sky looks blue because air molecules scatter short wavelengths of sunlight more than long ones; ✓ 3·10⁸ m/s.")
	for _, k := range []int{1, 5, 20} {
		sparse, err := scoreSides(ctx, s, [][]int{student, teacher}, cont, k)
		if err != nil {
			t.Fatal(err)
		}
		dense, err := scoreSides(ctx, denseOnly{s.(lm.DenseScorer)}, [][]int{student, teacher}, cont, k)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(dense, sparse); d != "" {
			t.Fatalf("k=%d: sparse differs from dense (-dense +sparse)\n%s", k, d)
		}
	}
}
