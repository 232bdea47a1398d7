package model

import (
	"fmt"
	"math"
	"unsafe"
)

// Model is a decoder-only transformer with its parameters and their
// gradients. Forward, Loss and Backward use a Workspace; the Model's own
// state changes only in Backward (Grads) and in an optimiser step (Params).
type Model[F Float] struct {
	cfg    Config
	Params *Params[F]
	Grads  *Params[F]
	pool   *pool
}

// New returns a model of shape cfg with parameters initialised from seed
// (Params.Init) and zero gradients. Kernels run on workers goroutines
// (≤ 1: the caller's only); results are bit-identical for every count.
func New[F Float](cfg Config, seed uint64, workers int) (*Model[F], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model[F]{cfg: cfg, Params: NewParams[F](cfg), Grads: NewParams[F](cfg), pool: newPool(workers)}
	m.Params.Init(seed)
	return m, nil
}

// Config returns the model's shape.
func (m *Model[F]) Config() Config { return m.cfg }

// Close stops the model's worker goroutines. The model must not be used
// afterwards.
func (m *Model[F]) Close() { m.pool.close() }

// ZeroGrad sets every gradient to 0 (Backward accumulates, as in torch).
func (m *Model[F]) ZeroGrad() { m.Grads.Zero() }

// Forward runs B sequences of T tokens (tokens is [B, T], row-major) and
// leaves the logits, [B, T, V], in w.Logits(). Position t of sequence b sees
// tokens b[0..t] (causal) and predicts token b[t+1].
func (m *Model[F]) Forward(w *Workspace[F], tokens []int32, B, T int) error {
	c := m.cfg
	if B < 1 || T < 1 || B > w.maxB || T > w.maxT {
		return fmt.Errorf("model: a batch of %d sequences of %d tokens does not fit the workspace (%d of %d)", B, T, w.maxB, w.maxT)
	}
	if len(tokens) != B*T {
		return fmt.Errorf("model: %d tokens for a batch of %d×%d", len(tokens), B, T)
	}
	for i, id := range tokens {
		if id < 0 || int(id) >= c.Vocab {
			return fmt.Errorf("model: token %d at sequence %d position %d is outside the vocabulary [0, %d)", id, i/T, i%T, c.Vocab)
		}
	}
	w.b, w.t = B, T
	BT, C, V := B*T, c.Width, c.Vocab
	P := m.Params
	copy(w.tokens, tokens)
	for i, id := range tokens {
		e := w.encoded[i*C : i*C+C]
		te := P.WTE[int(id)*C : int(id)*C+C]
		pe := P.WPE[(i%T)*C : (i%T)*C+C]
		for j := range e {
			e[j] = te[j] + pe[j]
		}
	}
	res := w.encoded[:BT*C]
	for l := range c.Layers {
		a, L := &w.layers[l], &P.Layers[l]
		m.layerNorm(w, a.ln1, a.ln1Mean, a.ln1Rstd, res, L.LN1W, L.LN1B, BT)
		m.linear(w, a.qkv, a.ln1, L.QKVW, L.QKVB, BT, 3*C, C)
		w.cur = curArgs[F]{layer: l}
		m.pool.runIndexed(B*c.Heads, w.attnFwd)
		m.linear(w, a.res2, a.atty, L.ProjW, L.ProjB, BT, C, C)
		addTo(a.res2[:BT*C], res)
		m.layerNorm(w, a.ln2, a.ln2Mean, a.ln2Rstd, a.res2, L.LN2W, L.LN2B, BT)
		m.linear(w, a.fch, a.ln2, L.FCW, L.FCB, BT, 4*C, C)
		w.cur = curArgs[F]{x: a.fch, y: a.fchGelu, th: a.fchTanh}
		m.pool.run(BT*4*C, 64, w.geluFwd)
		m.linear(w, a.res3, a.fchGelu, L.FCProjW, L.FCProjB, BT, C, 4*C)
		addTo(a.res3[:BT*C], a.res2)
		res = a.res3[:BT*C]
	}
	m.layerNorm(w, w.lnf, w.lnfMean, w.lnfRstd, res, P.LNFW, P.LNFB, BT)
	m.linear(w, w.logits, w.lnf, P.WTE, nil, BT, V, C)
	return nil
}

