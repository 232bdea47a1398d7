package demo

import (
	"github.com/rcsd-dev/rcsd/internal/shareddata"
	"maps"

	"bytes"
	"compress/gzip"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// readCorpus mirrors cmd/internal/trainlm: the corpus files built from
// the public rows in ../shared/data (never committed) in lexical order of
// their names, documents split into the training and held-out slices.
func readCorpus(t testing.TB) (train, held []string) {
	t.Helper()
	shareddata.Path(t, shareddata.PrometheusRows)
	files, err := shareddata.DemoCorpus(filepath.Dir(shareddata.Path(t, shareddata.HealthBenchRows)))
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(files))
	i := 0
	for _, name := range names {
		for _, d := range Documents(files[name]) {
			if HeldOut(i) {
				held = append(held, d)
			} else {
				train = append(train, d)
			}
			i++
		}
	}
	return train, held
}

func load(t testing.TB) *Model {
	t.Helper()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The embedded model must be exactly what the committed generator builds
// from the corpus, so nobody can change one without the other.
func TestEmbeddedModelMatchesFreshBuild(t *testing.T) {
	train, _ := readCorpus(t)
	fresh, err := Train(train, DefaultTrainConfig)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(embedded))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, fresh) {
		t.Fatalf("embedded payload (%d bytes) differs from a fresh build (%d bytes): run go generate ./core/lm/demo", len(got), len(fresh))
	}
	if len(embedded) > 3<<20 {
		t.Errorf("embedded model is %d bytes, over the 3 MiB budget", len(embedded))
	}
}

func TestLoadIsCached(t *testing.T) {
	a, b := load(t), load(t)
	if a != b {
		t.Error("Load returned two different models")
	}
	if a.VocabSize() <= numBytes || a.VocabSize() > DefaultTrainConfig.VocabSize {
		t.Errorf("VocabSize() = %d", a.VocabSize())
	}
	if a.Order() != DefaultTrainConfig.Order {
		t.Errorf("Order() = %d, want %d", a.Order(), DefaultTrainConfig.Order)
	}
}

func TestNextLogProbsNormalise(t *testing.T) {
	m := load(t)
	rng := rand.New(rand.NewPCG(1, 2))
	train, _ := readCorpus(t)
	var dst []float64
	for trial := range 200 {
		var ctx []int
		switch trial % 3 {
		case 0: // random ids, mostly unseen n-grams
			ctx = make([]int, rng.IntN(20))
			for i := range ctx {
				ctx[i] = rng.IntN(m.VocabSize())
			}
		default: // a real prefix, so high-order contexts are found
			ids := m.Encode(train[rng.IntN(len(train))])
			ctx = ids[:rng.IntN(len(ids)+1)]
		}
		for _, mc := range []*Model{m, mustCache(t, m, 0, 0), mustCache(t, m, 0.5, 0.9)} {
			dst = mc.NextLogProbs(dst, ctx)
			if len(dst) != m.VocabSize() {
				t.Fatalf("len = %d, want %d", len(dst), m.VocabSize())
			}
			var sum float64
			for w, lp := range dst {
				if !(lp < 0) || math.IsInf(lp, 0) {
					t.Fatalf("trial %d: log P(%d) = %v", trial, w, lp)
				}
				sum += math.Exp(lp)
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Fatalf("trial %d (context %d tokens): Σ P = 1%+g", trial, len(ctx), sum-1)
			}
		}
	}
}

