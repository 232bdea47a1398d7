package report

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/rcsd-dev/rcsd/core/judge"
)

// seg is a compact expected segment: text and covering span indices.
type seg struct {
	Text  string
	Spans []int
	Opens []int
}

func compact(segs []Segment) []seg {
	if segs == nil {
		return nil
	}
	out := make([]seg, len(segs))
	for i, s := range segs {
		out[i] = seg{s.Text, s.Spans, s.Opens}
	}
	return out
}

func TestHighlight(t *testing.T) {
	const text = "The quick brown fox"
	tests := []struct {
		name        string
		text        string
		spans       []Span
		want        []seg
		wantIgnored []int
	}{
		{
			name: "no spans",
			text: text,
			want: []seg{{"The quick brown fox", nil, nil}},
		},
		{
			name: "empty text",
			text: "",
			want: nil,
		},
		{
			name:  "one span in the middle",
			text:  text,
			spans: []Span{{Start: 4, End: 9, Kind: KindMet, Label: "c1"}},
			want:  []seg{{"The ", nil, nil}, {"quick", []int{0}, []int{0}}, {" brown fox", nil, nil}},
		},
		{
			name:  "whole text",
			text:  text,
			spans: []Span{{Start: 0, End: len(text), Kind: KindPitfall}},
			want:  []seg{{"The quick brown fox", []int{0}, []int{0}}},
		},
		{
			name: "crossing spans",
			text: text,
			spans: []Span{
				{Start: 4, End: 15, Kind: KindMet, Label: "a"},     // "quick brown"
				{Start: 10, End: 19, Kind: KindNotMet, Label: "b"}, // "brown fox"
			},
			want: []seg{
				{"The ", nil, nil},
				{"quick ", []int{0}, []int{0}},
				{"brown", []int{0, 1}, []int{1}},
				{" fox", []int{1}, nil},
			},
		},
		{
			name: "nested spans",
			text: text,
			spans: []Span{
				{Start: 0, End: 19, Kind: KindMet},
				{Start: 4, End: 9, Kind: KindPitfall},
			},
			want: []seg{
				{"The ", []int{0}, []int{0}},
				{"quick", []int{0, 1}, []int{1}},
				{" brown fox", []int{0}, nil},
			},
		},
		{
			name: "identical spans",
			text: text,
			spans: []Span{
				{Start: 4, End: 9, Kind: KindMet},
				{Start: 4, End: 9, Kind: KindNotMet},
			},
			want: []seg{{"The ", nil, nil}, {"quick", []int{0, 1}, []int{0, 1}}, {" brown fox", nil, nil}},
		},
		{
			name: "adjacent spans stay separate",
			text: text,
			spans: []Span{
				{Start: 4, End: 9, Kind: KindMet},
				{Start: 9, End: 15, Kind: KindMet},
			},
			want: []seg{{"The ", nil, nil}, {"quick", []int{0}, []int{0}}, {" brown", []int{1}, []int{1}}, {" fox", nil, nil}},
		},
		{
			name: "out of range and empty spans are ignored",
			text: text,
			spans: []Span{
				{Start: 4, End: 9, Kind: KindMet},
				{Start: 10, End: 100, Kind: KindMet},
				{Start: -1, End: 3, Kind: KindMet},
				{Start: 5, End: 5, Kind: KindMet},
				{Start: 8, End: 2, Kind: KindMet},
				{Start: 100, End: 200, Kind: KindMet},
				{Start: 0, End: 3, Kind: "bogus"},
			},
			want:        []seg{{"The ", nil, nil}, {"quick", []int{0}, []int{0}}, {" brown fox", nil, nil}},
			wantIgnored: []int{1, 2, 3, 4, 5, 6},
		},
		{
			// Bytes: a 0, é 1-2, space 3, b 4, € 5-7, c 8.
			name: "offsets inside a UTF-8 sequence widen to the character",
			text: "aé b€c",
			spans: []Span{
				{Start: 2, End: 4, Kind: KindMet},    // second byte of é, space
				{Start: 6, End: 7, Kind: KindNotMet}, // middle byte of €
			},
			want: []seg{{"a", nil, nil}, {"é ", []int{0}, []int{0}}, {"b", nil, nil}, {"€", []int{1}, []int{1}}, {"c", nil, nil}},
		},
		{
			name:  "invalid UTF-8 is kept byte for byte",
			text:  "ok\xff\xfeok",
			spans: []Span{{Start: 2, End: 3, Kind: KindMet}},
			want:  []seg{{"ok", nil, nil}, {"\xff", []int{0}, []int{0}}, {"\xfeok", nil, nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, ignored := Highlight(tt.text, tt.spans)
			if diff := cmp.Diff(tt.want, compact(segs)); diff != "" {
				t.Errorf("segments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIgnored, ignored); diff != "" {
				t.Errorf("ignored (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSegmentDisplay(t *testing.T) {
	if got, want := (Segment{Text: "a\xffb"}).Display(), "a\uFFFDb"; got != want {
		t.Errorf("Display = %q, want %q", got, want)
	}
}

func TestEvidenceSpan(t *testing.T) {
	const text = "Take 200 mg twice daily."
	tests := []struct {
		name       string
		ev         *judge.Evidence
		start, end int
		ok         bool
	}{
		{"nil", nil, 0, 0, false},
		{"offsets", &judge.Evidence{Start: 5, End: 11, Text: "200 mg"}, 5, 11, true},
		{"offsets win over text", &judge.Evidence{Start: 0, End: 4, Text: "daily"}, 0, 4, true},
		{"bad offsets, text found", &judge.Evidence{Start: 50, End: 60, Text: "twice"}, 12, 17, true},
		{"bad offsets, text missing", &judge.Evidence{Start: 50, End: 60, Text: "thrice"}, 0, 0, false},
		{"empty range, no text", &judge.Evidence{Start: 3, End: 3}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, ok := EvidenceSpan(text, tt.ev)
			if s != tt.start || e != tt.end || ok != tt.ok {
				t.Errorf("EvidenceSpan = (%d, %d, %v), want (%d, %d, %v)", s, e, ok, tt.start, tt.end, tt.ok)
			}
		})
	}
}

// FuzzHighlight checks the highlighter's invariants on arbitrary text and
// offsets: no panic, segments tile the text exactly, no empty segment,
// boundaries of valid UTF-8 text never split a character, and a segment's
// covering spans are exactly the usable spans containing it.
func FuzzHighlight(f *testing.F) {
	f.Add("The quick brown fox", 4, 9, 6, 15)
	f.Add("aé b€c", 2, 3, 5, 6)
	f.Add("ok\xff\xfeok", 2, 3, 0, 100)
	f.Add("", 0, 1, -5, 0)
	f.Add("日本語のテキスト", 1, 4, 3, 8)
	f.Fuzz(func(t *testing.T, text string, s1, e1, s2, e2 int) {
		spans := []Span{
			{Start: s1, End: e1, Kind: KindMet, Label: "a"},
			{Start: s2, End: e2, Kind: KindPitfall, Label: "b"},
			{Start: s1, End: e2, Kind: KindNotMet, Label: "c"},
		}
		segs, ignored := Highlight(text, spans)
		var b strings.Builder
		pos := 0
		for _, s := range segs {
			if s.Start != pos || s.End <= s.Start || text[s.Start:s.End] != s.Text {
				t.Fatalf("segment %+v does not continue at %d", s, pos)
			}
			if utf8.ValidString(text) && !utf8.RuneStart(text[s.Start]) {
				t.Fatalf("segment %+v starts inside a character of %q", s, text)
			}
			b.WriteString(s.Text)
			pos = s.End
		}
		if b.String() != text {
			t.Fatalf("segments give %q, want %q", b.String(), text)
		}
		skip := map[int]bool{}
		for _, i := range ignored {
			skip[i] = true
		}
		for i, sp := range spans {
			bad := sp.Start < 0 || sp.End > len(text) || sp.End <= sp.Start
			if bad != skip[i] {
				t.Fatalf("span %d %+v: ignored = %v, want %v (text %d bytes)", i, sp, skip[i], bad, len(text))
			}
		}
		for _, s := range segs {
			for _, o := range s.Opens {
				if !slices.Contains(s.Spans, o) {
					t.Fatalf("segment %+v opens span %d it is not covered by", s, o)
				}
			}
			if !utf8.ValidString(text) {
				continue
			}
			// In valid UTF-8 widening only adds bytes of characters the
			// span already touches, so cover is the same as overlap.
			var want []int
			for i, sp := range spans {
				if !skip[i] && sp.Start < s.End && s.Start < sp.End {
					want = append(want, i)
				}
			}
			if !cmp.Equal(want, s.Spans) {
				t.Fatalf("segment %+v covered by %v, want %v", s, s.Spans, want)
			}
		}
	})
}
