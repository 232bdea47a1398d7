package model

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

// The PyTorch agreement test. testdata/tiny_input.json (written by
// TestWriteTorchInput when RCSD_UPDATE_TORCH_INPUT=1, checked by it otherwise)
// holds a tiny model's weights, a batch, a given dlogits and an optimiser
// setting; testdata/gen_torch_ref.py re-implements the architecture in
// PyTorch, runs it in float64 and writes testdata/tiny_torch_ref.json, which
// names its torch version:
//
//	/usr/bin/python3 core/lab/model/testdata/gen_torch_ref.py
//
// Go in float64 must agree with every number to 1e-10 (absolute; the values
// are O(1)), Go in float32 to 1e-5 relative to each tensor's largest entry.

type torchInput struct {
	Config  Config               `json:"config"`
	B       int                  `json:"B"`
	T       int                  `json:"T"`
	Tokens  []int32              `json:"tokens"`
	Targets []int32              `json:"targets"`
	Mask    []float64            `json:"mask"`
	DLogits []float64            `json:"dlogits"`
	Params  map[string][]float64 `json:"params"`
	Order   []string             `json:"order"`
	Shapes  map[string][]int     `json:"shapes"`
	Decay   map[string]bool      `json:"decay"`
	LR      float64              `json:"lr"`
	WD      float64              `json:"weight_decay"`
	Beta1   float64              `json:"beta1"`
	Beta2   float64              `json:"beta2"`
	Eps     float64              `json:"eps"`
	MaxNorm float64              `json:"max_norm"`
	Steps   int                  `json:"steps"`
}

type torchRef struct {
	Torch       string               `json:"torch"`
	Dtype       string               `json:"dtype"`
	Logits      []float64            `json:"logits"`
	Loss        float64              `json:"loss"`
	Grads       map[string][]float64 `json:"grads"`
	GivenGrads  map[string][]float64 `json:"given_grads"`
	Norms       []float64            `json:"norms"`
	Losses      []float64            `json:"losses"`
	ParamsAfter map[string][]float64 `json:"params_after"`
}

func tinyInput() torchInput {
	const B, T = 2, 7
	p := NewParams[float64](tiny)
	randomize(p, 3, 0.5)
	tokens, targets, mask := tinyBatch(tiny, B, T)
	in := torchInput{Config: tiny, B: B, T: T, Tokens: tokens, Targets: targets, Mask: mask,
		DLogits: patternGrad(B * T * tiny.Vocab), Params: map[string][]float64{},
		Shapes: map[string][]int{}, Decay: map[string]bool{},
		LR: 0.01, WD: 0.1, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, MaxNorm: 1.0, Steps: 3}
	for _, t := range p.Tensors() {
		in.Order = append(in.Order, t.Name)
		in.Params[t.Name] = t.Data
		in.Shapes[t.Name] = t.Shape
		in.Decay[t.Name] = t.Decay
	}
	return in
}

// goRef computes in F what the script computes in torch.
func goRef[F Float](t *testing.T, in torchInput, workers int) torchRef {
	m, err := New[F](in.Config, 0, workers)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, pt := range m.Params.Tensors() {
		copy(pt.Data, toF[F](in.Params[pt.Name]))
	}
	w := m.NewWorkspace(in.B, in.T)
	mask := toF[F](in.Mask)
	out := torchRef{Grads: map[string][]float64{}, GivenGrads: map[string][]float64{}, ParamsAfter: map[string][]float64{}}
	grads := func(dst map[string][]float64) {
		for _, gt := range m.Grads.Tensors() {
			dst[gt.Name] = conv[float64](gt.Data)
		}
	}
	must(t, m.Forward(w, in.Tokens, in.B, in.T))
	out.Logits = conv[float64](w.Logits())
	loss, err := m.Loss(w, in.Targets, mask)
	must(t, err)
	out.Loss = loss
	m.ZeroGrad()
	must(t, m.Backward(w, w.DLogits()))
	grads(out.Grads)
	m.ZeroGrad()
	must(t, m.Backward(w, toF[F](in.DLogits)))
	grads(out.GivenGrads)
	opt := &AdamW[F]{LR: in.LR, Beta1: in.Beta1, Beta2: in.Beta2, Eps: in.Eps, WeightDecay: in.WD}
	for range in.Steps {
		m.ZeroGrad()
		must(t, m.Forward(w, in.Tokens, in.B, in.T))
		l, err := m.Loss(w, in.Targets, mask)
		must(t, err)
		must(t, m.Backward(w, w.DLogits()))
		out.Losses = append(out.Losses, l)
		out.Norms = append(out.Norms, ClipGradNorm(m.Grads, in.MaxNorm))
		must(t, opt.Step(m.Params, m.Grads))
	}
	for _, pt := range m.Params.Tensors() {
		out.ParamsAfter[pt.Name] = conv[float64](pt.Data)
	}
	return out
}

