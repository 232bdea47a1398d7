package prompt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The teacher blocks are written in the subset of text/template syntax
// they need — {{.Field}}, {{if}}/{{else}}/{{end}}, {{range}}, {{define}},
// {{template "name" .}}, comments and the {{- -}} trim markers — and run
// by this small engine instead of text/template. Why: text/template finds
// methods by name at run time, which makes the Go linker keep every
// exported method of every type in the program; in the WebAssembly build
// that cost 290 KB gzip of the 2 MB budget (the facade's .wasm measured
// 2.21 MB with text/template, 1.92 MB with this engine). The engine gives
// byte-equal output to text/template on these files
// (TestEngineMatchesTextTemplate runs both on every template with many
// inputs) and reads fields through the value types' field methods, not
// reflection.

// fielder is a value a template can read fields of.
type fielder interface {
	field(name string) (any, bool)
}

func (d blockData) field(name string) (any, bool) {
	switch name {
	case "Reference":
		return d.Reference, true
	case "Rubric":
		return d.Rubric, true
	case "Criteria":
		return d.Criteria, true
	case "Met":
		return d.Met, true
	case "Missed":
		return d.Missed, true
	case "Pitfalls":
		return d.Pitfalls, true
	case "ReasonFirst":
		return d.ReasonFirst, true
	}
	return nil, false
}

func (c criterionView) field(name string) (any, bool) {
	switch name {
	case "N":
		return c.N, true
	case "Title":
		return c.Title, true
	case "Description":
		return c.Description, true
	case "Text":
		return c.Text, true
	case "Weight":
		return c.Weight, true
	case "Negative":
		return c.Negative, true
	}
	return nil, false
}

// tmpl is a parsed template file: its main body and its definitions.
type tmpl struct {
	name    string
	body    []node
	defines map[string][]node
}

type nodeKind int

const (
	nText nodeKind = iota
	nField
	nIf
	nRange
	nCall
)

type node struct {
	kind  nodeKind
	text  string   // nText: the text; nCall: the template name
	path  []string // nField, nIf, nRange: the field path ("." is empty)
	body  []node   // nIf: then; nRange: the body
	else_ []node   // nIf: else
}

// lookup reports whether the template defines name.
func (t *tmpl) lookup(name string) bool {
	_, ok := t.defines[name]
	return ok
}

// parseTemplate parses src, a template file named name.
func parseTemplate(name, src string) (*tmpl, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	p := &tparser{toks: toks, t: &tmpl{name: name, defines: map[string][]node{}}}
	body, end, err := p.list(true)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	if end != "" {
		return nil, fmt.Errorf("template %s: unexpected {{%s}}", name, end)
	}
	p.t.body = body
	return p.t, nil
}

// token is text or an action (the words inside {{ }} without trims).
type token struct {
	action bool
	text   string
}

// lex splits src into text and actions, applying the trim markers as
// text/template does: "{{- " removes all white space before the action,
// " -}}" all white space after it.
func lex(src string) ([]token, error) {
	var out []token
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			out = append(out, token{text: src})
			return out, nil
		}
		text := src[:i]
		rest := src[i+2:]
		if strings.HasPrefix(rest, "- ") || strings.HasPrefix(rest, "-\t") || strings.HasPrefix(rest, "-\n") || strings.HasPrefix(rest, "-\r") {
			text = strings.TrimRight(text, " \t\r\n")
			rest = rest[1:]
		}
		out = append(out, token{text: text})
		var act string
		trimAfter := false
		if c := strings.TrimLeft(rest, " \t\r\n"); strings.HasPrefix(c, "/*") {
			e := strings.Index(c, "*/")
			if e < 0 {
				return nil, errors.New("unclosed comment")
			}
			after := c[e+2:]
			switch {
			case strings.HasPrefix(after, "}}"):
				rest = after[2:]
			case strings.HasPrefix(after, " -}}"):
				rest, trimAfter = after[4:], true
			default:
				return nil, errors.New("comment must end its action")
			}
			act = ""
		} else {
			e := strings.Index(rest, "}}")
			if e < 0 {
				return nil, errors.New("unclosed action")
			}
			act, rest = rest[:e], rest[e+2:]
			if strings.HasSuffix(act, " -") || strings.HasSuffix(act, "\t-") || strings.HasSuffix(act, "\n-") {
				act, trimAfter = act[:len(act)-1], true
			}
			act = strings.TrimSpace(act)
			if act == "" {
				return nil, errors.New("empty action")
			}
			out = append(out, token{action: true, text: act})
		}
		if trimAfter {
			rest = strings.TrimLeft(rest, " \t\r\n")
		}
		src = rest
	}
}

type tparser struct {
	toks []token
	pos  int
	t    *tmpl
}

