package main

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineReader(t *testing.T) {
	type rec struct {
		Line    string
		No      int
		TooLong bool
	}
	tests := []struct {
		name string
		in   string
		max  int
		want []rec
	}{
		{"plain", "a\nbb\n", 10, []rec{{"a", 1, false}, {"bb", 2, false}}},
		{"no final newline", "a\nbb", 10, []rec{{"a", 1, false}, {"bb", 2, false}}},
		{"crlf", "a\r\nb\r\n", 10, []rec{{"a", 1, false}, {"b", 2, false}}},
		{"empty lines kept for numbering", "\n\nc\n", 10, []rec{{"", 1, false}, {"", 2, false}, {"c", 3, false}}},
		{"too long then fine", strings.Repeat("x", 50) + "\nok\n", 10, []rec{{"", 1, true}, {"ok", 2, false}}},
		{"exactly max", "12345\n", 5, []rec{{"12345", 1, false}}},
		{"huge line beyond the buffer", strings.Repeat("y", 3<<20) + "\nz", 1 << 20, []rec{{"", 1, true}, {"z", 2, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tt.in), tt.max)
			var got []rec
			for {
				l, n, tl, err := lr.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, rec{string(l), n, tl})
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if lr.n != int64(len(tt.in)) {
				t.Errorf("consumed %d bytes, want %d", lr.n, len(tt.in))
			}
		})
	}
}
