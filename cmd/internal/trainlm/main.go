// Command trainlm builds the embedded demo language model of
// core/lm/demo from its corpus, and reports its held-out perplexity.
//
//	go run ./cmd/internal/trainlm -out core/lm/demo/model.bin.gz
//	go run ./cmd/internal/trainlm -eval
//	go run ./cmd/internal/trainlm -corpus DIR -eval     # your own *.txt files
//
// The corpus is built from the public rows in ../shared/data (or
// $RCSD_SHARED_DATA) when it runs, never committed (internal/shareddata).
// The same corpus gives the same payload byte for byte; `go generate
// ./core/lm/demo` runs the first command.
package main

import (
	"github.com/rcsd-dev/rcsd/internal/shareddata"
	"maps"

	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trainlm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	corpus := fs.String("corpus", "", "directory of *.txt corpus files (default: built from ../shared/data)")
	out := fs.String("out", "", "write the gzipped model here")
	eval := fs.Bool("eval", false, "print held-out perplexity with and without the cache")
	order := fs.Int("order", demo.DefaultTrainConfig.Order, "n-gram order")
	vocab := fs.Int("vocab", demo.DefaultTrainConfig.VocabSize, "vocabulary size, byte tokens included")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" && !*eval {
		fmt.Fprintln(stderr, "trainlm: give -out, -eval or both")
		return 2
	}
	train, held, err := readCorpus(*corpus)
	if err != nil {
		fmt.Fprintln(stderr, "trainlm:", err)
		return 1
	}
	cfg := demo.DefaultTrainConfig
	cfg.Order, cfg.VocabSize = *order, *vocab
	payload, err := demo.Train(train, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "trainlm:", err)
		return 1
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // header has no name and zero mtime
	zw.Write(payload)
	if err := zw.Close(); err != nil {
		fmt.Fprintln(stderr, "trainlm:", err)
		return 1
	}
	if *out != "" {
		if err := os.WriteFile(*out, gz.Bytes(), 0o644); err != nil {
			fmt.Fprintln(stderr, "trainlm:", err)
			return 1
		}
	}
	start := time.Now()
	m, err := demo.Decode(gz.Bytes())
	if err != nil {
		fmt.Fprintln(stderr, "trainlm:", err)
		return 1
	}
	loadTime := time.Since(start)
	fmt.Fprintf(stdout, "model: order %d, vocabulary %d, payload %d bytes, gzipped %d bytes, sha256 %s, decode %v\n",
		m.Order(), m.VocabSize(), len(payload), gz.Len(), m.Hash(), loadTime.Round(time.Millisecond))
	fmt.Fprintf(stdout, "corpus: %d training documents, %d held-out documents\n", len(train), len(held))
	if *eval {
		for k := 1; k <= m.Order(); k++ {
			fmt.Fprintf(stdout, "discounts order %d: D1=%.4f D2=%.4f D3+=%.4f\n", k, m.Discounts(k)[0], m.Discounts(k)[1], m.Discounts(k)[2])
		}
		for _, c := range [][2]float64{{0, 0}, {0.05, 0.5}, {0.1, 0}, {0.1, 0.5}, {0.2, 0.5}} {
			mc, err := m.WithCache(c[0], c[1])
			if err != nil {
				fmt.Fprintln(stderr, "trainlm:", err)
				return 1
			}
			ppl, n := mc.Perplexity(held)
			fmt.Fprintf(stdout, "held-out perplexity λ=%.2f μ=%.2f: %.3f over %d tokens\n", c[0], c[1], ppl, n)
		}
	}
	return 0
}

// readCorpus reads every *.txt file of dir in lexical order and splits its
// documents into the training and held-out slices.
// An empty dir means the corpus built from the shared data.
func readCorpus(dir string) (train, held []string, err error) {
	files := map[string]string{}
	if dir == "" {
		shared, err := shareddata.Dir()
		if err == nil {
			files, err = shareddata.DemoCorpus(shared)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("the corpus is built from the public rows in ../shared/data (or set RCSD_SHARED_DATA): %w", err)
		}
	} else {
		names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			return nil, nil, err
		}
		if len(names) == 0 {
			return nil, nil, fmt.Errorf("no *.txt files in %s", dir)
		}
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, nil, err
			}
			files[filepath.Base(name)] = string(b)
		}
	}
	i := 0
	for _, name := range slices.Sorted(maps.Keys(files)) {
		for _, d := range demo.Documents(files[name]) {
			if demo.HeldOut(i) {
				held = append(held, d)
			} else {
				train = append(train, d)
			}
			i++
		}
	}
	return train, held, nil
}
