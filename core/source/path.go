package source

import (
	"errors"
	"strconv"
	"strings"
)

// Root is the path of the whole document.
const Root = "$"

// Segment is one step of a path: an object key or an array index.
type Segment struct {
	Key     string // object key, when IsIndex is false
	Index   int    // array index, when IsIndex is true
	IsIndex bool
}

// Key returns the path of member k of the object at p. Keys that are
// not plain identifiers ([A-Za-z_][A-Za-z0-9_]*) are written quoted in
// brackets, as in $["odd key"], with Go/JSON string escapes.
func Key(p, k string) string {
	if isIdent(k) {
		return p + "." + k
	}
	return p + "[" + strconv.Quote(k) + "]"
}

// Index returns the path of element i of the array at p.
func Index(p string, i int) string {
	return p + "[" + strconv.Itoa(i) + "]"
}

func isIdent(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

var errPath = errors.New("source: malformed path")

// Split parses a path built by Key and Index (it must start with "$")
// into its segments.
func Split(p string) ([]Segment, error) {
	if !strings.HasPrefix(p, Root) {
		return nil, errPath
	}
	var segs []Segment
	rest := p[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			j := 1
			for j < len(rest) && rest[j] != '.' && rest[j] != '[' {
				j++
			}
			if j == 1 {
				return nil, errPath
			}
			segs = append(segs, Segment{Key: rest[1:j]})
			rest = rest[j:]
		case '[':
			if len(rest) > 1 && rest[1] == '"' {
				// Find the closing quote, skipping escapes.
				j := 2
				for j < len(rest) && rest[j] != '"' {
					if rest[j] == '\\' {
						j++
					}
					j++
				}
				if j+1 >= len(rest) || rest[j+1] != ']' {
					return nil, errPath
				}
				k, err := strconv.Unquote(rest[1 : j+1])
				if err != nil {
					return nil, errPath
				}
				segs = append(segs, Segment{Key: k})
				rest = rest[j+2:]
				continue
			}
			j := strings.IndexByte(rest, ']')
			if j < 2 {
				return nil, errPath
			}
			n, err := strconv.Atoi(rest[1:j])
			if err != nil || n < 0 || rest[1] == '+' {
				return nil, errPath
			}
			segs = append(segs, Segment{Index: n, IsIndex: true})
			rest = rest[j+1:]
		default:
			return nil, errPath
		}
	}
	return segs, nil
}

// Join builds the path of segs, the inverse of Split.
func Join(segs []Segment) string {
	p := Root
	for _, s := range segs {
		if s.IsIndex {
			p = Index(p, s.Index)
		} else {
			p = Key(p, s.Key)
		}
	}
	return p
}
