package source

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Locate returns the 1-based line and column (in bytes) of the value at
// path in data, a JSON or YAML document. When the path goes further than
// the document (a missing key, an index past the end, a scalar where an
// object was expected) it returns the position of the deepest value that
// exists, so a missing field points at its object. A malformed path
// points at the root value. Empty data gives 1, 1.
//
// Documents whose first significant byte is '{' or '[' are scanned as
// JSON; if that scan stops on malformed JSON (such as YAML flow syntax)
// the YAML parser is tried as well and the deeper answer wins. Anything
// else is parsed as YAML (its first document).
func Locate(data []byte, path string) (line, col int) {
	return NewDoc(data).Locate(path)
}

// Doc is a document to locate many paths in: it parses YAML at most once
// (a rubric with many diagnostics would otherwise be parsed once per
// diagnostic). It is not safe for concurrent use.
type Doc struct {
	data   []byte
	parsed bool
	root   ast.Node // the first YAML document's body; nil if none or unparsable
}

// NewDoc returns a Doc for data.
func NewDoc(data []byte) *Doc { return &Doc{data: data} }

// Locate is the package's Locate on d's data.
func (d *Doc) Locate(path string) (line, col int) {
	return LineCol(d.data, d.locateOffset(path))
}

// LineCol converts a byte offset in data to a 1-based line and byte
// column. Offsets past the end are clamped to the end.
func LineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, off - start + 1
}

func (d *Doc) locateOffset(path string) int {
	data := d.data
	root := skipBOMAndSpace(data, 0)
	segs, err := Split(path)
	if err != nil {
		return root
	}
	if root < len(data) && (data[root] == '{' || data[root] == '[') {
		off, depth, ok := locateJSON(data, root, segs)
		if ok || depth == len(segs) {
			return off
		}
		if yoff, ydepth, yok := d.locateYAML(segs); yok && ydepth > depth {
			return yoff
		}
		return off
	}
	if off, _, ok := d.locateYAML(segs); ok {
		return off
	}
	return root
}

func skipBOMAndSpace(data []byte, i int) int {
	if bytes.HasPrefix(data[i:], []byte("\xef\xbb\xbf")) {
		i += 3
	}
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		case '#': // YAML comment
			if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(data)
			}
		default:
			return i
		}
	}
	return i
}

// locateJSON walks segs from the value at off. It returns the offset of
// the deepest value found, how many segments were matched, and whether
// the scan met no malformed input.
func locateJSON(data []byte, off int, segs []Segment) (int, int, bool) {
	s := &scanner{data: data}
	for depth, seg := range segs {
		s.pos = off
		next, found, ok := s.member(seg)
		if !found {
			return off, depth, ok
		}
		// A key found before malformed input still counts: the
		// value may well be intact.
		off = next
	}
	return off, len(segs), true
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// member finds seg in the object or array at s.pos and returns the
// offset of its value. For duplicate keys the last one wins, as in
// encoding/json. ok is false on malformed input.
func (s *scanner) member(seg Segment) (off int, found, ok bool) {
	open := s.peek()
	if seg.IsIndex && open != '[' || !seg.IsIndex && open != '{' {
		// A scalar or the wrong container: the path goes no deeper.
		return 0, false, true
	}
	s.pos++
	s.ws()
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	if s.peek() == closer {
		return 0, false, true
	}
	for i := 0; ; i++ {
		s.ws()
		if open == '{' {
			k, kok := s.str()
			if !kok {
				return off, found, false
			}
			s.ws()
			if s.peek() != ':' {
				return off, found, false
			}
			s.pos++
			s.ws()
			if k == seg.Key && s.pos < len(s.data) {
				off, found = s.pos, true
			}
		} else {
			s.ws()
			if i == seg.Index && s.pos < len(s.data) {
				return s.pos, true, true
			}
		}
		if !s.skip() {
			return off, found, false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
		case closer:
			return off, found, true
		default:
			return off, found, false
		}
	}
}

// str reads a JSON string at s.pos and returns its decoded value.
func (s *scanner) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.pos
	esc := false
	for i := s.pos + 1; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '\\':
			esc = true
			i++
		case c == '"':
			s.pos = i + 1
			raw := s.data[start : i+1]
			if !esc {
				return string(raw[1 : len(raw)-1]), true
			}
			v, err := strconv.Unquote(string(raw))
			if err != nil {
				// JSON escapes Go does not know (\/) or lone
				// surrogates: compare the raw text instead.
				return string(raw[1 : len(raw)-1]), true
			}
			return v, true
		}
	}
	return "", false
}

