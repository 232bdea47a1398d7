package demo

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// keyBits is the width of one token id inside a packed n-gram key; an
// n-gram of up to 64/keyBits tokens packs into one uint64.
const keyBits = 16

// maxOrder is the largest n-gram order a packed key holds.
const maxOrder = 64 / keyBits

// magic starts every model payload; the version follows it.
const (
	magic         = "RCSDLM\n"
	formatVersion = 1
)

// TrainConfig says how Train builds a model.
type TrainConfig struct {
	// Order is the n-gram order, 1 ≤ Order ≤ 4.
	Order int
	// VocabSize is the largest vocabulary size, byte tokens included;
	// 256 < VocabSize ≤ 65536.
	VocabSize int
	// MinCount is the number of times a piece must occur in the training
	// documents to enter the vocabulary (at least 1).
	MinCount int
	// MaxPieceBytes is the longest piece, in bytes, that enters the vocabulary.
	MaxPieceBytes int
}

// DefaultTrainConfig is the configuration of the embedded model.
var DefaultTrainConfig = TrainConfig{Order: 4, VocabSize: 4096, MinCount: 2, MaxPieceBytes: 32}

func (c TrainConfig) validate() error {
	var errs []error
	if c.Order < 1 || c.Order > maxOrder {
		errs = append(errs, fmt.Errorf("order %d not in [1, %d]", c.Order, maxOrder))
	}
	if c.VocabSize <= numBytes || c.VocabSize > 1<<keyBits {
		errs = append(errs, fmt.Errorf("vocabulary size %d not in (%d, %d]", c.VocabSize, numBytes, 1<<keyBits))
	}
	if c.MinCount < 1 {
		errs = append(errs, fmt.Errorf("minimum count %d below 1", c.MinCount))
	}
	if c.MaxPieceBytes < 2 {
		errs = append(errs, fmt.Errorf("maximum piece length %d below 2", c.MaxPieceBytes))
	}
	if len(errs) > 0 {
		return fmt.Errorf("demo: invalid training configuration: %w", errors.Join(errs...))
	}
	return nil
}

// Train builds the uncompressed model payload from training documents. The
// result depends only on docs and cfg: the same input gives the same bytes.
//
// The vocabulary is the 256 byte tokens followed by the most frequent
// pre-tokenizer pieces (at least cfg.MinCount occurrences, ordered by count,
// descending, then by bytes). Each document is tokenized on its own, so no
// n-gram spans two documents. The payload stores, for order k = cfg.Order,
// the raw n-gram counts c(w_1…w_k), and for each lower order k the
// Kneser–Ney continuation counts N1+(• w_1…w_k), the number of distinct
// tokens seen before w_1…w_k; Load derives discounts and probabilities from
// them.
func Train(docs []string, cfg TrainConfig) ([]byte, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	// Vocabulary.
	counts := make(map[string]int)
	for _, d := range docs {
		pieces(d, func(start, end int) {
			if end-start >= 2 && end-start <= cfg.MaxPieceBytes {
				counts[d[start:end]]++
			}
		})
	}
	type pc struct {
		s string
		n int
	}
	var cand []pc
	for s, n := range counts {
		if n >= cfg.MinCount {
			cand = append(cand, pc{s, n})
		}
	}
	slices.SortFunc(cand, func(a, b pc) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.s, b.s)
	})
	if len(cand) > cfg.VocabSize-numBytes {
		cand = cand[:cfg.VocabSize-numBytes]
	}
	words := make([]string, len(cand))
	for i, c := range cand {
		words[i] = c.s
	}
	tok, err := newTokenizer(words)
	if err != nil {
		return nil, err
	}

	// Raw counts of every order.
	raw := make([]map[uint64]uint64, cfg.Order+1)
	for k := 1; k <= cfg.Order; k++ {
		raw[k] = make(map[uint64]uint64)
	}
	for _, d := range docs {
		ids := tok.ids(d)
		for i := range ids {
			var key uint64
			for k := 1; k <= cfg.Order && k <= i+1; k++ {
				// key of ids[i-k+1 : i+1], oldest token in the high bits.
				key |= uint64(ids[i-k+1]) << (keyBits * (k - 1))
				raw[k][key]++
			}
		}
	}
	// Counts used at each order: raw at the top, continuation below.
	use := make([]map[uint64]uint64, cfg.Order+1)
	use[cfg.Order] = raw[cfg.Order]
	for k := 1; k < cfg.Order; k++ {
		cont := make(map[uint64]uint64)
		mask := uint64(1)<<(keyBits*k) - 1
		for g := range raw[k+1] {
			cont[g&mask]++
		}
		use[k] = cont
	}

	// Serialise.
	buf := []byte(magic)
	buf = binary.AppendUvarint(buf, formatVersion)
	buf = binary.AppendUvarint(buf, uint64(cfg.Order))
	buf = binary.AppendUvarint(buf, uint64(len(words)))
	for _, w := range words {
		buf = binary.AppendUvarint(buf, uint64(len(w)))
		buf = append(buf, w...)
	}
	for k := 1; k <= cfg.Order; k++ {
		keys := make([]uint64, 0, len(use[k]))
		for key := range use[k] {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		buf = binary.AppendUvarint(buf, uint64(len(keys)))
		var prev uint64
		for _, key := range keys {
			buf = binary.AppendUvarint(buf, key-prev)
			buf = binary.AppendUvarint(buf, use[k][key])
			prev = key
		}
	}
	return buf, nil
}