// keyBiasNull marks the key bias (qkv.b's middle C entries): adding a
// constant to every score of a softmax row changes nothing, so the loss does
// not depend on it and its exact gradient is 0 (the checks above see ~1e-17
// in float64, ~1e-9 in float32). AdamW divides that round-off by its own
// root mean square plus ε = 1e-8 and so moves these entries by up to LR a
// step in a direction round-off picks, in torch as in Go. They are checked
// against that bound instead of the tolerance.
func keyBiasNull(name string, c Config) func(int) bool {
	if !hasSuffix(name, "attn.qkv.b") {
		return nil
	}
	return func(i int) bool { return i >= c.Width && i < 2*c.Width }
}

func TestWriteTorchInput(t *testing.T) {
	in := tinyInput()
	b, err := json.Marshal(in)
	must(t, err)
	if update("RCSD_UPDATE_TORCH_INPUT") {
		writeTestdata(t, "tiny_input.json", b)
		return
	}
	old := readTestdata(t, "tiny_input.json")
	if string(old) != string(b) {
		t.Fatalf("testdata/tiny_input.json differs from what tinyInput makes; rewrite it with RCSD_UPDATE_TORCH_INPUT=1 and rerun gen_torch_ref.py")
	}
}

func TestAgreesWithTorch(t *testing.T) {
	var in torchInput
	var ref torchRef
	must(t, json.Unmarshal(readTestdata(t, "tiny_input.json"), &in))
	must(t, json.Unmarshal(readTestdata(t, "tiny_torch_ref.json"), &ref))
	if ref.Dtype != "float64" || ref.Torch == "" {
		t.Fatalf("reference: dtype %q, torch %q; expected float64 and a torch version", ref.Dtype, ref.Torch)
	}
	t.Logf("reference from torch %s", ref.Torch)
	for _, tc := range []struct {
		name string
		got  torchRef
		tol  float64
		rel  bool
	}{
		{"float64", goRef[float64](t, in, 1), 1e-10, false},
		{"float64 3 workers", goRef[float64](t, in, 3), 1e-10, false},
		{"float32", goRef[float32](t, in, 2), 1e-5, true},
	} {
		worst, worstAt := 0.0, ""
		check := func(what string, got, want []float64, null func(i int) bool) {
			if len(got) != len(want) {
				t.Errorf("%s: %s has %d values, the reference %d", tc.name, what, len(got), len(want))
				return
			}
			scale := 1.0
			if tc.rel {
				scale = 0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(v))
				}
			}
			for i := range got {
				if null != nil && null(i) {
					// See keyBiasNull: round-off alone moves these, by at most LR a step.
					if e := math.Abs(got[i] - want[i]); !(e <= in.LR*float64(in.Steps)) {
						t.Errorf("%s: %s[%d] = %.17g, torch %.17g: moved %.3g, more than AdamW's bound %g", tc.name, what, i, got[i], want[i], e, in.LR*float64(in.Steps))
					}
					continue
				}
				e := math.Abs(got[i]-want[i]) / scale
				if e > worst {
					worstAt = fmt.Sprintf("%s[%d]", what, i)
				}
				worst = math.Max(worst, e)
				if !(e <= tc.tol) {
					t.Errorf("%s: %s[%d] = %.17g, torch %.17g (error %.3g > %g)", tc.name, what, i, got[i], want[i], e, tc.tol)
					return
				}
			}
		}
		check("logits", tc.got.Logits, ref.Logits, nil)
		check("loss", []float64{tc.got.Loss}, []float64{ref.Loss}, nil)
		check("clip norms", tc.got.Norms, ref.Norms, nil)
		check("step losses", tc.got.Losses, ref.Losses, nil)
		for _, name := range in.Order {
			check("grad "+name, tc.got.Grads[name], ref.Grads[name], nil)
			check("given-dlogits grad "+name, tc.got.GivenGrads[name], ref.GivenGrads[name], nil)
			check(fmt.Sprintf("%s after %d AdamW steps", name, in.Steps), tc.got.ParamsAfter[name], ref.ParamsAfter[name], keyBiasNull(name, in.Config))
		}
		t.Logf("%s: worst error %.3g at %s (tolerance %g, %s)", tc.name, worst, worstAt, tc.tol, map[bool]string{true: "relative to each tensor's largest entry", false: "absolute"}[tc.rel])
	}
}
