package pretrain

import (
	"compress/gzip"
	"fmt"
	"io"

	"github.com/rcsd-dev/rcsd/core/lab/model"
	"github.com/rcsd-dev/rcsd/core/lab/world"
)

// WriteCheckpoint writes m's parameters as a gzipped model checkpoint
// (model.Save, best compression), the form of core/lab/checkpoint.bin.gz.
func WriteCheckpoint(w io.Writer, m *model.Model[float32]) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := model.Save(zw, m.Params); err != nil {
		return err
	}
	return zw.Close()
}

// ReadCheckpoint reads a gzipped checkpoint written by WriteCheckpoint and
// returns a model running on workers goroutines. The checkpoint's
// vocabulary must be the world tokenizer's.
func ReadCheckpoint(r io.Reader, workers int) (*model.Model[float32], error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("pretrain: the checkpoint is not gzip: %w", err)
	}
	p, err := model.Load[float32](zr)
	if err != nil {
		return nil, err
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("pretrain: the checkpoint's gzip stream: %w", err)
	}
	if v := world.NewTokenizer().VocabSize(); p.Config.Vocab != v {
		return nil, fmt.Errorf("pretrain: the checkpoint's vocabulary is %d tokens, the lab world's tokenizer has %d", p.Config.Vocab, v)
	}
	m, err := model.New[float32](p.Config, 0, workers)
	if err != nil {
		return nil, err
	}
	copy(m.Params.Data, p.Data)
	return m, nil
}
