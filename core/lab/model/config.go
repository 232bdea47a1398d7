package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Float is the element type of a model: float32 for speed, float64 for the
// gradient checks and the PyTorch agreement tests. Both run the same code.
type Float interface{ ~float32 | ~float64 }

// Config is the shape of a model.
type Config struct {
	Vocab   int // V: tokens in the vocabulary
	Context int // T: the longest sequence, the number of learned positions
	Width   int // C: the residual stream's width
	Heads   int // H: attention heads, each of width C/H
	Layers  int // L: transformer blocks
}

// Bounds on a Config, so that a hostile checkpoint header cannot ask for an
// absurd allocation.
const (
	MaxVocab   = 1 << 16
	MaxContext = 1 << 13
	MaxWidth   = 1 << 12
	MaxLayers  = 64
)

// Hidden is the MLP's inner width, 4C as in GPT-2.
func (c Config) Hidden() int { return 4 * c.Width }

// Validate says what is wrong with c, or nil.
func (c Config) Validate() error {
	switch {
	case c.Vocab < 2 || c.Vocab > MaxVocab:
		return fmt.Errorf("model: vocab %d is outside [2, %d]", c.Vocab, MaxVocab)
	case c.Context < 1 || c.Context > MaxContext:
		return fmt.Errorf("model: context %d is outside [1, %d]", c.Context, MaxContext)
	case c.Width < 1 || c.Width > MaxWidth:
		return fmt.Errorf("model: width %d is outside [1, %d]", c.Width, MaxWidth)
	case c.Heads < 1 || c.Width%c.Heads != 0:
		return fmt.Errorf("model: %d heads do not divide the width %d", c.Heads, c.Width)
	case c.Layers < 1 || c.Layers > MaxLayers:
		return fmt.Errorf("model: layers %d is outside [1, %d]", c.Layers, MaxLayers)
	}
	return nil
}

// Spec names one parameter tensor and gives its shape (row-major, the last
// dimension contiguous; a linear map's weight is [out, in] as in torch).
type Spec struct {
	Name  string
	Shape []int
	// Decay is true for the matrices that AdamW's weight decay applies to
	// (embeddings and linear weights); biases and LayerNorm gains are not
	// decayed, as in GPT-2 and nanoGPT.
	Decay bool
}

// Size is the number of elements of the tensor.
func (s Spec) Size() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// Specs lists the parameter tensors in their canonical order (the order of
// Params.Data, of checkpoints and of the PyTorch reference).
func (c Config) Specs() []Spec {
	C, H4 := c.Width, c.Hidden()
	s := []Spec{
		{"wte", []int{c.Vocab, C}, true},
		{"wpe", []int{c.Context, C}, true},
	}
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("h.%d.", l)
		s = append(s,
			Spec{p + "ln1.w", []int{C}, false},
			Spec{p + "ln1.b", []int{C}, false},
			Spec{p + "attn.qkv.w", []int{3 * C, C}, true},
			Spec{p + "attn.qkv.b", []int{3 * C}, false},
			Spec{p + "attn.proj.w", []int{C, C}, true},
			Spec{p + "attn.proj.b", []int{C}, false},
			Spec{p + "ln2.w", []int{C}, false},
			Spec{p + "ln2.b", []int{C}, false},
			Spec{p + "mlp.fc.w", []int{H4, C}, true},
			Spec{p + "mlp.fc.b", []int{H4}, false},
			Spec{p + "mlp.proj.w", []int{C, H4}, true},
			Spec{p + "mlp.proj.b", []int{C}, false},
		)
	}
	return append(s, Spec{"lnf.w", []int{C}, false}, Spec{"lnf.b", []int{C}, false})
}

// NumParams is the number of scalar parameters.
func (c Config) NumParams() int {
	n := 0
	for _, s := range c.Specs() {
		n += s.Size()
	}
	return n
}

// Layer holds the views of one block's parameters (C = Width, 4C = Hidden).
type Layer[F Float] struct {
	LN1W, LN1B []F // [C]
	QKVW       []F // [3C, C]: rows 0..C-1 make q, C..2C-1 k, 2C..3C-1 v; head h owns rows h*C/H.. of each
	QKVB       []F // [3C]
	ProjW      []F // [C, C]
	ProjB      []F // [C]
	LN2W, LN2B []F // [C]
	FCW        []F // [4C, C]
	FCB        []F // [4C]
	FCProjW    []F // [C, 4C]
	FCProjB    []F // [C]
}

// Params is every parameter of a model in one slab, Data, and named views
// into it. Gradients and AdamW's moments use the same type.
type Params[F Float] struct {
	Config Config
	Data   []F // all parameters in Specs order
	WTE    []F // [V, C] token embedding, also the LM head (tied)
	WPE    []F // [T, C] position embedding
	Layers []Layer[F]
	LNFW   []F // [C] final LayerNorm gain
	LNFB   []F // [C] final LayerNorm bias

	tensors []Tensor[F] // the views in Specs order, made once
}

// NewParams returns zeroed parameters of shape c. It panics if c is invalid.
func NewParams[F Float](c Config) *Params[F] {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	p := &Params[F]{Config: c, Data: make([]F, c.NumParams()), Layers: make([]Layer[F], c.Layers)}
	views := p.views()
	off := 0
	for i, s := range c.Specs() {
		n := s.Size()
		*views[i] = p.Data[off : off+n : off+n]
		p.tensors = append(p.tensors, Tensor[F]{Spec: s, Data: *views[i]})
		off += n
	}
	return p
}

// views lists pointers to the view fields in Specs order.
func (p *Params[F]) views() []*[]F {
	v := []*[]F{&p.WTE, &p.WPE}
	for l := range p.Layers {
		y := &p.Layers[l]
		v = append(v, &y.LN1W, &y.LN1B, &y.QKVW, &y.QKVB, &y.ProjW, &y.ProjB,
			&y.LN2W, &y.LN2B, &y.FCW, &y.FCB, &y.FCProjW, &y.FCProjB)
	}
	return append(v, &p.LNFW, &p.LNFB)
}

// Tensors returns the views in Specs order, paired with their specs. The
// slice is shared (made once): callers must not modify it.
func (p *Params[F]) Tensors() []Tensor[F] { return p.tensors }

// Tensor is a named view of a parameter tensor.
type Tensor[F Float] struct {
	Spec
	Data []F
}

// Zero sets every element to 0.
func (p *Params[F]) Zero() { clear(p.Data) }

// Init fills p deterministically from seed as GPT-2 does: embeddings and
// linear weights ~ N(0, 0.02²), the residual projections (attn.proj.w,
// mlp.proj.w) ~ N(0, (0.02/√(2L))²), biases 0, LayerNorm gains 1. The
// generator is math/rand/v2's PCG seeded with (seed, 0x6c6d); values are
// drawn in float64 and rounded to F, tensor by tensor in Specs order.
func (p *Params[F]) Init(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6c6d))
	resid := 0.02 / math.Sqrt(2*float64(p.Config.Layers))
	for _, t := range p.Tensors() {
		switch {
		case hasSuffix(t.Name, ".proj.w"):
			fillNormal(t.Data, rng, resid)
		case t.Decay:
			fillNormal(t.Data, rng, 0.02)
		case hasSuffix(t.Name, "ln1.w"), hasSuffix(t.Name, "ln2.w"), t.Name == "lnf.w":
			for i := range t.Data {
				t.Data[i] = 1
			}
		default:
			clear(t.Data)
		}
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func fillNormal[F Float](dst []F, rng *rand.Rand, std float64) {
	for i := range dst {
		dst[i] = F(rng.NormFloat64() * std)
	}
}
