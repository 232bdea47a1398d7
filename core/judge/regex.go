package judge

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A regex check runs through regexp (RE2). Go's regexp skips ahead with
// a literal prefix only when the prefix is case-sensitive, so patterns
// such as "(?i)final answer\s*:" scan every position of a long response
// with the backtracker. fastRegex adds that skip for case-folded
// prefixes: candidate starts are the occurrences of the folded prefix in
// the folded response, and at each one the pattern is run anchored on
// the rest of the response. Every match must start with the prefix, the
// prefix is not an assertion, and trying candidates in order finds the
// leftmost one, so the result equals re.FindStringIndex(response).
type fastRegex struct {
	re       *regexp.Regexp
	anchored *regexp.Regexp // ^(?:pattern), nil when there is no folded prefix
	prefix   []byte         // folded literal prefix
}

func compileRegex(pattern string) (fastRegex, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fastRegex{}, err
	}
	fr := fastRegex{re: re}
	if p, ok := foldedLiteralPrefix(pattern); ok {
		a, err := regexp.Compile(`^(?:` + pattern + `)`)
		if err == nil {
			fr.anchored = a
			fr.prefix = []byte(foldString(p))
		}
	}
	return fr, nil
}

// foldedLiteralPrefix returns the literal that every match of pattern
// starts with when that literal is case-folded (FoldCase) and at least
// three bytes long.
func foldedLiteralPrefix(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	first := re
	if re.Op == syntax.OpConcat && len(re.Sub) > 0 {
		first = re.Sub[0]
	}
	if first.Op != syntax.OpLiteral || first.Flags&syntax.FoldCase == 0 {
		return "", false
	}
	p := string(first.Rune)
	if len(p) < 3 || strings.TrimSpace(p) == "" {
		return "", false
	}
	// regexp matches U+FFFD against an invalid byte too, which folding
	// keeps raw: such a prefix could miss candidates.
	if strings.ContainsRune(p, utf8.RuneError) {
		return "", false
	}
	return p, true
}

// find returns the leftmost match of the pattern in resp, or nil.
func (fr *fastRegex) find(st *evalState) []int {
	if fr.anchored == nil {
		return fr.re.FindStringIndex(st.resp)
	}
	t := st.text()
	for from := 0; from <= len(t); {
		k := indexBytes(t[from:], fr.prefix)
		if k < 0 {
			return nil
		}
		pos := st.f.orig(from + k)
		if loc := fr.anchored.FindStringIndex(st.resp[pos:]); loc != nil {
			return []int{pos + loc[0], pos + loc[1]}
		}
		from += k + 1
	}
	return nil
}
