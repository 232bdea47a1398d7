package world

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Special token ids. Byte tokens follow them (ByteBase + b for byte b),
// then the world's pieces.
const (
	Pad    = 0 // padding; never predicted
	BOS    = 1 // starts every sequence
	EOS    = 2 // ends an answer
	Rubric = 3 // starts the rubric block of the teacher's context
	Ref    = 4 // starts the reference answer (OPSD's teacher context)
	Ans    = 5 // starts the answer: the last token of every context

	// ByteBase is the id of byte 0x00; byte b is ByteBase+b.
	ByteBase = 6
	// NumSpecial is the count of special tokens.
	NumSpecial = ByteBase
)

var specialNames = [NumSpecial]string{"<pad>", "<bos>", "<eos>", "<rubric>", "<ref>", "<answer>"}

// Tokenizer is the lab world's tokenizer: word-level over the world's
// closed vocabulary, with byte fallback so every string encodes and
// decodes back exactly.
//
// Encoding first splits text into pieces: an optional single space
// followed by a run of ASCII letters, or by one ASCII digit, or by one
// other character; a space not followed by such a piece, and every
// other white-space character, is a piece of its own. A piece in the
// vocabulary is one token; any other piece is written as its UTF-8
// bytes, one byte token each (there is no <unk>). Decode concatenates
// the tokens' texts, so Decode(Encode(s)) == s for every s, valid UTF-8
// or not. The vocabulary holds every piece the world's prompts, rubrics
// (compact and full) and answers use, each word with and without its
// leading space, every digit and ASCII punctuation mark likewise, the
// 256 bytes and the six special tokens; text from outside the world
// (a chat template, an English rubric) falls back to bytes where its
// words are unknown.
//
// A Tokenizer is immutable and safe for concurrent use.
type Tokenizer struct {
	pieces []string // id - ByteBase - 256 → piece
	ids    map[string]int
	fp     string
}

// NewTokenizer returns the world's tokenizer (built once).
func NewTokenizer() *Tokenizer { return theTokenizer() }

var theTokenizer = sync.OnceValue(func() *Tokenizer {
	set := map[string]bool{"\n": true, " ": true}
	for c := byte('!'); c <= '~'; c++ {
		if !isLetter(c) {
			set[string(c)], set[" "+string(c)] = true, true
		}
	}
	for _, s := range lexicon() {
		for _, p := range splitPieces(s, nil) {
			set[p] = true
			if p[0] == ' ' {
				set[p[1:]] = true
			} else if isLetter(p[0]) {
				set[" "+p] = true
			}
		}
	}
	t := &Tokenizer{ids: map[string]int{}}
	for p := range set {
		t.pieces = append(t.pieces, p)
	}
	sort.Strings(t.pieces)
	h := sha256.New()
	for i, p := range t.pieces {
		t.ids[p] = ByteBase + 256 + i
		h.Write([]byte(strconv.Quote(p) + "\n"))
	}
	t.fp = hex.EncodeToString(h.Sum(nil))[:16]
	return t
})

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// splitPieces appends the pieces of s to dst (see Tokenizer).
func splitPieces(s string, dst []string) []string {
	i := 0
	for i < len(s) {
		start := i
		if s[i] == ' ' && i+1 < len(s) && !isSpace(s[i+1]) {
			i++
		}
		c := s[i]
		switch {
		case isLetter(c):
			for i < len(s) && isLetter(s[i]) {
				i++
			}
		case isSpace(c):
			i++
		case c < 0x80:
			i++
		default: // one UTF-8 sequence, or one stray byte
			i++
			for i < len(s) && s[i]&0xC0 == 0x80 && i-start < 4 {
				i++
			}
		}
		dst = append(dst, s[start:i])
	}
	return dst
}

// Encode returns the token ids of s, adding no special tokens.
func (t *Tokenizer) Encode(s string) []int { return t.AppendEncode(nil, s) }

// AppendEncode appends the token ids of s to dst.
func (t *Tokenizer) AppendEncode(dst []int, s string) []int {
	var buf [64]string
	for _, p := range splitPieces(s, buf[:0]) {
		if id, ok := t.ids[p]; ok {
			dst = append(dst, id)
			continue
		}
		for k := 0; k < len(p); k++ {
			dst = append(dst, ByteBase+int(p[k]))
		}
	}
	return dst
}

// Decode returns the text of ids: the concatenation of the tokens'
// texts, special tokens written as their names ("<rubric>"). It panics
// on an id outside [0, VocabSize()).
func (t *Tokenizer) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(t.TokenText(id))
	}
	return b.String()
}

// TokenText returns the text of token id: a piece, one byte (possibly a
// fragment of a character) or a special token's name.
func (t *Tokenizer) TokenText(id int) string {
	switch {
	case id < 0 || id >= t.VocabSize():
		panic("world: token id " + strconv.Itoa(id) + " outside the vocabulary of " + strconv.Itoa(t.VocabSize()))
	case id < ByteBase:
		return specialNames[id]
	case id < ByteBase+256:
		return string([]byte{byte(id - ByteBase)})
	}
	return t.pieces[id-ByteBase-256]
}

// IsByte reports whether id is a byte-fallback token.
func (t *Tokenizer) IsByte(id int) bool { return id >= ByteBase && id < ByteBase+256 }

// IsSpecial reports whether id is a special token.
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < NumSpecial }

// VocabSize is the number of token ids.
func (t *Tokenizer) VocabSize() int { return ByteBase + 256 + len(t.pieces) }

// Fingerprint names the vocabulary (16 hex digits of a SHA-256 of the
// pieces in id order): a checkpoint stores it, so a model is never run
// with a vocabulary it was not trained on.
func (t *Tokenizer) Fingerprint() string { return t.fp }

// lexicon lists the texts the world writes besides its pools: the
// templates of render.go and rubric.go with their placeholders left out.
// TestVocabularyClosed checks that no generated text needs a byte token.
func lexicon() []string {
	out := []string{
		// prompts
		"Write a note for going on a day at the .",
		// answers
		"For your day at the , bring the and the . Carry liters of water. First , then . Meet at the . Plan \\boxed{} meals in all. From .",
		// compact rubric titles
		"bring the carry open with at most at least words says order > meet at the sign packs the plan \\boxed{} meals",
		// rubric descriptions
		"Lists the in the gear, as every needs.",
		"Lists the in the gear for the weather.",
		"Lists the in the gear, needed at the .",
		"Says to carry : liters a day in for days.",
		"Gives the total of meals in \\boxed{}: meals a day for over days.",
		"Opens with \"\", the greeting.",
		"Keeps the brief note to at most words.",
		"Writes a full note of at least words.",
		"Gives the tip \"\", unsafe for the .",
		"Gives the steps in this order: , then .",
		"Names the as the meeting point.",
		"Ends with the sign-off \"\"",
		"Packs the , which the organizer banned.",
	}
	for _, a := range activities {
		out = append(out, a.name, a.item)
	}
	for _, s := range seasons {
		out = append(out, s.name, s.item)
	}
	for _, a := range audiences {
		out = append(out, a.name)
	}
	for _, t := range tones {
		out = append(out, t.name, t.opening)
	}
	for _, p := range places {
		out = append(out, p.name, p.item)
	}
	for _, t := range tips {
		out = append(out, t.text, t.term)
	}
	out = append(out, steps...)
	out = append(out, extras...)
	out = append(out, meetings...)
	out = append(out, names...)
	return out
}