// Loss is the masked mean cross-entropy of the last Forward's logits:
//
//	loss = Σ_{b,t} mask[b,t]·(−log softmax(logits[b,t])[targets[b,t]]) / Σ mask
//
// (mask nil means all ones; targets and mask are [B, T]). It writes
// dloss/dlogits into w.DLogits() and returns the loss (accumulated in
// float64). Positions with mask 0 may hold any target. An all-zero mask gives
// loss 0 and a zero gradient.
func (m *Model[F]) Loss(w *Workspace[F], targets []int32, mask []F) (float64, error) {
	BT := w.b * w.t
	if len(targets) != BT || (mask != nil && len(mask) != BT) {
		return 0, fmt.Errorf("model: %d targets and %d mask entries for a batch of %d×%d", len(targets), len(mask), w.b, w.t)
	}
	var sum float64
	for i, id := range targets {
		mk := F(1)
		if mask != nil {
			mk = mask[i]
		}
		if mk != 0 && (id < 0 || int(id) >= m.cfg.Vocab) {
			return 0, fmt.Errorf("model: target %d at sequence %d position %d is outside the vocabulary [0, %d)", id, i/w.t, i%w.t, m.cfg.Vocab)
		}
		sum += float64(mk)
	}
	scale := F(0)
	if sum != 0 {
		scale = F(1 / sum)
	}
	w.cur = curArgs[F]{targets: targets, mask: mask, scale: scale}
	m.pool.run(BT, 1, w.lossFn)
	var loss float64
	for _, v := range w.lossRows[:BT] {
		loss += v
	}
	if sum == 0 {
		return 0, nil
	}
	return loss / sum, nil
}

// lossRows computes, for positions [lo, hi), the masked loss terms and
// dlogits = mask·scale·(softmax − onehot(target)).
func lossRows[F Float](w *Workspace[F], lo, hi int) {
	V := w.cfg.Vocab
	a := &w.cur
	for r := lo; r < hi; r++ {
		mk := F(1)
		if a.mask != nil {
			mk = a.mask[r]
		}
		z := w.logits[r*V : r*V+V]
		d := w.dlogits[r*V : r*V+V]
		if mk == 0 {
			clear(d)
			w.lossRows[r] = 0
			continue
		}
		lse := softmaxInto(d, z)
		tg := int(a.targets[r])
		w.lossRows[r] = float64(mk) * (lse - float64(z[tg]))
		g := mk * a.scale
		for j := range d {
			d[j] *= g
		}
		d[tg] -= g
	}
}

// softmaxInto writes softmax(z) into p and returns log Σ exp(z) (the max is
// subtracted first).
func softmaxInto[F Float](p, z []F) float64 {
	mx := z[0]
	for _, v := range z[1:] {
		mx = max(mx, v)
	}
	var s F
	p = p[:len(z)]
	for j, v := range z {
		e := expF(v - mx)
		p[j] = e
		s += e
	}
	inv := 1 / s
	for j := range p {
		p[j] *= inv
	}
	return float64(mx) + math.Log(float64(s))
}

// Backward accumulates into m.Grads the gradient of a scalar whose gradient
// with respect to the last Forward's logits is dlogits ([B, T, V]; Loss's
// w.DLogits(), or any gradient a caller's own loss computed).
func (m *Model[F]) Backward(w *Workspace[F], dlogits []F) error {
	c := m.cfg
	B, T := w.b, w.t
	BT, C, V := B*T, c.Width, c.Vocab
	if B == 0 {
		return fmt.Errorf("model: Backward before Forward")
	}
	if len(dlogits) != BT*V {
		return fmt.Errorf("model: dlogits has %d entries, expected %d (B=%d, T=%d, V=%d)", len(dlogits), BT*V, B, T, V)
	}
	P, G := m.Params, m.Grads
	m.linearBackward(w, w.dln, dlogits, w.lnf, P.WTE, G.WTE, nil, BT, V, C)
	dres := w.dres[:BT*C]
	clear(dres)
	last := w.encoded[:BT*C]
	if c.Layers > 0 {
		last = w.layers[c.Layers-1].res3
	}
	m.layerNormBackward(w, dres, w.dln, last, w.lnfMean, w.lnfRstd, P.LNFW, G.LNFW, G.LNFB, BT)
	for l := c.Layers - 1; l >= 0; l-- {
		a, L, D := &w.layers[l], &P.Layers[l], &G.Layers[l]
		in := w.encoded[:BT*C]
		if l > 0 {
			in = w.layers[l-1].res3
		}
		m.linearBackward(w, w.dfch, dres, a.fchGelu, L.FCProjW, D.FCProjW, D.FCProjB, BT, C, 4*C)
		w.cur = curArgs[F]{x: a.fch, th: a.fchTanh, dy: w.dfch}
		m.pool.run(BT*4*C, 64, w.geluBwd)
		m.linearBackward(w, w.dln, w.dfch, a.ln2, L.FCW, D.FCW, D.FCB, BT, 4*C, C)
		m.layerNormBackward(w, dres, w.dln, a.res2, a.ln2Mean, a.ln2Rstd, L.LN2W, D.LN2W, D.LN2B, BT)
		m.linearBackward(w, w.datty, dres, a.atty, L.ProjW, D.ProjW, D.ProjB, BT, C, C)
		w.cur = curArgs[F]{layer: l}
		m.pool.runIndexed(B*c.Heads, w.attnBwd)
		m.linearBackward(w, w.dln, w.dqkv, a.ln1, L.QKVW, D.QKVW, D.QKVB, BT, 3*C, C)
		m.layerNormBackward(w, dres, w.dln, in, a.ln1Mean, a.ln1Rstd, L.LN1W, D.LN1W, D.LN1B, BT)
	}
	for i, id := range w.tokens[:BT] {
		d := dres[i*C : i*C+C]
		addTo(G.WTE[int(id)*C:int(id)*C+C], d)
		addTo(G.WPE[(i%T)*C:(i%T)*C+C], d)
	}
	return nil
}

