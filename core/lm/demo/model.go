package demo

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Default cache parameters of a loaded model, chosen on the held-out slice
// (see docs/demo-model.md).
const (
	// DefaultCacheWeight is λ, the weight of the context cache.
	DefaultCacheWeight = 0.1
	// DefaultCacheBigramWeight is μ, the share of the bigram cache inside
	// the cache when the previous token has successors in the cache.
	DefaultCacheBigramWeight = 0.5
)

// Model is an interpolated modified Kneser–Ney n-gram model over a
// byte-fallback word tokenizer, mixed with a unigram/bigram cache over the
// context. A Model is immutable and safe for concurrent use.
type Model struct {
	tok   *tokenizer
	order int

	// base[w] is the unigram-level probability P₁(w), uniform mass included.
	base []float64
	// byBase lists the token ids by base descending, ties by id ascending.
	byBase []int32
	// levels[k] for 2 ≤ k ≤ order holds the contexts of length k-1.
	levels []level
	// disc[k] holds the discounts D₁, D₂, D₃₊ of order k.
	disc [][3]float64

	cacheWeight, cacheBigram float64

	hash string
}

// level holds, for one order k, every context h of length k-1 seen in
// training: its packed key, its back-off weight γ(h), and the discounted
// terms (c(h w) − D(c))/Σ_v c(h v) of its successors w.
type level struct {
	keys  []uint64 // sorted
	gamma []float64
	start []int32 // successors of keys[i] are ids[start[i]:start[i+1]]
	ids   []int32
	p     []float64
}

// find returns the index of context key in l, or -1.
func (l *level) find(key uint64) int {
	i, ok := slices.BinarySearch(l.keys, key)
	if !ok {
		return -1
	}
	return i
}

// Decode builds a Model from a model payload as written by Train, gzipped or
// not.
func Decode(data []byte) (*Model, error) {
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("demo: model: %w", err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("demo: model: %w", err)
		}
		data = raw
	}
	sum := sha256.Sum256(data)
	r := &reader{b: data}
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, errors.New("demo: model: not a demo model payload (bad magic)")
	}
	r.i = len(magic)
	if v := r.uvarint(); r.err == nil && v != formatVersion {
		return nil, fmt.Errorf("demo: model: format version %d, this build reads version %d", v, formatVersion)
	}
	order := int(r.uvarint())
	if r.err == nil && (order < 1 || order > maxOrder) {
		return nil, fmt.Errorf("demo: model: order %d not in [1, %d]", order, maxOrder)
	}
	nw := r.uvarint()
	if r.err == nil && nw > 1<<keyBits-numBytes {
		return nil, fmt.Errorf("demo: model: %d vocabulary entries exceed %d", nw, 1<<keyBits-numBytes)
	}
	words := make([]string, 0, nw)
	for i := uint64(0); i < nw && r.err == nil; i++ {
		words = append(words, string(r.bytes(r.uvarint())))
	}
	if r.err != nil {
		return nil, r.err
	}
	tok, err := newTokenizer(words)
	if err != nil {
		return nil, err
	}
	m := &Model{
		tok:         tok,
		order:       order,
		levels:      make([]level, order+1),
		disc:        make([][3]float64, order+1),
		cacheWeight: DefaultCacheWeight,
		cacheBigram: DefaultCacheBigramWeight,
		hash:        hex.EncodeToString(sum[:]),
	}
	V := len(tok.vocab)
	for k := 1; k <= order; k++ {
		n := r.uvarint()
		if r.err != nil {
			return nil, r.err
		}
		if n > uint64(len(data)) {
			return nil, fmt.Errorf("demo: model: order %d claims %d entries in %d bytes", k, n, len(data))
		}
		keys := make([]uint64, n)
		cnt := make([]uint64, n)
		var prev uint64
		for i := range keys {
			d := r.uvarint()
			c := r.uvarint()
			if r.err != nil {
				return nil, r.err
			}
			if i > 0 && d == 0 || c == 0 {
				return nil, fmt.Errorf("demo: model: order %d entry %d: unsorted key or zero count", k, i)
			}
			keys[i], cnt[i] = prev+d, c
			prev = keys[i]
			if k < maxOrder && keys[i]>>(keyBits*k) != 0 {
				return nil, fmt.Errorf("demo: model: order %d entry %d: key has more than %d tokens", k, i, k)
			}
			for j := range k {
				if int(keys[i]>>(keyBits*j)&(1<<keyBits-1)) >= V {
					return nil, fmt.Errorf("demo: model: order %d entry %d: token id out of range", k, i)
				}
			}
		}
		m.disc[k] = discounts(cnt)
		if k == 1 {
			m.base = unigram(keys, cnt, m.disc[1], V)
		} else {
			m.levels[k] = buildLevel(keys, cnt, m.disc[k])
		}
	}
	m.byBase = make([]int32, V)
	for w := range m.byBase {
		m.byBase[w] = int32(w)
	}
	slices.SortStableFunc(m.byBase, func(a, b int32) int { return cmp.Compare(m.base[b], m.base[a]) })
	if r.i != len(data) {
		return nil, fmt.Errorf("demo: model: %d trailing bytes", len(data)-r.i)
	}
	return m, nil
}

