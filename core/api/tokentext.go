package api

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// displayTexts returns the completion's token texts for display. A
// tokenizer with byte fallback splits a character such as "·" into
// tokens that are single bytes, none valid UTF-8 alone (JSON would show
// each as U+FFFD). Here each boundary between tokens that falls inside a
// character moves to the character's end, so the token where a character
// starts shows all of it and its continuation bytes' tokens show "".
// Joined, the texts are the completion's text exactly (invalid bytes that
// are not part of a character become U+FFFD). A token without a text
// shows as "#id".
func displayTexts(tr *trace.Trace) []string {
	toks := make([]string, len(tr.Student))
	for i := range tr.Student {
		toks[i] = tokenText(tr, i)
	}
	return splitDisplay(toks)
}

// splitDisplay is displayTexts on the raw token strings.
func splitDisplay(toks []string) []string {
	full := strings.Join(toks, "")
	if utf8.ValidString(full) {
		allValid := true
		for _, t := range toks {
			if !utf8.ValidString(t) {
				allValid = false
				break
			}
		}
		if allValid {
			return toks
		}
	}
	out := make([]string, len(toks))
	start := 0 // the current token's display start in full (a rune boundary)
	end := 0   // the current token's raw end in full
	for i, t := range toks {
		end += len(t)
		b := end
		for b < len(full) && !utf8.RuneStart(full[b]) && b-end < utf8.UTFMax {
			b++ // inside a character: move the boundary to its end
		}
		if b < start {
			b = start
		}
		out[i] = strings.ToValidUTF8(full[start:b], "\uFFFD")
		start = b
	}
	return out
}

// altText shows an alternative's token: its text, or its bytes as
// <0xNN> when it is a lone piece of a character.
func altText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("<0x")
		b.WriteString(strings.ToUpper(strconv.FormatUint(uint64(s[i]), 16)))
		b.WriteByte('>')
	}
	return b.String()
}

// displayAlts returns alts with their token texts made displayable (a
// copy only when one needs it).
func displayAlts(alts []lm.Alt) []lm.Alt {
	for i, a := range alts {
		if !utf8.ValidString(a.Token) {
			out := append([]lm.Alt(nil), alts...)
			for j := i; j < len(out); j++ {
				out[j].Token = altText(out[j].Token)
			}
			return out
		}
	}
	return alts
}
