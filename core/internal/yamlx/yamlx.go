// Package yamlx reads the YAML the core accepts (rubrics and configs) with
// go.yaml.in/yaml/v3: it converts a document to JSON, which the strict
// JSON decoders then check, and gives the node tree for locating a JSON
// path in the YAML text. It replaced github.com/goccy/go-yaml, which was
// five times slower to parse in WebAssembly and 190 KB gzip larger in the
// playground's .wasm.
//
// The conversion is YAML 1.2's core schema as yaml.v3 resolves it (true,
// false, null, ints in decimal, 0x and 0o, floats), keys in document
// order, aliases and merge keys (<<) expanded. What JSON cannot hold is an
// error at its position: .inf and .nan, a non-scalar mapping key, a
// duplicate key, an alias cycle, or an expansion beyond MaxNodes (a
// "billion laughs" document).
package yamlx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/rcsd-dev/rcsd/core/internal/jsonx"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// MaxNodes bounds the nodes written by one conversion, aliases counted
// at every use.
const MaxNodes = 1_000_000

// Error is a problem at a 1-based line and column (in runes; 0 when the
// parser gave none).
type Error struct {
	Line, Column int
	Message      string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, e.Message)
	}
	return e.Message
}

// Parse returns the first document's root node (nil for an empty
// document).
func Parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, parseError(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// lineMsg reads yaml.v3's "yaml: line N: message" (compiled on first
// use: only errors need it).
var lineMsg = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// parseError turns a yaml.v3 error ("yaml: line 4: did not find expected
// key"; no line means line 1) into an Error at that line. yaml.v3 gives no
// column and drops libyaml's context ("while scanning a quoted scalar"),
// so the commonest mistakes are recognised on the line and worded with
// their column: an unclosed quote, a tab in the indentation, a value with
// an unquoted ": ", a character that cannot start a plain value.
func parseError(data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	line := 1
	if m := lineMsg().FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	text := lineText(data, line)
	col := firstColumn(text)
	switch {
	case strings.Contains(msg, "unexpected end of stream"):
		if q, at := openQuote(text); at >= 0 {
			return &Error{Line: line, Column: runeCol(text, at), Message: fmt.Sprintf("the quoted text starting here has no closing %c", q)}
		}
	case strings.Contains(msg, "cannot start any token"):
		if strings.HasPrefix(strings.TrimLeft(text, " "), "\t") {
			return &Error{Line: line, Column: runeCol(text, strings.IndexByte(text, '\t')), Message: "a tab in the indentation (YAML indents with spaces)"}
		}
		for i, r := range text {
			if strings.ContainsRune("@`", r) && (i == 0 || text[i-1] == ' ') {
				return &Error{Line: line, Column: runeCol(text, i), Message: fmt.Sprintf("%q cannot start a plain value: quote the value", r)}
			}
		}
	case strings.HasPrefix(msg, "did not find expected ',' or"):
		if l, c, open := unclosedFlow(data); l > 0 {
			return &Error{Line: l, Column: c, Message: fmt.Sprintf("the %c opened here is not closed", open)}
		}
	case strings.Contains(msg, "mapping values are not allowed"):
		if first := strings.Index(text, ": "); first >= 0 {
			if second := strings.Index(text[first+2:], ": "); second >= 0 {
				at := first + 2 + second
				return &Error{Line: line, Column: runeCol(text, at), Message: `a value contains ": " (quote the value, or indent a nested mapping on its own line)`}
			}
		}
	}
	return &Error{Line: line, Column: col, Message: msg}
}

// unclosedFlow finds the innermost [ or { of a flow collection left open
// at the end of data (quotes and comments skipped): its line, rune
// column and character, or 0.
func unclosedFlow(data []byte) (line, col int, open rune) {
	type pos struct {
		line, col int
		c         rune
	}
	var stack []pos
	for ln, text := range strings.Split(string(data), "\n") {
		for i := 0; i < len(text); i++ {
			switch c := text[i]; c {
			case '#':
				if i == 0 || text[i-1] == ' ' {
					i = len(text)
				}
			case '"', '\'':
				if i == 0 || strings.ContainsRune(" [{,:", rune(text[i-1])) {
					j := i + 1
					for j < len(text) && text[j] != c {
						if c == '"' && text[j] == '\\' {
							j++
						}
						j++
					}
					i = j
				}
			case '[', '{':
				stack = append(stack, pos{ln + 1, runeCol(text, i), rune(c)})
			case ']', '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	if len(stack) == 0 {
		return 0, 0, 0
	}
	p := stack[len(stack)-1]
	return p.line, p.col, p.c
}

// lineText is the 1-based line of data without its newline.
func lineText(data []byte, line int) string {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimRight(string(lines[line-1]), "\r")
}

func firstColumn(text string) int {
	return runeCol(text, len(text)-len(strings.TrimLeft(text, " \t")))
}

// runeCol is the 1-based rune column of byte offset i in text.
func runeCol(text string, i int) int { return utf8.RuneCountInString(text[:i]) + 1 }

// openQuote finds a quote that opens a value on the line and is not
// closed on it: the quote character and its byte offset, or -1.
func openQuote(text string) (rune, int) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '"' && c != '\'' {
			continue
		}
		if i > 0 && !strings.ContainsRune(" [{,:-", rune(text[i-1])) {
			continue // a quote inside a plain value
		}
		j := i + 1
		for j < len(text) {
			if c == '"' && text[j] == '\\' {
				j += 2
				continue
			}
			if text[j] == c {
				if c == '\'' && j+1 < len(text) && text[j+1] == '\'' {
					j += 2 // '' is an escaped quote
					continue
				}
				break
			}
			j++
		}
		if j >= len(text) {
			return rune(c), i
		}
		i = j
	}
	return 0, -1
}

// ToJSON converts the first YAML document of data to JSON. An empty
// document is null.
func ToJSON(data []byte) ([]byte, error) {
	root, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return []byte("null"), nil
	}
	c := &conv{}
	if err := c.value(root, 0); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

type conv struct {
	buf   bytes.Buffer
	nodes int
}

func at(n *yaml.Node, format string, args ...any) *Error {
	return &Error{Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)}
}

