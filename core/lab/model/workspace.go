package model

import "fmt"

// Workspace holds the activations of one forward pass and the scratch of its
// backward pass for up to maxB sequences of up to maxT tokens, allocated
// once, so that a training step allocates nothing. A Workspace belongs to one
// Model and is used by one goroutine at a time.
type Workspace[F Float] struct {
	cfg        Config
	maxB, maxT int
	b, t       int // the shape of the last Forward

	tokens  []int32 // [B*T]
	encoded []F     // [B, T, C] token + position embedding
	layers  []layerActs[F]
	lnf     []F // [B, T, C]
	lnfMean []F // [B*T]
	lnfRstd []F // [B*T]

	// Logits is [B, T, V], valid after Forward (for the last B, T).
	logits []F
	// dlogits is [B, T, V]: Loss writes dLoss/dlogits here.
	dlogits []F

	// backward scratch, shared by the layers
	dres  []F               // [B, T, C] the gradient of the residual stream
	dln   []F               // [B, T, C]
	datty []F               // [B, T, C]
	dqkv  []F               // [B, T, 3C]
	dfch  []F               // [B, T, 4C]
	attn  []*attnScratch[F] // one per worker slot
	tA    []F               // transposes of dY [B*T, max(4C, V)] or of a weight
	tB    []F               // transposes of X [B*T, 4C]

	// kernel arguments and their loop bodies (func values made once)
	nt       ntArgs[F]
	ntFn     func(lo, hi int)
	tr       trArgs[F]
	trFn     func(lo, hi int)
	cur      curArgs[F]
	attnFwd  func(idx, lo, hi int)
	attnBwd  func(idx, lo, hi int)
	lnFwd    func(lo, hi int)
	lnBwd    func(lo, hi int)
	geluFwd  func(lo, hi int)
	geluBwd  func(lo, hi int)
	lossFn   func(lo, hi int)
	lossRows []float64 // [B*T] per-position loss, summed in order afterwards
}

type layerActs[F Float] struct {
	ln1     []F // [B, T, C]
	ln1Mean []F // [B*T]
	ln1Rstd []F // [B*T]
	qkv     []F // [B, T, 3C]
	att     []F // [B, H, T, T] attention probabilities (row t uses 0..t)
	atty    []F // [B, T, C] attention output before the projection
	res2    []F // [B, T, C] residual after attention
	ln2     []F // [B, T, C]
	ln2Mean []F // [B*T]
	ln2Rstd []F // [B*T]
	fch     []F // [B, T, 4C] MLP pre-activation
	fchTanh []F // [B, T, 4C] tanh of GELU's inner argument, kept for backward
	fchGelu []F // [B, T, 4C]
	res3    []F // [B, T, C] residual after the MLP (the block's output)
}

type trArgs[F Float] struct {
	dst, src []F
	m, n     int
}

// curArgs carries the operands of the element-wise and row kernels.
type curArgs[F Float] struct {
	layer   int
	x, y    []F // LayerNorm input/output, GELU input/output
	mean    []F
	rstd    []F
	w, bias []F
	dy, dx  []F
	th      []F
	targets []int32
	mask    []F
	scale   F // 1/Σ mask for the loss
}

// NewWorkspace returns a workspace for batches of up to maxB sequences of up
// to maxT tokens (maxT ≤ Context).
func (m *Model[F]) NewWorkspace(maxB, maxT int) *Workspace[F] {
	c := m.cfg
	if maxB < 1 || maxT < 1 || maxT > c.Context {
		panic(fmt.Sprintf("model: workspace of %d sequences of %d tokens (context %d)", maxB, maxT, c.Context))
	}
	BT := maxB * maxT
	C, V, H := c.Width, c.Vocab, c.Heads
	w := &Workspace[F]{cfg: c, maxB: maxB, maxT: maxT}
	w.tokens = make([]int32, BT)
	w.encoded = make([]F, BT*C)
	w.layers = make([]layerActs[F], c.Layers)
	for l := range w.layers {
		a := &w.layers[l]
		a.ln1, a.ln1Mean, a.ln1Rstd = make([]F, BT*C), make([]F, BT), make([]F, BT)
		a.qkv = make([]F, BT*3*C)
		a.att = make([]F, maxB*H*maxT*maxT)
		a.atty, a.res2 = make([]F, BT*C), make([]F, BT*C)
		a.ln2, a.ln2Mean, a.ln2Rstd = make([]F, BT*C), make([]F, BT), make([]F, BT)
		a.fch, a.fchTanh, a.fchGelu = make([]F, BT*4*C), make([]F, BT*4*C), make([]F, BT*4*C)
		a.res3 = make([]F, BT*C)
	}
	w.lnf, w.lnfMean, w.lnfRstd = make([]F, BT*C), make([]F, BT), make([]F, BT)
	w.logits, w.dlogits = make([]F, BT*V), make([]F, BT*V)
	w.dres, w.dln, w.datty = make([]F, BT*C), make([]F, BT*C), make([]F, BT*C)
	w.dqkv, w.dfch = make([]F, BT*3*C), make([]F, BT*4*C)
	for range m.pool.workers {
		w.attn = append(w.attn, newAttnScratch[F](maxT, C/H))
	}
	w.tA = make([]F, max(BT*max(4*C, V), V*C, 4*C*C))
	w.tB = make([]F, BT*4*C)
	w.lossRows = make([]float64, BT)
	w.ntFn = func(lo, hi int) { ntRows(&w.nt, lo, hi) }
	w.trFn = func(lo, hi int) { transpose(w.tr.dst, w.tr.src, w.tr.m, w.tr.n, lo, hi) }
	w.attnFwd = func(idx, lo, hi int) { m.attentionForward(w, idx, lo, hi) }
	w.attnBwd = func(idx, lo, hi int) { m.attentionBackward(w, idx, lo, hi) }
	w.lnFwd = func(lo, hi int) { layerNormForward(&w.cur, C, lo, hi) }
	w.lnBwd = func(lo, hi int) { layerNormBackward(&w.cur, C, lo, hi) }
	w.geluFwd = func(lo, hi int) { geluForward(&w.cur, lo, hi) }
	w.geluBwd = func(lo, hi int) { geluBackward(&w.cur, lo, hi) }
	w.lossFn = func(lo, hi int) { lossRows(w, lo, hi) }
	return w
}

// Logits returns the logits of the last Forward, [B, T, V].
func (w *Workspace[F]) Logits() []F { return w.logits[:w.b*w.t*w.cfg.Vocab] }

// DLogits returns the buffer Loss fills with dLoss/dlogits, [B, T, V]. A
// caller with its own loss writes its gradient here (or anywhere) and passes
// it to Backward.
func (w *Workspace[F]) DLogits() []F { return w.dlogits[:w.b*w.t*w.cfg.Vocab] }

// Shape returns the (B, T) of the last Forward.
func (w *Workspace[F]) Shape() (b, t int) { return w.b, w.t }