// list parses nodes up to an {{end}} or {{else}} (returned as end) or the
// end of input (top only).
func (p *tparser) list(top bool) ([]node, string, error) {
	var out []node
	for p.pos < len(p.toks) {
		tk := p.toks[p.pos]
		p.pos++
		if !tk.action {
			if tk.text != "" {
				out = append(out, node{kind: nText, text: tk.text})
			}
			continue
		}
		word, arg, _ := strings.Cut(tk.text, " ")
		arg = strings.TrimSpace(arg)
		switch word {
		case "end", "else":
			if top {
				return nil, "", fmt.Errorf("unexpected {{%s}}", word)
			}
			return out, word, nil
		case "if", "range":
			path, err := fieldPath(arg)
			if err != nil {
				return nil, "", err
			}
			body, end, err := p.list(false)
			if err != nil {
				return nil, "", err
			}
			n := node{kind: nIf, path: path, body: body}
			if word == "range" {
				n.kind = nRange
				if end != "end" {
					return nil, "", errors.New("{{range}} without {{end}}")
				}
			} else if end == "else" {
				if n.else_, end, err = p.list(false); err != nil {
					return nil, "", err
				}
				if end != "end" {
					return nil, "", errors.New("{{else}} without {{end}}")
				}
			}
			out = append(out, n)
		case "define":
			name, err := strconv.Unquote(arg)
			if err != nil || !top {
				return nil, "", fmt.Errorf("bad {{define %s}}", arg)
			}
			body, end, err := p.list(false)
			if err != nil {
				return nil, "", err
			}
			if end != "end" {
				return nil, "", fmt.Errorf("{{define %q}} without {{end}}", name)
			}
			p.t.defines[name] = body
		case "template":
			q, dot, _ := strings.Cut(arg, " ")
			name, err := strconv.Unquote(q)
			if err != nil || strings.TrimSpace(dot) != "." {
				return nil, "", fmt.Errorf(`bad {{template %s}} (want {{template "name" .}})`, arg)
			}
			out = append(out, node{kind: nCall, text: name})
		default:
			path, err := fieldPath(tk.text)
			if err != nil {
				return nil, "", err
			}
			out = append(out, node{kind: nField, path: path})
		}
	}
	if !top {
		return nil, "", errors.New("missing {{end}}")
	}
	return out, "", nil
}

// fieldPath parses ".A.B" (or ".") into its field names.
func fieldPath(s string) ([]string, error) {
	if s == "." {
		return nil, nil
	}
	if !strings.HasPrefix(s, ".") || strings.ContainsAny(s, " \t()|$\"") {
		return nil, fmt.Errorf("unsupported action {{%s}} (only .Field paths)", s)
	}
	return strings.Split(s[1:], "."), nil
}

// execute runs the main body (name == "") or a definition.
func (t *tmpl) execute(name string, dot any) (string, error) {
	body := t.body
	if name != "" {
		b, ok := t.defines[name]
		if !ok {
			return "", fmt.Errorf("template %s: no definition %q", t.name, name)
		}
		body = b
	}
	var b strings.Builder
	if err := t.run(&b, body, dot, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (t *tmpl) run(b *strings.Builder, nodes []node, dot any, depth int) error {
	if depth > 16 {
		return fmt.Errorf("template %s: templates nest too deep", t.name)
	}
	for _, n := range nodes {
		switch n.kind {
		case nText:
			b.WriteString(n.text)
		case nField:
			v, err := t.eval(n.path, dot)
			if err != nil {
				return err
			}
			switch v := v.(type) {
			case string:
				b.WriteString(v)
			case int:
				b.WriteString(strconv.Itoa(v))
			case bool:
				b.WriteString(strconv.FormatBool(v))
			default:
				return fmt.Errorf("template %s: cannot print .%s", t.name, strings.Join(n.path, "."))
			}
		case nIf:
			v, err := t.eval(n.path, dot)
			if err != nil {
				return err
			}
			branch := n.else_
			if truth(v) {
				branch = n.body
			}
			if err := t.run(b, branch, dot, depth); err != nil {
				return err
			}
		case nRange:
			v, err := t.eval(n.path, dot)
			if err != nil {
				return err
			}
			list, ok := v.([]criterionView)
			if !ok {
				return fmt.Errorf("template %s: cannot range over .%s", t.name, strings.Join(n.path, "."))
			}
			for _, e := range list {
				if err := t.run(b, n.body, e, depth); err != nil {
					return err
				}
			}
		case nCall:
			body, ok := t.defines[n.text]
			if !ok {
				return fmt.Errorf("template %s: no definition %q", t.name, n.text)
			}
			if err := t.run(b, body, dot, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// eval reads a field path from dot; an unknown field is an error (as
// text/template's missingkey=error and a struct's missing field are).
func (t *tmpl) eval(path []string, dot any) (any, error) {
	v := dot
	for _, name := range path {
		f, ok := v.(fielder)
		if !ok {
			return nil, fmt.Errorf("template %s: cannot read .%s of a %T", t.name, name, v)
		}
		if v, ok = f.field(name); !ok {
			return nil, fmt.Errorf("template %s: can't evaluate field %s", t.name, name)
		}
	}
	return v, nil
}

// truth is text/template's: false, 0, "" and empty lists are false.
func truth(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	case int:
		return v != 0
	case []criterionView:
		return len(v) > 0
	}
	return v != nil
}
