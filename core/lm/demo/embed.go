package demo

import (
	"errors"
	"math"
	"sync"
)

//go:generate go run ../../../cmd/internal/trainlm -out model.bin.gz

var loaded struct {
	mu   sync.Mutex
	data []byte // set by SetData; else the embedded payload
	m    *Model
	err  error
	done bool
}

// ErrNoModel is Load's error in a build without the embedded model
// (-tags rcsd_nomodel) before SetData.
var ErrNoModel = errors.New("demo: no model: this build does not embed model.bin.gz; pass its bytes to SetData first")

// SetData makes Load decode data, the bytes of model.bin.gz, instead of
// the embedded copy. WebAssembly hosts built with -tags rcsd_nomodel
// fetch the file beside the .wasm (keeping the .wasm 385 KB smaller and
// the model cached separately) and hand it over here. It decodes at once
// and reports a bad payload.
func SetData(data []byte) error {
	m, err := Decode(data)
	if err != nil {
		return err
	}
	loaded.mu.Lock()
	defer loaded.mu.Unlock()
	loaded.data, loaded.m, loaded.err, loaded.done = data, m, nil, true
	return nil
}

// Load returns the model: the one given to SetData, else the embedded
// one. It decodes the model on the first call and returns the same
// *Model afterwards.
func Load() (*Model, error) {
	loaded.mu.Lock()
	defer loaded.mu.Unlock()
	if !loaded.done {
		if embedded == nil {
			return nil, ErrNoModel
		}
		loaded.m, loaded.err, loaded.done = nil, nil, true
		loaded.m, loaded.err = Decode(embedded)
	}
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
