package demo

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// numBytes is the number of byte-fallback tokens. Token id b < numBytes is
// the single byte b, so every byte string has a tokenization.
const numBytes = 256

// Token is one token of a tokenized text: its id, its exact bytes, and the
// byte offsets [Start, End) it covers in the input.
type Token struct {
	ID    int
	Text  string
	Start int
	End   int
}

// unit kinds of the pre-tokenizer.
const (
	unitWord    = iota // maximal run of Unicode letters
	unitDigit          // one ASCII digit
	unitNewline        // maximal run of '\n'
	unitSpace          // maximal run of ' '
	unitOther          // one valid rune of any other kind
	unitInvalid        // one byte that is not valid UTF-8
)

// nextUnit returns the kind and the end offset of the unit starting at i.
func nextUnit(s string, i int) (kind, end int) {
	c := s[i]
	switch {
	case c == ' ':
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		return unitSpace, j
	case c == '\n':
		j := i + 1
		for j < len(s) && s[j] == '\n' {
			j++
		}
		return unitNewline, j
	case c >= '0' && c <= '9':
		return unitDigit, i + 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n <= 1 {
		return unitInvalid, i + 1
	}
	if !unicode.IsLetter(r) {
		return unitOther, i + n
	}
	j := i + n
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if r == utf8.RuneError && n <= 1 || !unicode.IsLetter(r) {
			break
		}
		j += n
	}
	return unitWord, j
}

// pieces splits s into pre-tokenizer pieces and calls f with the byte range
// of each. A single space directly before a word, digit or other rune is
// glued to it (" word"), as in GPT-2 style tokenizers; longer runs of spaces
// keep all but their last space as a piece of their own. Concatenating the
// pieces gives s back exactly.
func pieces(s string, f func(start, end int)) {
	i := 0
	for i < len(s) {
		kind, end := nextUnit(s, i)
		if kind == unitSpace && end < len(s) {
			next, nend := nextUnit(s, end)
			if next == unitWord || next == unitDigit || next == unitOther {
				if end-1 > i {
					f(i, end-1)
				}
				f(end-1, nend)
				i = nend
				continue
			}
		}
		f(i, end)
		i = end
	}
}

// tokenizer maps pieces to token ids.
type tokenizer struct {
	vocab    []string       // id → exact bytes
	index    map[string]int // bytes → id
	maxPiece int            // longest vocabulary entry in bytes
}

func newTokenizer(words []string) (*tokenizer, error) {
	t := &tokenizer{
		vocab: make([]string, 0, numBytes+len(words)),
		index: make(map[string]int, numBytes+len(words)),
	}
	for b := 0; b < numBytes; b++ {
		s := string([]byte{byte(b)})
		t.vocab = append(t.vocab, s)
		t.index[s] = b
	}
	for _, w := range words {
		if len(w) < 2 {
			return nil, fmt.Errorf("demo: vocabulary entry %q is shorter than two bytes", w)
		}
		if _, dup := t.index[w]; dup {
			return nil, fmt.Errorf("demo: duplicate vocabulary entry %q", w)
		}
		t.index[w] = len(t.vocab)
		t.vocab = append(t.vocab, w)
		if len(w) > t.maxPiece {
			t.maxPiece = len(w)
		}
	}
	if len(t.vocab) > 1<<keyBits {
		return nil, fmt.Errorf("demo: vocabulary of %d entries exceeds %d", len(t.vocab), 1<<keyBits)
	}
	return t, nil
}

// appendTokens tokenizes s[start:end] (one piece) and appends its tokens.
// A piece in the vocabulary is one token; otherwise it is split by greedy
// longest-prefix match against the vocabulary, which always succeeds because
// every single byte is a token.
func (t *tokenizer) appendTokens(dst []Token, s string, start, end int) []Token {
	if id, ok := t.index[s[start:end]]; ok {
		return append(dst, Token{ID: id, Text: t.vocab[id], Start: start, End: end})
	}
	i := start
	for i < end {
		n := min(end-i, t.maxPiece)
		for ; n > 1; n-- {
			if id, ok := t.index[s[i:i+n]]; ok {
				dst = append(dst, Token{ID: id, Text: t.vocab[id], Start: i, End: i + n})
				break
			}
		}
		if n <= 1 {
			b := int(s[i])
			dst = append(dst, Token{ID: b, Text: t.vocab[b], Start: i, End: i + 1})
			n = 1
		}
		i += n
	}
	return dst
}

func (t *tokenizer) tokenize(s string) []Token {
	var out []Token
	pieces(s, func(start, end int) {
		out = t.appendTokens(out, s, start, end)
	})
	return out
}

func (t *tokenizer) ids(s string) []int {
	toks := t.tokenize(s)
	ids := make([]int, len(toks))
	for i, tk := range toks {
		ids[i] = tk.ID
	}
	return ids
}