// discounts returns the modified Kneser–Ney discounts of Chen and Goodman
// (1998) from the counts of one order:
//
//	Y = n₁/(n₁ + 2n₂), D₁ = 1 − 2Y n₂/n₁, D₂ = 2 − 3Y n₃/n₂, D₃₊ = 3 − 4Y n₄/n₃,
//
// where nᵢ is the number of n-grams with count exactly i. When some nᵢ is 0
// the estimate is undefined and the absolute discount D = Y (or 0.5 when n₁
// or n₂ is 0 too) is used for every count. Each Dᵢ is clamped to [0, i].
func discounts(cnt []uint64) [3]float64 {
	var n [5]float64
	for _, c := range cnt {
		if c <= 4 {
			n[c]++
		}
	}
	if n[1] == 0 || n[2] == 0 {
		return [3]float64{0.5, 0.5, 0.5}
	}
	y := n[1] / (n[1] + 2*n[2])
	if n[3] == 0 || n[4] == 0 {
		return [3]float64{y, y, y}
	}
	d := [3]float64{
		1 - 2*y*n[2]/n[1],
		2 - 3*y*n[3]/n[2],
		3 - 4*y*n[4]/n[3],
	}
	// Keep 0 ≤ Dᵢ ≤ i so that c − D(c) ≥ 0 even on odd count statistics.
	for i := range d {
		d[i] = max(0, min(d[i], float64(i+1)))
	}
	return d
}

func discount(d [3]float64, c uint64) float64 {
	return d[min(c, 3)-1]
}

// unigram returns P₁(w) = max(c(w) − D(c(w)), 0)/Σc + γ/V with
// γ = (D₁N₁ + D₂N₂ + D₃₊N₃₊)/Σc, Nᵢ the number of tokens with count i
// (N₃₊: at least 3); it is the uniform distribution when there are no counts.
func unigram(keys, cnt []uint64, d [3]float64, V int) []float64 {
	var total, mass float64
	for _, c := range cnt {
		total += float64(c)
		mass += discount(d, c)
	}
	base := make([]float64, V)
	if total == 0 {
		for w := range base {
			base[w] = 1 / float64(V)
		}
		return base
	}
	u := mass / total / float64(V)
	for w := range base {
		base[w] = u
	}
	for i, key := range keys {
		base[key] = base[key] + float64((float64(cnt[i])-discount(d, cnt[i]))/total)
	}
	return base
}

// buildLevel groups the entries of one order k ≥ 2 by context and stores
// γ(h) = (D₁N₁(h) + D₂N₂(h) + D₃₊N₃₊(h))/Σ_v c(h v) and the terms
// (c(h w) − D(c(h w)))/Σ_v c(h v).
func buildLevel(keys, cnt []uint64, d [3]float64) level {
	l := level{ids: make([]int32, len(keys)), p: make([]float64, len(keys))}
	for i := 0; i < len(keys); {
		ctx := keys[i] >> keyBits
		j := i
		var total, mass float64
		for ; j < len(keys) && keys[j]>>keyBits == ctx; j++ {
			total += float64(cnt[j])
			mass += discount(d, cnt[j])
		}
		for x := i; x < j; x++ {
			l.ids[x] = int32(keys[x] & (1<<keyBits - 1))
			l.p[x] = (float64(cnt[x]) - discount(d, cnt[x])) / total
		}
		l.keys = append(l.keys, ctx)
		l.gamma = append(l.gamma, mass/total)
		l.start = append(l.start, int32(i))
		i = j
	}
	l.start = append(l.start, int32(len(keys)))
	return l
}

