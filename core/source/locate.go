package source

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/rcsd-dev/rcsd/core/internal/yamlx"
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
	root   *yaml.Node // the first YAML document's root; nil if none or unparsable
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
func (d *Doc) yamlRoot() *yaml.Node {
	if !d.parsed {
		d.parsed = true
		d.root, _ = yamlx.Parse(d.data)
	}
	return d.root
}

// locateYAML walks segs through the first YAML document.
func (d *Doc) locateYAML(segs []Segment) (off, depth int, ok bool) {
	node := unwrap(d.yamlRoot())
	if node == nil {
		return 0, 0, false
	}
	best := node
	for _, seg := range segs {
		next := unwrap(child(node, seg, 0))
		if next == nil {
			break
		}
		node, best = next, next
		depth++
	}
	if best.Line <= 0 {
		return 0, depth, false
	}
	return runeColToOffset(d.data, best.Line, best.Column), depth, true
}

// unwrap follows aliases to the node they name.
func unwrap(n *yaml.Node) *yaml.Node {
	for i := 0; i < 64 && n != nil && n.Kind == yaml.AliasNode; i++ {
		n = n.Alias
	}
	return n
}

// child is the value at seg in n: a sequence element, or a mapping value
// (the last of duplicate keys; keys merged with << are looked up after
// the mapping's own).
func child(n *yaml.Node, seg Segment, depth int) *yaml.Node {
	if n == nil || depth > 64 {
		return nil
	}
	if seg.IsIndex {
		if n.Kind == yaml.SequenceNode && seg.Index < len(n.Content) {
			return n.Content[seg.Index]
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var found *yaml.Node
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := unwrap(n.Content[i]), n.Content[i+1]
		if k == nil {
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind == yaml.ScalarNode && k.Value == seg.Key {
			found = v
		}
	}
	for _, m := range merges {
		if found != nil {
			break
		}
		m = unwrap(m)
		if m != nil && m.Kind == yaml.SequenceNode {
			for _, e := range m.Content {
				if found = child(unwrap(e), seg, depth+1); found != nil {
					break
				}
			}
		} else {
			found = child(m, seg, depth+1)
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
