package model

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func tinyModel[F Float](t *testing.T, workers int) *Model[F] {
	t.Helper()
	m, err := New[F](tiny, 1, workers)
	must(t, err)
	t.Cleanup(m.Close)
	randomize(m.Params, 3, 0.5)
	return m
}

func testDecoderMatchesForward[F Float](t *testing.T, tol float64) {
	m := tinyModel[F](t, 2)
	tokens, _, _ := tinyBatch(tiny, 1, tiny.Context)
	w := m.NewWorkspace(1, tiny.Context)
	must(t, m.Forward(w, tokens, 1, tiny.Context))
	d := m.NewDecoder()
	V := tiny.Vocab
	for pos, id := range tokens {
		logits, err := d.Push(int(id))
		must(t, err)
		for j, v := range logits {
			want := w.Logits()[pos*V+j]
			if math.Abs(float64(v-want)) > tol {
				t.Fatalf("position %d, logit %d: decoder %v, forward %v", pos, j, v, want)
			}
		}
	}
	if _, err := d.Push(1); err == nil || !strings.Contains(err.Error(), "decoder is full") {
		t.Fatalf("push past the context: %v", err)
	}
	d.Reset()
	if _, err := d.Push(V); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Fatalf("push of token V: %v", err)
	}
}

func TestDecoderMatchesForward(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testDecoderMatchesForward[float64](t, 1e-12) })
	t.Run("float32", func(t *testing.T) { testDecoderMatchesForward[float32](t, 1e-5) })
}

func TestLogProbs(t *testing.T) {
	m := tinyModel[float64](t, 1)
	V := tiny.Vocab
	toks := []int{3, 1, 4, 1, 5, 9}
	w := m.NewWorkspace(1, tiny.Context)
	dst := make([]float64, 4*V)
	must(t, m.LogProbs(w, toks, 2, dst))
	d := m.NewDecoder()
	for i, id := range toks[:len(toks)-1] {
		logits, err := d.Push(id)
		must(t, err)
		if i+1 < 2 {
			continue
		}
		row := dst[(i+1-2)*V : (i+2-2)*V]
		var s float64
		for _, v := range row {
			s += math.Exp(v)
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("row %d: probabilities sum to %v", i+1-2, s)
		}
		// log-softmax differences equal logit differences
		for j := range row {
			if e := (row[j] - row[0]) - (logits[j] - logits[0]); math.Abs(e) > 1e-12 {
				t.Fatalf("row %d, token %d: log-prob difference off by %g", i+1-2, j, e)
			}
		}
	}
	for _, tc := range []struct {
		toks []int
		from int
		dst  int
		err  string
	}{
		{toks, 0, 6 * V, "scoring from position 0 of a 6-token sequence; it must be in [1, 6]"},
		{toks, 2, 3 * V, "dst has 60 entries, expected 80"},
		{make([]int, 9), 1, 8 * V, "a 9-token sequence is longer than the workspace's 8"},
		{[]int{1, 20}, 1, V, "token 20 at position 1 is outside the vocabulary [0, 20)"},
	} {
		err := m.LogProbs(w, tc.toks, tc.from, make([]float64, tc.dst))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("LogProbs(%v, from %d): error %v, expected %q", tc.toks, tc.from, err, tc.err)
		}
	}
}

