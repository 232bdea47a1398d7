package judge

import (
	"strings"
)

// lastBoxed finds the last \boxed{…} or \fbox{…} in s whose braces
// balance and returns the byte span of its content (between the braces).
// Of nested boxes the outer one counts, so \boxed{\boxed{1}} yields
// "\boxed{1}" (normalisation later unwraps it); of disjoint boxes the
// later one. Braces escaped as \{ or \} do not count, and a box whose
// brace never closes is skipped. One pass, O(len(s)) time. ok is false
// when there is no balanced box.
func lastBoxed(s string) (start, end int, ok bool) {
	first := indexBoxMacro(s, 0)
	if first < 0 {
		return 0, 0, false
	}
	// Start at the run of backslashes before it, so that "\\boxed" (an
	// escaped backslash, then text) is read as it is everywhere else.
	for first > 0 && s[first-1] == '\\' {
		first--
	}
	// stack holds open braces: the content start, negated minus one for
	// a brace that opens a box.
	var buf [32]int
	stack := buf[:0]
	best, bestEnd := -1, 0
	for i := first; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if n := boxMacroLen(s[i+1:]); n > 0 {
				k := i + 1 + n
				for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
					k++
				}
				if k < len(s) && s[k] == '{' {
					stack = append(stack, -(k+1)-1)
					i = k
				} else {
					i = k - 1
				}
				continue
			}
			i++ // an escaped character: \{ \} \\ and the like
		case '{':
			stack = append(stack, i+1)
		case '}':
			if len(stack) == 0 {
				continue
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if top < 0 {
				// A box closing now either contains every box recorded
				// so far that it overlaps or comes after them: it wins.
				best, bestEnd = -top-1, i
			}
		}
	}
	if best < 0 {
		return 0, 0, false
	}
	return best, bestEnd, true
}

// boxMacroLen returns the length of "boxed" or "fbox" when rest starts
// with that macro name (not followed by another letter), else 0.
func boxMacroLen(rest string) int {
	n := 0
	switch {
	case strings.HasPrefix(rest, "boxed"):
		n = len("boxed")
	case strings.HasPrefix(rest, "fbox"):
		n = len("fbox")
	default:
		return 0
	}
	if len(rest) > n && ('a' <= rest[n] && rest[n] <= 'z' || 'A' <= rest[n] && rest[n] <= 'Z') {
		return 0
	}
	return n
}

// indexBoxMacro returns the position of the next "\boxed" or "\fbox" at
// or after from, or -1.
func indexBoxMacro(s string, from int) int {
	for from < len(s) {
		k := strings.IndexByte(s[from:], '\\')
		if k < 0 {
			return -1
		}
		p := from + k
		if boxMacroLen(s[p+1:]) > 0 {
			return p
		}
		from = p + 1
	}
	return -1
}

// wrapperMacros are unwrapped (macro and braces removed, content kept)
// before an answer is compared.
var wrapperMacros = [...]string{`\boxed`, `\fbox`, `\text`, `\textbf`, `\textrm`, `\mathrm`, `\mathbf`, `\mbox`, `\operatorname`}

// unwrapMacros replaces every \text{X}, \mathrm{X}, \boxed{X}, … by X.
func unwrapMacros(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	for changed := true; changed; {
		changed = false
		for _, m := range wrapperMacros {
			i := strings.Index(s, m+"{")
			if i < 0 {
				continue
			}
			open := i + len(m)
			close := matchBrace(s, open)
			if close < 0 {
				continue
			}
			s = s[:i] + s[open+1:close] + s[close+1:]
			changed = true
		}
	}
	return s
}

// matchBrace returns the index of the brace closing the one at s[open],
// or -1.
func matchBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// normalizeAnswer is the string form two answers are compared in when
// they are not both numbers: wrappers unwrapped, $ and \left/\right
// removed, single-character ^{x}/_{x} braces dropped, all white space
// removed, a trailing period dropped, case folded.
func normalizeAnswer(s string) string {
	s = stripMath(unwrapMacros(s))
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if (c == '^' || c == '_') && i+3 < len(s) && s[i+1] == '{' && s[i+3] == '}' {
			b.WriteByte(c)
			b.WriteByte(s[i+2])
			i += 3
			continue
		}
		b.WriteByte(c)
	}
	return foldString(strings.TrimSuffix(b.String(), "."))
}