// addTo sets dst[i] += src[i].
func addTo[F Float](dst, src []F) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// linear computes out [rows, oc] = in [rows, ic] · Wᵀ (W [oc, ic]) + b (b
// [oc] or nil).
func (m *Model[F]) linear(w *Workspace[F], out, in, W, b []F, rows, oc, ic int) {
	w.nt = ntArgs[F]{c: out[:rows*oc], a: in[:rows*ic], b: W[:oc*ic], bias: b, n: oc, k: ic}
	m.pool.run(rows, ntTileRows, w.ntFn)
}

// linearBackward, for out = in·Wᵀ + b, writes din = dout·W ([rows, ic]) and
// accumulates dW += doutᵀ·in ([oc, ic]) and db += Σ_rows dout ([oc], if db
// is not nil).
func (m *Model[F]) linearBackward(w *Workspace[F], din, dout, in, W, dW, db []F, rows, oc, ic int) {
	// din = dout · (Wᵀ)ᵀ
	m.transpose(w, w.tA, W, oc, ic)
	w.nt = ntArgs[F]{c: din[:rows*ic], a: dout[:rows*oc], b: w.tA[:ic*oc], n: ic, k: oc}
	m.pool.run(rows, ntTileRows, w.ntFn)
	// dW += (doutᵀ) · ((inᵀ))ᵀ
	m.transpose(w, w.tA, dout, rows, oc)
	m.transpose(w, w.tB, in, rows, ic)
	w.nt = ntArgs[F]{c: dW[:oc*ic], a: w.tA[:oc*rows], b: w.tB[:ic*rows], n: ic, k: rows, accumulate: true}
	m.pool.run(oc, ntTileRows, w.ntFn)
	if db != nil {
		for o := range oc {
			var s F
			for _, v := range w.tA[o*rows : o*rows+rows] {
				s += v
			}
			db[o] += s
		}
	}
}

// transpose writes dst [n, m] = srcᵀ for src [m, n].
func (m *Model[F]) transpose(w *Workspace[F], dst, src []F, rows, cols int) {
	w.tr = trArgs[F]{dst: dst, src: src, m: rows, n: cols}
	m.pool.run(rows, 32, w.trFn)
}

// LayerNorm's ε, as torch.nn.LayerNorm's default.
const lnEps = 1e-5

// layerNorm writes y = (x − mean)/√(var + ε)·g + b row by row (rows of width
// C; var is the biased variance) and keeps each row's mean and 1/√(var + ε).
func (m *Model[F]) layerNorm(w *Workspace[F], y, mean, rstd, x, g, b []F, rows int) {
	w.cur = curArgs[F]{x: x, y: y, mean: mean, rstd: rstd, w: g, bias: b}
	m.pool.run(rows, 1, w.lnFwd)
}

func layerNormForward[F Float](a *curArgs[F], C, lo, hi int) {
	for r := lo; r < hi; r++ {
		x := a.x[r*C : r*C+C]
		y := a.y[r*C : r*C+C]
		var mu F
		for _, v := range x {
			mu += v
		}
		mu /= F(C)
		var va F
		for _, v := range x {
			d := v - mu
			va += d * d
		}
		va /= F(C)
		rs := F(1 / math.Sqrt(float64(va)+lnEps))
		for i, v := range x {
			y[i] = (v-mu)*rs*a.w[i] + a.bias[i]
		}
		a.mean[r], a.rstd[r] = mu, rs
	}
}

