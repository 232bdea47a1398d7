package demo

import (
	"fmt"
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	b.SetBytes(int64(len(embedded)))
	for b.Loop() {
		if _, err := Decode(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore scores a response of n tokens under a student context
// (question) and a teacher context (question, rubric, reference answer), the
// work of one RCSD loss evaluation, and reports scored tokens per second.
func BenchmarkScore(b *testing.B) {
	m := load(b)
	train, _ := readCorpus(b)
	var all []int
	for _, d := range train {
		all = append(all, m.Encode(d)...)
	}
	student := all[:60]
	teacher := all[:600]
	for _, n := range []int{100, 500, 2000, 8000} {
		resp := all[1000 : 1000+n]
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Score(student, resp, 20); err != nil {
					b.Fatal(err)
				}
				if _, err := m.Score(teacher, resp, 20); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkTokenize(b *testing.B) {
	m := load(b)
	train, _ := readCorpus(b)
	text := train[0]
	for _, d := range train[1:] {
		if len(text) > 64<<10 {
			break
		}
		text += d
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Tokenize(text)
	}
}
