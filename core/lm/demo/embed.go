package demo

import (
	_ "embed"
	"math"
	"sync"
)

//go:generate go run ../../../cmd/internal/trainlm -corpus corpus -out model.bin.gz

// embedded is the gzipped payload built by cmd/internal/trainlm from the
// training slice of corpus/ with DefaultTrainConfig.
//
//go:embed model.bin.gz
var embedded []byte

var loaded struct {
	once sync.Once
	m    *Model
	err  error
}

// Load returns the embedded model. It decodes the model on the first call
// and returns the same *Model afterwards.
func Load() (*Model, error) {
	loaded.once.Do(func() {
		loaded.m, loaded.err = Decode(embedded)
	})
	return loaded.m, loaded.err
}

// Perplexity returns the per-token perplexity of m on docs,
// exp(−(1/N) Σ log P(x_t | x_<t)), and the number N of tokens scored. Each
// document is scored from an empty context, so its cache holds only its
// own earlier tokens.
func (m *Model) Perplexity(docs []string) (ppl float64, n int) {
	s := m.NewState()
	buf := make([]float64, m.VocabSize())
	var sum float64
	for _, d := range docs {
		s.Reset()
		for _, id := range m.Encode(d) {
			buf = s.Probs(buf)
			sum += math.Log(buf[id])
			n++
			s.Push(id)
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return math.Exp(-sum / float64(n)), n
}