// layerNormBackward accumulates dx += ∂/∂x and dg, db for y = LayerNorm(x):
// with n = (x − mean)·rstd and dn = dy·g,
//
//	dx = rstd·(dn − mean(dn) − n·mean(dn·n)),  dg = Σ_rows dy·n,  db = Σ_rows dy.
func (m *Model[F]) layerNormBackward(w *Workspace[F], dx, dy, x, mean, rstd, g, dg, db []F, rows int) {
	C := m.cfg.Width
	w.cur = curArgs[F]{x: x, dx: dx, dy: dy, mean: mean, rstd: rstd, w: g}
	m.pool.run(rows, 1, w.lnBwd)
	// parameter gradients: one pass in row order, so sums are deterministic
	for r := range rows {
		xr, dyr := x[r*C:r*C+C], dy[r*C:r*C+C]
		mu, rs := mean[r], rstd[r]
		for i, v := range xr {
			n := (v - mu) * rs
			dg[i] += dyr[i] * n
			db[i] += dyr[i]
		}
	}
}

func layerNormBackward[F Float](a *curArgs[F], C, lo, hi int) {
	for r := lo; r < hi; r++ {
		x := a.x[r*C : r*C+C]
		dy := a.dy[r*C : r*C+C]
		dx := a.dx[r*C : r*C+C]
		mu, rs := a.mean[r], a.rstd[r]
		var sdn, sdnn F
		for i, v := range x {
			n := (v - mu) * rs
			dn := dy[i] * a.w[i]
			sdn += dn
			sdnn += dn * n
		}
		sdn /= F(C)
		sdnn /= F(C)
		for i, v := range x {
			n := (v - mu) * rs
			dn := dy[i] * a.w[i]
			dx[i] += (dn - sdn - n*sdnn) * rs
		}
	}
}

// GELU, tanh approximation (torch's gelu(approximate="tanh"), GPT-2's):
//
//	gelu(x) = x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
const (
	geluS = 0.7978845608028654 // √(2/π)
	geluA = 0.044715
)

func geluForward[F Float](a *curArgs[F], lo, hi int) {
	x, y, th := a.x[lo:hi], a.y[lo:hi], a.th[lo:hi]
	for i, v := range x {
		t := tanhF(F(geluS) * (v + F(geluA)*v*v*v))
		th[i] = t
		y[i] = F(0.5) * v * (1 + t)
	}
}

// geluBackward turns dy (the gradient of gelu's output) into the gradient of
// its input, in place:
//
//	gelu'(x) = (1 + t)/2 + x/2·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²),  t = tanh(…).
func geluBackward[F Float](a *curArgs[F], lo, hi int) {
	x, dy, th := a.x[lo:hi], a.dy[lo:hi], a.th[lo:hi]
	for i, v := range x {
		t := th[i]
		g := F(0.5)*(1+t) + F(0.5)*v*(1-t*t)*F(geluS)*(1+F(3*geluA)*v*v)
		dy[i] *= g
	}
}

// expF is exp: in float64 by math.Exp, in float32 by exp32.
func expF[F Float](x F) F {
	if unsafe.Sizeof(x) == 4 {
		return F(exp32(float32(x)))
	}
	return F(math.Exp(float64(x)))
}

// tanhF is tanh: in float64 by math.Tanh, in float32 as
// 1 − 2/(exp(2x) + 1) with exp32 (absolute error ≤ 1.2e-7, which is what
// GELU needs: it uses 1 + tanh).
func tanhF[F Float](x F) F {
	if unsafe.Sizeof(x) == 4 {
		v := float32(x)
		v = min(max(v, -9), 9) // tanh(±9) rounds to ±1 in float32
		return F(1 - 2/(exp32(2*v)+1))
	}
	return F(math.Tanh(float64(x)))
}

// exp32 is eˣ in float32 arithmetic (relative error ≤ 2 ulp): x = n·ln 2 + r
// with |r| ≤ ln 2/2, eʳ by Cephes' expf polynomial, 2ⁿ by the exponent bits.
// It underflows to 0 below −87.3 and overflows to +Inf above 88.7.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	fn := x*log2e + 0.5
	n := int32(fn)
	if fn < 0 && float32(n) != fn {
		n-- // floor
	}
	r := x - float32(n)*ln2hi - float32(n)*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	// 2ⁿ for n in [−126, 127]; n = −127 or 128 would leave the normal range,
	// so scale in two steps there.
	if n < -125 || n > 126 {
		h := n / 2
		return p * math.Float32frombits(uint32(h+127)<<23) * math.Float32frombits(uint32(n-h+127)<<23)
	}
	return p * math.Float32frombits(uint32(n+127)<<23)
}