func TestSampler(t *testing.T) {
	logits := []float64{0.5, 2, -1, 1.5, 0, 1.9}
	draw := func(seed uint64, temp float64, k int, p float64, n int) []int {
		s, err := NewSampler(seed, temp, k, p)
		must(t, err)
		out := make([]int, n)
		for i := range out {
			out[i] = Sample(s, logits)
		}
		return out
	}
	a, b, c := draw(7, 1, 0, 0, 50), draw(7, 1, 0, 0, 50), draw(8, 1, 0, 0, 50)
	if !equalInts(a, b) {
		t.Errorf("same seed, different draws: %v vs %v", a, b)
	}
	if equalInts(a, c) {
		t.Errorf("seeds 7 and 8 drew the same 50 tokens")
	}
	for _, tc := range []struct {
		name    string
		temp    float64
		k       int
		p       float64
		allowed map[int]bool
	}{
		{"greedy", 0, 0, 0, map[int]bool{1: true}},
		{"top-k 1", 1, 1, 0, map[int]bool{1: true}},
		{"top-k 2", 1, 2, 0, map[int]bool{1: true, 5: true}},
		{"top-p 0.1", 1, 0, 0.1, map[int]bool{1: true}},
		// probabilities (T=1): 1: .31, 5: .28, 3: .19, 0: .07, 4: .04, 2: .02
		{"top-p 0.7", 1, 0, 0.7, map[int]bool{1: true, 5: true, 3: true}},
	} {
		seen := map[int]bool{}
		for _, id := range draw(1, tc.temp, tc.k, tc.p, 400) {
			if !tc.allowed[id] {
				t.Errorf("%s: drew %d, allowed %v", tc.name, id, tc.allowed)
				break
			}
			seen[id] = true
		}
		if len(seen) != len(tc.allowed) {
			t.Errorf("%s: 400 draws saw %v, expected each of %v", tc.name, seen, tc.allowed)
		}
	}
	// frequencies match softmax(logits/T) at T = 2: 20000 draws, 5σ bound
	const n, T = 20000, 2.0
	counts := make([]float64, len(logits))
	for _, id := range draw(3, T, 0, 0, n) {
		counts[id]++
	}
	var z float64
	for _, v := range logits {
		z += math.Exp(v / T)
	}
	for i, v := range logits {
		p := math.Exp(v/T) / z
		if sigma := math.Sqrt(p * (1 - p) / n); math.Abs(counts[i]/n-p) > 5*sigma {
			t.Errorf("token %d: frequency %.4f, softmax %.4f (5σ = %.4f)", i, counts[i]/n, p, 5*sigma)
		}
	}
	for _, bad := range []struct {
		temp float64
		k    int
		p    float64
	}{{-1, 0, 0}, {math.NaN(), 0, 0}, {math.Inf(1), 0, 0}, {1, -1, 0}, {1, 0, 1.5}, {1, 0, math.NaN()}} {
		if _, err := NewSampler(0, bad.temp, bad.k, bad.p); err == nil {
			t.Errorf("NewSampler(temperature %v, top-k %d, top-p %v) accepted", bad.temp, bad.k, bad.p)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	m := tinyModel[float32](t, 1)
	gen := func(seed uint64) []int {
		s, err := NewSampler(seed, 0.9, 10, 0.95)
		must(t, err)
		out, err := Generate(m.NewDecoder(), s, []int{1, 2}, 20, nil)
		must(t, err)
		return out
	}
	a, b := gen(5), gen(5)
	if !equalInts(a, b) || len(a) != tiny.Context-2 {
		t.Errorf("generations: %v and %v (expected %d tokens each, the context's rest)", a, b, tiny.Context-2)
	}
	stop, err := Generate(m.NewDecoder(), mustSampler(t, 0, 0, 0, 0), []int{1}, 5, func(int) bool { return true })
	must(t, err)
	if len(stop) != 1 {
		t.Errorf("stop after the first token: got %v", stop)
	}
}

func mustSampler(t *testing.T, seed uint64, temp float64, k int, p float64) *Sampler {
	s, err := NewSampler(seed, temp, k, p)
	must(t, err)
	return s
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := tinyModel[float32](t, 1)
	var buf bytes.Buffer
	must(t, Save(&buf, m.Params))
	p, err := Load[float32](bytes.NewReader(buf.Bytes()))
	must(t, err)
	if p.Config != tiny || !equalF(p.Data, m.Params.Data) {
		t.Fatalf("round trip changed the parameters")
	}
	p64, err := Load[float64](bytes.NewReader(buf.Bytes()))
	must(t, err)
	for i, v := range p64.Data {
		if float32(v) != m.Params.Data[i] {
			t.Fatalf("float64 load: element %d is %v, saved %v", i, v, m.Params.Data[i])
		}
	}
}

func equalF[F Float](a, b []F) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCheckpointHostile: every damaged checkpoint is refused with a sentence
// that says where and what was expected, and a header asking for a huge
// model is refused before anything is allocated for it.
func TestCheckpointHostile(t *testing.T) {
	m := tinyModel[float32](t, 1)
	var buf bytes.Buffer
	must(t, Save(&buf, m.Params))
	good := buf.Bytes()
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	firstData := 8 + 24 + 2 + len("wte") + 1 + 8 // header, then wte's name and dims
	for _, tc := range []struct {
		name string
		data []byte
		err  string
	}{
		{"empty", nil, "checkpoint header: unexpected EOF (it is 32 bytes, read 0)"},
		{"not a checkpoint", edit(func(b []byte) []byte { copy(b, "GGUF\x03\x00"); return b }), `not a checkpoint: it starts with "GGUF\x03\x00", expected "RCSDLM"`},
		{"version 2", edit(func(b []byte) []byte { b[6] = 2; return b }), "checkpoint version 2; this build reads version 1"},
		{"huge vocab", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 1<<30); return b }), "checkpoint header: vocab 1073741824 is outside [2, 65536]"},
		{"heads", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[20:], 3); return b }), "checkpoint header: 3 heads do not divide the width 8"},
		{"tensor count", edit(func(b []byte) []byte { b[28] = 5; return b }), "checkpoint header lists 5 tensors; the config"},
		{"renamed tensor", edit(func(b []byte) []byte { copy(b[34:], "wtx"); return b }), `checkpoint tensor 0 at byte 32 is "wtx", expected "wte"`},
		{"reshaped tensor", edit(func(b []byte) []byte { b[38] = 21; return b }), "checkpoint tensor wte at byte 32 has dimension 0 = 21, expected 20 (shape [20 8])"},
		{"NaN weight", edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[firstData+4*17:], math.Float32bits(float32(math.NaN())))
			return b
		}), "checkpoint tensor wte[17] is NaN; weights must be finite"},
		{"truncated", good[:len(good)-3], "checkpoint tensor lnf.b: unexpected EOF after 0 of its 8 values"},
		{"trailing byte", append(append([]byte(nil), good...), 0), "checkpoint has data after its last tensor, at byte"},
	} {
		_, err := Load[float32](bytes.NewReader(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, expected %q", tc.name, err, tc.err)
		}
	}
}