func (c *conv) value(n *yaml.Node, depth int) error {
	c.nodes++
	if c.nodes > MaxNodes {
		return at(n, "the document expands to more than %d values (aliases counted at every use)", MaxNodes)
	}
	if depth > 1000 {
		return at(n, "the document nests deeper than 1000 levels (an alias cycle?)")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			c.buf.WriteString("null")
			return nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return at(n, "unknown alias *%s", n.Value)
		}
		return c.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.value(e, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		pairs, err := mappingPairs(n, depth)
		if err != nil {
			return err
		}
		c.buf.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			writeString(&c.buf, p.key)
			c.buf.WriteByte(':')
			if err := c.value(p.value, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return at(n, "unsupported YAML node")
}

type pair struct {
	key   string
	keyAt *yaml.Node
	value *yaml.Node
}

// mappingPairs lists a mapping's pairs in document order with merge keys
// expanded (explicit keys win over merged ones, earlier merged mappings
// over later ones, as YAML's merge key type says); a duplicate explicit
// key is an error.
func mappingPairs(n *yaml.Node, depth int) ([]pair, error) {
	var own, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			ms, err := mergeSources(v, depth)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				ps, err := mappingPairs(m, depth+1)
				if err != nil {
					return nil, err
				}
				merged = append(merged, ps...)
			}
			continue
		}
		key, err := keyString(k)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[key]; dup {
			return nil, at(k, "mapping key %q is already defined at line %d", key, prev.Line)
		}
		seen[key] = k
		own = append(own, pair{key: key, keyAt: k, value: v})
	}
	for _, p := range merged {
		if _, ok := seen[p.key]; ok {
			continue
		}
		seen[p.key] = p.keyAt
		own = append(own, p)
	}
	return own, nil
}

func mergeSources(v *yaml.Node, depth int) ([]*yaml.Node, error) {
	if depth > 1000 {
		return nil, at(v, "merge keys nest deeper than 1000 levels")
	}
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}, nil
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, e := range v.Content {
			for e.Kind == yaml.AliasNode && e.Alias != nil {
				e = e.Alias
			}
			if e.Kind != yaml.MappingNode {
				return nil, at(e, "a merge key (<<) takes a mapping or a list of mappings")
			}
			out = append(out, e)
		}
		return out, nil
	}
	return nil, at(v, "a merge key (<<) takes a mapping or a list of mappings")
}

func keyString(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", at(k, "a mapping key must be a plain value, not a list or a mapping (JSON keys are strings)")
	}
	if k.ShortTag() == "!!null" {
		return "null", nil
	}
	return k.Value, nil
}

func (c *conv) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return at(n, "%q is not a boolean", n.Value)
		}
		c.buf.WriteString(strconv.FormatBool(b))
	case "!!int", "!!float":
		if jsonx.IsNumber(n.Value) {
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil || !math.IsInf(f, 0) {
				c.buf.WriteString(n.Value)
				return nil
			}
			return at(n, "%s is not a finite number (JSON has no infinity or NaN)", n.Value)
		}
		var f float64
		if n.ShortTag() == "!!int" {
			var i int64
			if err := n.Decode(&i); err == nil {
				c.buf.WriteString(strconv.FormatInt(i, 10))
				return nil
			}
		}
		if err := n.Decode(&f); err != nil {
			return at(n, "%q is not a number JSON can hold", n.Value)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return at(n, "%s is not a finite number (JSON has no infinity or NaN)", n.Value)
		}
		c.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default: // !!str, !!timestamp, !!binary and custom tags: the text
		if n.Style == 0 && n.ShortTag() == "!!str" && jsonx.IsNumber(n.Value) {
			// yaml.v3 resolves a plain number out of int64 or float64 range
			// as a string; it was meant as a number.
			if f, _ := strconv.ParseFloat(n.Value, 64); math.IsInf(f, 0) {
				return at(n, "%s is not a finite number (JSON has no infinity or NaN)", n.Value)
			}
			c.buf.WriteString(n.Value)
			return nil
		}
		writeString(&c.buf, n.Value)
	}
	return nil
}

// writeString writes s as a JSON string, <, > and & unescaped so that the
// JSON reads as the YAML did.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