// skip moves past one JSON value, iteratively so deep nesting cannot
// overflow the stack.
func (s *scanner) skip() bool {
	depth := 0
	for {
		s.ws()
		switch c := s.peek(); c {
		case 0:
			if s.pos >= len(s.data) {
				return false
			}
			return false
		case '{', '[':
			depth++
			s.pos++
			continue
		case '}', ']':
			if depth == 0 {
				return false
			}
			depth--
			s.pos++
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
		case ',', ':':
			if depth == 0 {
				return false
			}
			s.pos++
			continue
		default:
			start := s.pos
			for s.pos < len(s.data) {
				c := s.data[s.pos]
				if c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '{' || c == '[' {
					break
				}
				s.pos++
			}
			if s.pos == start {
				return false
			}
		}
		if depth == 0 {
			return true
		}
	}
}

// yamlRoot parses the first YAML document once.
func (d *Doc) yamlRoot() ast.Node {
	if !d.parsed {
		d.parsed = true
		func() {
			defer func() {
				if recover() != nil {
					d.root = nil
				}
			}()
			f, err := parser.ParseBytes(d.data, 0)
			if err != nil || f == nil || len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
				return
			}
			d.root = f.Docs[0].Body
		}()
	}
	return d.root
}

// locateYAML walks segs through the first YAML document.
func (d *Doc) locateYAML(segs []Segment) (off, depth int, ok bool) {
	defer func() {
		if recover() != nil {
			off, depth, ok = 0, 0, false
		}
	}()
	data := d.data
	body := d.yamlRoot()
	if body == nil {
		return 0, 0, false
	}
	node := unwrap(body)
	best := node
	for _, seg := range segs {
		next := child(node, seg)
		if next == nil {
			break
		}
		node = unwrap(next)
		best = node
		depth++
	}
	tk := startToken(best)
	if tk == nil || tk.Position == nil {
		return 0, depth, false
	}
	return runeColToOffset(data, tk.Position.Line, tk.Position.Column), depth, true
}

// startToken returns the first token of n: the parser's own token for a
// block mapping is its first ':', not where the mapping starts.
func startToken(n ast.Node) *token.Token {
	for i := 0; i < 64; i++ {
		switch v := n.(type) {
		case *ast.MappingNode:
			if v.IsFlowStyle && v.Start != nil {
				return v.Start
			}
			if len(v.Values) > 0 && v.Values[0] != nil && v.Values[0].Key != nil {
				n = v.Values[0].Key
				continue
			}
		case *ast.MappingValueNode:
			if v.Key != nil {
				n = v.Key
				continue
			}
		}
		return n.GetToken()
	}
	return n.GetToken()
}

func unwrap(n ast.Node) ast.Node {
	for i := 0; i < 64 && n != nil; i++ {
		switch v := n.(type) {
		case *ast.TagNode:
			if v.Value == nil {
				return n
			}
			n = v.Value
		case *ast.AnchorNode:
			if v.Value == nil {
				return n
			}
			n = v.Value
		case *ast.DocumentNode:
			if v.Body == nil {
				return n
			}
			n = v.Body
		default:
			return n
		}
	}
	return n
}

func child(n ast.Node, seg Segment) ast.Node {
	if seg.IsIndex {
		if sq, ok := n.(*ast.SequenceNode); ok && seg.Index < len(sq.Values) {
			return sq.Values[seg.Index]
		}
		return nil
	}
	var pairs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	default:
		return nil
	}
	var found ast.Node
	for _, p := range pairs {
		if p == nil || p.Key == nil {
			continue
		}
		tk := p.Key.GetToken()
		if tk != nil && tk.Value == seg.Key {
			found = p.Value
		}
	}
	return found
}

// runeColToOffset converts the YAML parser's line and column (counted
// in characters) to a byte offset.
func runeColToOffset(data []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			return len(data)
		}
		off += j + 1
	}
	for c := 1; c < col && off < len(data) && data[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off
}
