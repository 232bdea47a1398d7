package prompt

import (
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// Composition placeholders, as in TRL's teacher_prompt_template.
const (
	fieldPrompt     = "prompt"
	fieldPrivileged = "privileged_context"
)

type pieceKind int

const (
	pieceText pieceKind = iota
	piecePrompt
	piecePrivileged
)

// piece is one part of a parsed composition template.
type piece struct {
	kind pieceKind
	text string // for pieceText
}

// parseComposition parses a teacher prompt template with Python
// str.format's rules for the two fields TRL fills: "{prompt}" and
// "{privileged_context}" are fields, "{{" and "}}" literal braces; any
// other field, a format spec or conversion ("{prompt!r}", "{prompt:>9}"),
// a lone "}" or an unclosed "{" is an error, as str.format would raise one.
// Both fields are required (TRL checks the same): a template without
// {prompt} drops the question from the teacher's context.
func parseComposition(t string) ([]piece, diag.List) {
	const path = "$.custom_template"
	var (
		out  []piece
		lit  strings.Builder
		dl   diag.List
		seen = map[string]bool{}
	)
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, piece{kind: pieceText, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '{' && i+1 < len(t) && t[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(t) && t[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			d := diag.Errorf(CodeBadTemplate, path, "single '}' at byte %d of the teacher prompt template", i)
			d.Hint = `write "}}" for a literal brace`
			return nil, append(dl, d)
		case c == '{':
			end := strings.IndexByte(t[i+1:], '}')
			if end < 0 {
				d := diag.Errorf(CodeBadTemplate, path, "unclosed '{' at byte %d of the teacher prompt template", i)
				d.Hint = `write "{{" for a literal brace`
				return nil, append(dl, d)
			}
			name := t[i+1 : i+1+end]
			switch name {
			case fieldPrompt:
				flush()
				out = append(out, piece{kind: piecePrompt})
			case fieldPrivileged:
				flush()
				out = append(out, piece{kind: piecePrivileged})
			default:
				d := diag.Errorf(CodeBadTemplate, path, "unknown field {%s} in the teacher prompt template (want {prompt} and {privileged_context})", name)
				d.Hint = diag.DidYouMean(name, []string{fieldPrompt, fieldPrivileged})
				return nil, append(dl, d)
			}
			seen[name] = true
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if !seen[fieldPrompt] {
		d := diag.Errorf(CodeTemplateDropsQuestion, path, "the teacher prompt template has no {prompt}: the teacher would not see the question")
		d.Hint = "TRL's default is " + strconv.Quote(DefaultTemplate)
		dl = append(dl, d)
	}
	if !seen[fieldPrivileged] {
		d := diag.Errorf(CodeBadTemplate, path, "the teacher prompt template has no {privileged_context}: the teacher would see nothing the student does not")
		d.Hint = "TRL's default is " + strconv.Quote(DefaultTemplate)
		dl = append(dl, d)
	}
	if dl.HasErrors() {
		return nil, dl
	}
	return out, nil
}

// compose fills the pieces with the student's turn and the block. It
// returns the teacher's turn and the spans of it that the student's turn
// does not have: everything but the first {prompt}.
func compose(pieces []piece, promptText, block string) (string, []Span) {
	var (
		b      strings.Builder
		spans  []Span
		shared = false
	)
	add := func(s string, inserted bool) {
		start := b.Len()
		b.WriteString(s)
		if !inserted || s == "" {
			return
		}
		if n := len(spans); n > 0 && spans[n-1].End == start {
			spans[n-1].End = b.Len()
			return
		}
		spans = append(spans, Span{Start: start, End: b.Len()})
	}
	for _, p := range pieces {
		switch p.kind {
		case pieceText:
			add(p.text, true)
		case piecePrompt:
			add(promptText, shared)
			shared = true
		case piecePrivileged:
			add(block, true)
		}
	}
	return b.String(), spans
}