func mustCache(t testing.TB, m *Model, lambda, mu float64) *Model {
	t.Helper()
	mc, err := m.WithCache(lambda, mu)
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

func TestDeterminism(t *testing.T) {
	a, err := Decode(embedded)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode(embedded)
	if err != nil {
		t.Fatal(err)
	}
	text := "Explain why the blood pressure rises, and list 3 symptoms of dehydration. \xff\xfe Ünïcödé ✓"
	ta, tb := a.Tokenize(text), b.Tokenize(text)
	if !slices.Equal(ta, tb) {
		t.Fatalf("tokenizations differ:\n%v\n%v", ta, tb)
	}
	ids := a.Encode(text)
	pa, err := a.Score(ids[:10], ids[10:], 5)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Score(ids[:10], ids[10:], 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pa {
		if math.Float64bits(pa[i].LogProb) != math.Float64bits(pb[i].LogProb) {
			t.Fatalf("position %d: %v vs %v", i, pa[i].LogProb, pb[i].LogProb)
		}
		for j := range pa[i].Top {
			if pa[i].Top[j] != pb[i].Top[j] {
				t.Fatalf("position %d top %d: %v vs %v", i, j, pa[i].Top[j], pb[i].Top[j])
			}
		}
	}
	if a.Hash() != b.Hash() || a.Hash() != load(t).Hash() {
		t.Error("hash differs between decodes")
	}
}

// The point of the demo model: a word that only the teacher's privileged
// context (rubric and reference answer) contains is more probable under the
// teacher than under the student when both re-score the same answer.
func TestTeacherPrefersWordsOfRubricAndReference(t *testing.T) {
	m := load(t)
	question := "My 2 year old has had diarrhea since yesterday and is drinking less than usual. What should I do at home?\n\n"
	rubric := `[{"criterion": "Advises giving oral rehydration solution in small, frequent sips to prevent dehydration.", "points": 9},
{"criterion": "Lists warning signs of dehydration that need urgent care: no wet diaper for 8 hours, sunken eyes, lethargy.", "points": 8},
{"criterion": "Recommends antibiotics without a medical assessment.", "points": -6}]`
	reference := "Reference answer: Keep offering fluids. An oral rehydration solution given in small sips every few minutes replaces the salts and water that diarrhea removes. Watch for dehydration: fewer wet diapers, a dry mouth, sunken eyes or unusual sleepiness mean the child should be seen today."
	student := m.Encode(question)
	teacher := m.Encode(question + "Rubric:\n" + rubric + "\n\n" + reference + "\n\nAnswer:\n")
	answer := "Give an oral rehydration solution in small sips and watch for dehydration, such as sunken eyes or few wet diapers."
	cont := m.Encode(answer)
	ps, err := m.Score(student, cont, 0)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := m.Score(teacher, cont, 0)
	if err != nil {
		t.Fatal(err)
	}
	toks := m.Tokenize(answer)
	for _, word := range []string{" rehydration", " dehydration", " sunken", " diapers"} {
		found := false
		for i, tk := range toks {
			// Sum the log-probs of the tokens that spell the word.
			if !strings.HasPrefix(answer[tk.Start:], word) {
				continue
			}
			found = true
			var s, te float64
			for j := i; j < len(toks) && toks[j].Start < tk.Start+len(word); j++ {
				s += ps[j].LogProb
				te += pt[j].LogProb
			}
			if !(te > s) {
				t.Errorf("%q: teacher log P = %.4f, student %.4f; want teacher higher", word, te, s)
			}
		}
		if !found {
			t.Fatalf("%q not found in the tokenized answer", word)
		}
	}
	var sumS, sumT float64
	for i := range cont {
		sumS += ps[i].LogProb
		sumT += pt[i].LogProb
	}
	if !(sumT > sumS) {
		t.Errorf("whole answer: teacher log P = %.3f, student %.3f; want teacher higher", sumT, sumS)
	}
}

// Score must agree bit for bit with NextLogProbs on the growing context, and
// its top-k with a full sort, for a small k (insertion) and large ones
// (sorted, up to the whole vocabulary).
func TestScoreMatchesNextLogProbs(t *testing.T) {
	m := load(t)
	for _, k := range []int{7, sortTopK - 1, sortTopK, 500, m.VocabSize()} {
		t.Run(strconv.Itoa(k), func(t *testing.T) { scoreMatchesNextLogProbs(t, m, k) })
	}
}

func scoreMatchesNextLogProbs(t *testing.T, m *Model, k int) {
	_, held := readCorpus(t)
	var ids []int
	for _, d := range held { // the longest held-out document
		if e := m.Encode(d); len(e) > len(ids) {
			ids = e
		}
	}
	if len(ids) > 120 {
		ids = ids[:120]
	}
	ctx, cont := ids[:40], ids[40:]
	pos, err := m.Score(ctx, cont, k)
	if err != nil {
		t.Fatal(err)
	}
	var lp []float64
	for i, p := range pos {
		lp = m.NextLogProbs(lp, append(slices.Clip(ctx), cont[:i]...))
		if p.TokenID != cont[i] || p.Token != m.Token(cont[i]) {
			t.Fatalf("position %d: token %d %q, want %d", i, p.TokenID, p.Token, cont[i])
		}
		if math.Float64bits(p.LogProb) != math.Float64bits(lp[cont[i]]) {
			t.Fatalf("position %d: Score %v, NextLogProbs %v", i, p.LogProb, lp[cont[i]])
		}
		order := make([]int, len(lp))
		for w := range order {
			order[w] = w
		}
		sort.SliceStable(order, func(a, b int) bool { return lp[order[a]] > lp[order[b]] })
		if len(p.Top) != k {
			t.Fatalf("position %d: %d alternatives, want %d", i, len(p.Top), k)
		}
		for j, alt := range p.Top {
			want := Alt{TokenID: order[j], Token: m.Token(order[j]), LogProb: lp[order[j]]}
			if alt != want {
				t.Fatalf("position %d top %d: %+v, want %+v", i, j, alt, want)
			}
		}
	}
}

func TestScoreErrors(t *testing.T) {
	m := load(t)
	V := m.VocabSize()
	tests := []struct {
		name      string
		ctx, cont []int
		k         int
		want      string
	}{
		{"negative context id", []int{1, -1}, nil, 0, "demo: context token 1: id -1 not in [0, " + itoa(V) + ")"},
		{"continuation id too large", nil, []int{V}, 0, "demo: continuation token 0: id " + itoa(V) + " not in [0, " + itoa(V) + ")"},
		{"negative top-k", nil, []int{1}, -2, "demo: top-k -2 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Score(tt.ctx, tt.cont, tt.k)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := m.Detokenize([]int{65, V + 3}); err == nil || err.Error() != "demo: token 1: id "+itoa(V+3)+" not in [0, "+itoa(V)+")" {
		t.Errorf("Detokenize error %v", err)
	}
	if _, err := m.WithCache(1, 0); err == nil || err.Error() != "demo: cache weights λ=1, μ=0 not in [0, 1)" {
		t.Errorf("WithCache error %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Held-out perplexity, measured with `go run ./cmd/internal/trainlm -eval`
// (see docs/demo-model.md); the bounds sit just above the measured values so
// that a regression in the tokenizer, the smoothing or the cache fails here.
const (
	heldOutBoundNoCache = 35.5
	heldOutBoundCache   = 32.2
)

func TestHeldOutPerplexity(t *testing.T) {
	m := load(t)
	_, held := readCorpus(t)
	noCache, n := mustCache(t, m, 0, 0).Perplexity(held)
	withCache, _ := m.Perplexity(held)
	t.Logf("held-out perplexity over %d tokens: %.3f without cache, %.3f with cache", n, noCache, withCache)
	if noCache > heldOutBoundNoCache {
		t.Errorf("perplexity without cache %.3f above bound %.1f", noCache, heldOutBoundNoCache)
	}
	if withCache > heldOutBoundCache {
		t.Errorf("perplexity with cache %.3f above bound %.1f", withCache, heldOutBoundCache)
	}
	if !(withCache < noCache) {
		t.Errorf("the cache does not help: %.3f with, %.3f without", withCache, noCache)
	}
}

func TestTokenizeRoundTrip(t *testing.T) {
	m := load(t)
	for _, s := range []string{
		"",
		"The heart pumps blood.",
		"  two  spaces\n\n\nthree newlines\ttab\r\n",
		"x² + y² = r², ∫ f(x) dx ≈ 3.14159",
		"invalid \xff\xfe\xc3 bytes \xe2\x82",
		"日本語のテキスト and emoji 🧪🩺",
	} {
		checkRoundTrip(t, m, s)
	}
}

func checkRoundTrip(t *testing.T, m *Model, s string) {
	t.Helper()
	toks := m.Tokenize(s)
	ids := make([]int, len(toks))
	at := 0
	for i, tk := range toks {
		ids[i] = tk.ID
		if tk.Start != at || tk.End <= tk.Start || s[tk.Start:tk.End] != tk.Text || m.Token(tk.ID) != tk.Text {
			t.Fatalf("%q: token %d = %+v (expected start %d)", s, i, tk, at)
		}
		at = tk.End
	}
	if at != len(s) {
		t.Fatalf("%q: tokens end at %d, want %d", s, at, len(s))
	}
	got, err := m.Detokenize(ids)
	if err != nil || got != s {
		t.Fatalf("Detokenize(Tokenize(%q)) = %q, %v", s, got, err)
	}
	if !slices.Equal(m.Encode(s), ids) {
		t.Fatalf("%q: Encode differs from Tokenize", s)
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", " ", "a b", "The rubric says: 'be concise'.", "\xff", "\n\n x", "1,000.5 mg/kg", "é\u0301", "  \t \n"} {
		f.Add(s)
	}
	m := load(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, m, s)
		_ = utf8.ValidString(s)
	})
}

// The pre-tokenizer's pieces, whole, for named inputs.
func TestPieces(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"words and punctuation", "The heart, a pump.", []string{"The", " heart", ",", " a", " pump", "."}},
		{"digits split", "take 250 mg", []string{"take", " 2", "5", "0", " mg"}},
		{"space runs keep last space for the word", "a   b", []string{"a", "  ", " b"}},
		{"trailing spaces and newlines", "end  \n\nnext ", []string{"end", "  ", "\n\n", "next", " "}},
		{"unicode letters", " naïve café", []string{" naïve", " café"}},
		{"invalid byte stands alone", "a \xffb", []string{"a", " ", "\xff", "b"}},
		{"symbols", "x²≤1", []string{"x", "²", "≤", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			pieces(tt.in, func(s, e int) { got = append(got, tt.in[s:e]) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("pieces(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"two documents", "one\n===\ntwo\nlines\n===\n", []string{"one", "two\nlines"}},
		{"no final separator", "a\n===\n\nb\n", []string{"a", "\nb\n"}},
		{"separator first", "===\nx\n===\n", []string{"x"}},
		{"not a separator", "a\n====\nb", []string{"a\n====\nb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Documents(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Documents(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// LogProbsAt is the sparse route to the values Probs gives densely: the
// same bits at every position for every id asked.
func TestLogProbsAtMatchesProbs(t *testing.T) {
	m := load(t)
	ctx := m.Encode("Reference Answer:\nPlants use light.\n\nRubric (JSON array):\n[]\n\nQuestion: why are leaves green?\n")
	cont := m.Encode("Leaves are green because chlorophyll reflects green light and absorbs red and blue. Ünïcode ✓ 42.")
	ids := make([][]int, len(cont))
	for t := range cont {
		ids[t] = []int{cont[t], (t * 37) % m.VocabSize(), 0, m.VocabSize() - 1}
	}
	got, err := m.LogProbsAt(ctx, cont, ids)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewState()
	for _, id := range ctx {
		s.Push(id)
	}
	var buf []float64
	for i, id := range cont {
		buf = s.Probs(buf)
		for j, w := range ids[i] {
			if want := math.Log(buf[w]); math.Float64bits(got[i][j]) != math.Float64bits(want) {
				t.Fatalf("position %d id %d: %v, Probs gives %v", i, w, got[i][j], want)
			}
		}
		s.Push(id)
	}
	if _, err := m.LogProbsAt(ctx, cont, ids[:1]); err == nil {
		t.Error("accepted fewer id lists than positions")
	}
	if _, err := m.LogProbsAt(ctx, cont[:1], [][]int{{m.VocabSize()}}); err == nil {
		t.Error("accepted an id outside the vocabulary")
	}
}