// reader decodes uvarints and byte strings, remembering the first error.
type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		r.err = fmt.Errorf("demo: model: bad varint at byte %d", r.i)
		return 0
	}
	r.i += n
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.i) {
		r.err = fmt.Errorf("demo: model: string of %d bytes at byte %d overruns the payload", n, r.i)
		return nil
	}
	b := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return b
}

// VocabSize returns the number of tokens, the 256 byte tokens included.
func (m *Model) VocabSize() int { return len(m.tok.vocab) }

// Order returns the n-gram order.
func (m *Model) Order() int { return m.order }

// Hash returns the hex SHA-256 of the uncompressed model payload.
func (m *Model) Hash() string { return m.hash }

// Discounts returns the modified Kneser–Ney discounts D₁, D₂, D₃₊ of order k,
// 1 ≤ k ≤ Order(). It panics if k is out of range.
func (m *Model) Discounts(k int) [3]float64 {
	if k < 1 || k > m.order {
		panic("demo: order out of range")
	}
	return m.disc[k]
}

// CacheWeights returns λ and μ.
func (m *Model) CacheWeights() (lambda, mu float64) { return m.cacheWeight, m.cacheBigram }

// WithCache returns a copy of m whose cache has weight lambda (λ; 0 turns the
// cache off) and bigram share mu (μ), both in [0, 1). The copy shares the
// n-gram tables with m.
func (m *Model) WithCache(lambda, mu float64) (*Model, error) {
	if !(lambda >= 0 && lambda < 1) || !(mu >= 0 && mu < 1) {
		return nil, fmt.Errorf("demo: cache weights λ=%v, μ=%v not in [0, 1)", lambda, mu)
	}
	c := *m
	c.cacheWeight, c.cacheBigram = lambda, mu
	return &c, nil
}

// Token returns the exact bytes of token id. It panics if id is out of range.
func (m *Model) Token(id int) string { return m.tok.vocab[id] }

// Tokenize splits text into tokens. Every byte string tokenizes (unknown
// pieces fall back to shorter vocabulary entries and finally single bytes),
// the ids depend only on the bytes of text, and concatenating the Text of
// the tokens gives text back.
func (m *Model) Tokenize(text string) []Token { return m.tok.tokenize(text) }

// Encode returns the token ids of text.
func (m *Model) Encode(text string) []int { return m.tok.ids(text) }

// Detokenize concatenates the bytes of the tokens ids. It returns an error
// naming the first id outside [0, VocabSize()).
func (m *Model) Detokenize(ids []int) (string, error) {
	var b []byte
	for i, id := range ids {
		if id < 0 || id >= len(m.tok.vocab) {
			return "", fmt.Errorf("demo: token %d: id %d not in [0, %d)", i, id, len(m.tok.vocab))
		}
		b = append(b, m.tok.vocab[id]...)
	}
	return string(b), nil
}

func (m *Model) checkIDs(what string, ids []int) error {
	for i, id := range ids {
		if id < 0 || id >= len(m.tok.vocab) {
			return fmt.Errorf("demo: %s token %d: id %d not in [0, %d)", what, i, id, len(m.tok.vocab))
		}
	}
	return nil
}

// NextLogProbs returns in dst the natural-log probabilities of every token
// following context:
//
//	P(w | context) = (1 − λ) P_KN(w | h) + λ P_cache(w),
//
// where h is the last Order()−1 tokens of context, P_KN the interpolated
// modified Kneser–Ney estimate and P_cache the cache over all of context
// (see State). If the context is empty the cache term is dropped. dst is
// resized to VocabSize() (allocated when its capacity is too small) and
// returned; exp of its entries sums to 1 within rounding. NextLogProbs
// panics if an id in context is outside [0, VocabSize()).
func (m *Model) NextLogProbs(dst []float64, context []int) []float64 {
	if err := m.checkIDs("context", context); err != nil {
		panic(err.Error())
	}
	s := m.NewState()
	for _, id := range context {
		s.Push(id)
	}
	dst = s.Probs(dst)
	for w, p := range dst {
		dst[w] = math.Log(p)
	}
	return dst
}
