package model

import (
	"fmt"
	"math"
)

// LogProbs scores tokens teacher-forced: it runs tokens (1 ≤ len ≤ the
// workspace's maxT) as one sequence and writes into dst, [len(tokens)−from,
// V], row i the log-softmax over the whole vocabulary of the model's
// prediction at position from+i−1, i.e. log p(· | tokens[:from+i]); the
// entry dst[i*V + tokens[from+i]] is the log-probability of the token that
// is there. 1 ≤ from ≤ len(tokens). Every entry of every row is exact (no
// top-k truncation), so any top-k taken from a row is exact too.
func (m *Model[F]) LogProbs(w *Workspace[F], tokens []int, from int, dst []F) error {
	n, V := len(tokens), m.cfg.Vocab
	if from < 1 || from > n {
		return fmt.Errorf("model: scoring from position %d of a %d-token sequence; it must be in [1, %d] (the first token has no prediction)", from, n, n)
	}
	if n > w.maxT {
		return fmt.Errorf("model: a %d-token sequence is longer than the workspace's %d (context %d)", n, w.maxT, m.cfg.Context)
	}
	if len(dst) != (n-from)*V {
		return fmt.Errorf("model: dst has %d entries, expected %d (%d positions × %d)", len(dst), (n-from)*V, n-from, V)
	}
	ids32 := make([]int32, n)
	for i, id := range tokens {
		if id < 0 || id >= V {
			return fmt.Errorf("model: token %d at position %d is outside the vocabulary [0, %d)", id, i, V)
		}
		ids32[i] = int32(id)
	}
	if err := m.Forward(w, ids32, 1, n); err != nil {
		return err
	}
	for i := from; i < n; i++ {
		logSoftmax(dst[(i-from)*V:(i-from+1)*V], w.logits[(i-1)*V:i*V])
	}
	return nil
}

// logSoftmax writes dst = z − log Σ exp(z), the max subtracted first and the
// sum taken in float64.
func logSoftmax[F Float](dst, z []F) {
	mx := z[0]
	for _, v := range z[1:] {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - mx))
	}
	lse := mx + F(math.Log(s))
	dst = dst[:len(z)]
	for j, v := range z {
		dst[j] = v - lse
	}
}

// Decoder runs the model one token at a time with a cache of every layer's
// keys and values, for sampling: pushing token t costs O(t) attention, not a
// forward pass over the whole prefix. Its logits equal Forward's for the
// same prefix (the same kernels, row by row). A Decoder is used by one
// goroutine at a time; its model's parameters must not change meanwhile.
type Decoder[F Float] struct {
	m      *Model[F]
	pos    int
	k, v   [][]F // per layer [Context, C]
	x      []F   // [C] the residual stream
	h      []F   // [C]
	qkv    []F   // [3C]
	y      []F   // [C]
	fc     []F   // [4C]
	th     []F   // [4C]
	g      []F   // [4C]
	t      []F   // [C]
	att    []F   // [Context]
	logits []F   // [V]
	mean   []F   // [1]
	rstd   []F   // [1]
	nt     ntArgs[F]
	cur    curArgs[F]
}

// NewDecoder returns an empty decoder.
func (m *Model[F]) NewDecoder() *Decoder[F] {
	c := m.cfg
	C := c.Width
	d := &Decoder[F]{m: m, k: make([][]F, c.Layers), v: make([][]F, c.Layers)}
	for l := range c.Layers {
		d.k[l], d.v[l] = make([]F, c.Context*C), make([]F, c.Context*C)
	}
	d.x, d.h, d.y, d.t = make([]F, C), make([]F, C), make([]F, C), make([]F, C)
	d.qkv = make([]F, 3*C)
	d.fc, d.th, d.g = make([]F, 4*C), make([]F, 4*C), make([]F, 4*C)
	d.att, d.logits = make([]F, c.Context), make([]F, c.Vocab)
	d.mean, d.rstd = make([]F, 1), make([]F, 1)
	return d
}

// Reset empties the cache.
func (d *Decoder[F]) Reset() { d.pos = 0 }

// Len is the number of tokens pushed since the last Reset.
func (d *Decoder[F]) Len() int { return d.pos }

// Push appends token and returns the logits, [V], of the prediction of the
// next token (valid until the next Push). It fails once Context tokens are in
// the cache.
func (d *Decoder[F]) Push(token int) ([]F, error) {
	m, c := d.m, d.m.cfg
	C, H := c.Width, c.Heads
	D := C / H
	if d.pos >= c.Context {
		return nil, fmt.Errorf("model: the decoder is full: %d tokens is the context", c.Context)
	}
	if token < 0 || token >= c.Vocab {
		return nil, fmt.Errorf("model: token %d is outside the vocabulary [0, %d)", token, c.Vocab)
	}
	P, t := m.Params, d.pos
	te, pe := P.WTE[token*C:token*C+C], P.WPE[t*C:t*C+C]
	for j := range d.x {
		d.x[j] = te[j] + pe[j]
	}
	scale := F(1 / math.Sqrt(float64(D)))
	for l := range c.Layers {
		L := &P.Layers[l]
		d.norm(d.h, d.x, L.LN1W, L.LN1B)
		d.matvec(d.qkv, d.h, L.QKVW, L.QKVB, 3*C, C)
		copy(d.k[l][t*C:t*C+C], d.qkv[C:2*C])
		copy(d.v[l][t*C:t*C+C], d.qkv[2*C:3*C])
		for h := range H {
			q := d.qkv[h*D : h*D+D]
			row := d.att[:t+1]
			mx := F(math.Inf(-1))
			for j := range row {
				s := dot(q, d.k[l][j*C+h*D:j*C+h*D+D]) * scale
				row[j] = s
				mx = max(mx, s)
			}
			var sum F
			for j, s := range row {
				e := expF(s - mx)
				row[j] = e
				sum += e
			}
			inv := 1 / sum
			y := d.y[h*D : h*D+D]
			clear(y)
			for j := range row {
				row[j] *= inv
				p := row[j]
				v := d.v[l][j*C+h*D : j*C+h*D+D]
				for e := range y {
					y[e] += p * v[e]
				}
			}
		}
		d.matvec(d.t, d.y, L.ProjW, L.ProjB, C, C)
		addTo(d.x, d.t)
		d.norm(d.h, d.x, L.LN2W, L.LN2B)
		d.matvec(d.fc, d.h, L.FCW, L.FCB, 4*C, C)
		d.cur = curArgs[F]{x: d.fc, y: d.g, th: d.th}
		geluForward(&d.cur, 0, 4*C)
		d.matvec(d.t, d.g, L.FCProjW, L.FCProjB, C, 4*C)
		addTo(d.x, d.t)
	}
	d.norm(d.h, d.x, P.LNFW, P.LNFB)
	d.matvec(d.logits, d.h, P.WTE, nil, c.Vocab, C)
	d.pos++
	return d.logits, nil
}

func (d *Decoder[F]) norm(y, x, g, b []F) {
	d.cur = curArgs[F]{x: x, y: y, mean: d.mean, rstd: d.rstd, w: g, bias: b}
	layerNormForward(&d.cur, len(x), 0, 1)
}

func (d *Decoder[F]) matvec(out, in, W, b []F, oc, ic int) {
	d.nt = ntArgs[F]{c: out[:oc], a: in[:ic], b: W[:oc*ic], bias: b, n: oc, k: ic}
	ntRows(&d.nt, 0, 1)
}
