package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/judge"
)

// Kind is how an evidence span is marked in a response.
type Kind string

const (
	// KindMet marks evidence for a positive criterion that is met (good).
	KindMet Kind = "met"
	// KindPitfall marks evidence for a negative criterion that is met: the
	// bad behaviour is present.
	KindPitfall Kind = "pitfall"
	// KindNotMet marks evidence attached to a criterion judged not met.
	KindNotMet Kind = "not-met"
)

// Valid reports whether k is one of the declared kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindMet, KindPitfall, KindNotMet:
		return true
	}
	return false
}

// Icon is the symbol shown next to a span of kind k, so the marking never
// relies on colour alone.
func (k Kind) Icon() string {
	switch k {
	case KindMet:
		return "✓"
	case KindPitfall:
		return "⚠"
	case KindNotMet:
		return "✗"
	}
	return "?"
}

// Label is the words for kind k.
func (k Kind) Label() string {
	switch k {
	case KindMet:
		return "met"
	case KindPitfall:
		return "pitfall present"
	case KindNotMet:
		return "not met"
	}
	return "unknown"
}

// severity orders kinds for a segment covered by several spans: the
// background shows the most severe one.
func (k Kind) severity() int {
	switch k {
	case KindMet:
		return 1
	case KindNotMet:
		return 2
	case KindPitfall:
		return 3
	}
	return 0
}

// Span is one stretch of a response to mark. Start and End are byte
// offsets (End exclusive), as in judge.Evidence.
type Span struct {
	Start, End int
	Kind       Kind
	// Label names the span, usually the criterion id.
	Label string
}

// Segment is a maximal run of the text covered by the same set of spans.
// Concatenating the Text of every segment gives back the input text.
type Segment struct {
	Start, End int
	Text       string
	// Spans are the indices (into the Highlight spans argument) of the
	// spans covering this segment, ascending; empty for unmarked text.
	Spans []int
	// Opens are the indices of the spans that begin at this segment.
	Opens []int
}

// Highlight splits text into segments at every boundary of the usable
// spans, so overlapping and crossing spans are shown exactly, without
// nesting.
//
// A span is dropped (and its index returned in ignored) when its kind is
// invalid, when Start < 0, End > len(text) or End <= Start. A boundary that
// falls inside a UTF-8 sequence is widened to the whole character: Start
// moves back to the character's first byte and End forward past its last,
// so no segment splits a character of valid UTF-8 text. Bytes that are not
// valid UTF-8 are kept as they are in Text; Segment.Display replaces them.
//
// Highlight never panics, whatever the offsets.
func Highlight(text string, spans []Span) (segs []Segment, ignored []int) {
	type fixed struct{ start, end int }
	use := make([]fixed, len(spans))
	ok := make([]bool, len(spans))
	cuts := []int{0, len(text)}
	for i, s := range spans {
		if !s.Kind.Valid() || s.Start < 0 || s.End > len(text) || s.End <= s.Start {
			ignored = append(ignored, i)
			continue
		}
		start, end := s.Start, s.End
		for n := 0; n < utf8.UTFMax-1 && start > 0 && !utf8.RuneStart(text[start]); n++ {
			start--
		}
		for n := 0; n < utf8.UTFMax-1 && end < len(text) && !utf8.RuneStart(text[end]); n++ {
			end++
		}
		use[i], ok[i] = fixed{start, end}, true
		cuts = append(cuts, start, end)
	}
	sort.Ints(cuts)
	for c := 0; c+1 < len(cuts); c++ {
		a, b := cuts[c], cuts[c+1]
		if a == b {
			continue
		}
		seg := Segment{Start: a, End: b, Text: text[a:b]}
		for i := range spans {
			if !ok[i] {
				continue
			}
			if use[i].start <= a && b <= use[i].end {
				seg.Spans = append(seg.Spans, i)
				if use[i].start == a {
					seg.Opens = append(seg.Opens, i)
				}
			}
		}
		segs = append(segs, seg)
	}
	return segs, ignored
}

// Display is the segment's text with invalid UTF-8 replaced by U+FFFD.
func (s Segment) Display() string { return strings.ToValidUTF8(s.Text, "\uFFFD") }

// EvidenceSpan locates ev in text. Offsets are used when they are in
// range and non-empty; otherwise, when ev.Text is non-empty and occurs in
// text, its first occurrence is used (judges sometimes quote correctly but
// count offsets in characters or tokens). ok is false when neither works.
func EvidenceSpan(text string, ev *judge.Evidence) (start, end int, ok bool) {
	if ev == nil {
		return 0, 0, false
	}
	if ev.Start >= 0 && ev.End <= len(text) && ev.Start < ev.End {
		return ev.Start, ev.End, true
	}
	if ev.Text != "" {
		if i := strings.Index(text, ev.Text); i >= 0 {
			return i, i + len(ev.Text), true
		}
	}
	return 0, 0, false
}

// describeSpan is the hover text for one span.
func describeSpan(s Span) string {
	return fmt.Sprintf("%s %s: %s", s.Kind.Icon(), s.Label, s.Kind.Label())
}
