package judge

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the text primitives the rules and lexical judges share:
// Unicode simple case folding with byte offsets back into the original
// text, and word-boundary-aware term search without regular expressions.

// foldRune maps r to the canonical member of its simple case-folding
// orbit (the smallest rune in the orbit), so two runes are equal under
// Unicode simple folding exactly when their foldRune values are equal.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// isWordRune reports whether r counts as part of a word for boundary
// checks: letters, digits, combining marks and the underscore.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// folded is a case-folded copy of a text. When folding changes no
// character's encoded length (always so for ASCII) offsets are shared
// with the original and off is nil; otherwise off[i] is the original
// byte offset of folded byte i, with one extra entry for the end.
type folded struct {
	b   []byte
	off []int32
}

// fold writes the folded form of s into f, reusing f's buffers. Invalid
// UTF-8 bytes are copied unchanged, so they only ever match themselves.
func (f *folded) fold(s string) {
	f.b = f.b[:0]
	f.off = f.off[:0]
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		f.b = append(f.b, s...)
		for i, c := range f.b {
			if 'a' <= c && c <= 'z' {
				f.b[i] = c - 'a' + 'A'
			}
		}
		f.off = nil
		return
	}
	sameLen := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c = c - 'a' + 'A'
			}
			f.b = append(f.b, c)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			f.b = append(f.b, s[i])
			i++
			continue
		}
		fr := foldRune(r)
		if utf8.RuneLen(fr) != w {
			sameLen = false
		}
		f.b = utf8.AppendRune(f.b, fr)
		i += w
	}
	if sameLen {
		f.off = nil
		return
	}
	// Second pass to build the offset map; rare (e.g. U+212A KELVIN SIGN).
	f.off = f.off[:0]
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		n := w
		if !(r == utf8.RuneError && w == 1) {
			n = utf8.RuneLen(foldRune(r))
		}
		for k := 0; k < n; k++ {
			f.off = append(f.off, int32(i))
		}
		i += w
	}
	f.off = append(f.off, int32(len(s)))
}

// orig converts a folded byte offset to an offset in the original text.
func (f *folded) orig(i int) int {
	if f.off == nil {
		return i
	}
	return int(f.off[i])
}

// foldString returns the folded form of s.
func foldString(s string) string {
	var f folded
	f.fold(s)
	return string(f.b)
}

// termMatcher finds one term in folded text. The term is folded and its
// whitespace runs are collapsed; in the text each collapsed space matches
// a run of one or more white-space runes. A boundary is required on a
// side only when the term's rune on that side is a word rune, so "cat"
// does not match inside "concatenate" while "°C" matches in "37°C".
type termMatcher struct {
	term  string   // as written, for explanations
	parts [][]byte // folded, non-empty, separated by whitespace in the term
	left  bool     // the term starts with a word rune
	right bool     // the term ends with a word rune
}

func newTermMatcher(term string) (termMatcher, bool) {
	fields := strings.Fields(term)
	if len(fields) == 0 {
		return termMatcher{}, false
	}
	m := termMatcher{term: term}
	for _, p := range fields {
		m.parts = append(m.parts, []byte(foldString(p)))
	}
	first, _ := utf8.DecodeRuneInString(fields[0])
	last, _ := utf8.DecodeLastRuneInString(fields[len(fields)-1])
	m.left = isWordRune(first)
	m.right = isWordRune(last)
	return m, true
}

// find returns the byte span in t (folded) of the first occurrence at or
// after from, or -1, -1.
func (m *termMatcher) find(t []byte, from int) (int, int) {
	p0 := m.parts[0]
	for from <= len(t) {
		k := indexBytes(t[from:], p0)
		if k < 0 {
			return -1, -1
		}
		start := from + k
		from = start + 1
		if m.left && start > 0 {
			r, _ := utf8.DecodeLastRune(t[:start])
			if isWordRune(r) {
				continue
			}
		}
		end := start + len(p0)
		ok := true
		for _, p := range m.parts[1:] {
			ws := end
			for ws < len(t) {
				r, w := utf8.DecodeRune(t[ws:])
				if !unicode.IsSpace(r) {
					break
				}
				ws += w
			}
			if ws == end || !bytes.HasPrefix(t[ws:], p) {
				ok = false
				break
			}
			end = ws + len(p)
		}
		if !ok {
			continue
		}
		if m.right && end < len(t) {
			r, _ := utf8.DecodeRune(t[end:])
			if isWordRune(r) {
				continue
			}
		}
		return start, end
	}
	return -1, -1
}

func indexBytes(s, sep []byte) int { return bytes.Index(s, sep) }
