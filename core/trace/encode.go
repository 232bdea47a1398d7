package trace

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/lm"
)

// Encode returns tr as one JSON line of the trace format, without the
// newline: Append(nil, tr).
func Encode(tr *Trace) []byte { return Append(nil, tr) }

// Append appends tr to dst as one JSON object of the trace format, without
// a newline, and returns the extended buffer. The output is deterministic:
// fields in the documented order, criteria sorted by id, numbers in the
// shortest form that reads back to the same float64 (as encoding/json
// writes them), "token" and "top" left out when empty, "schema_version"
// stamped. Append never fails: values JSON cannot hold are written so
// that Parse rejects them with a precise diagnostic instead of producing
// an unreadable line — a non-finite log-prob as the string "NaN",
// "Infinity" or "-Infinity" (trace-non-finite-logprob), invalid UTF-8 in a
// token as U+FFFD, and a Meta that is not valid JSON as null.
func Append(dst []byte, tr *Trace) []byte {
	b := append(dst, `{"schema_version":1,"id":`...)
	b = appendString(b, tr.ID)
	b = append(b, `,"student":`...)
	b = appendPositions(b, tr.Student)
	b = append(b, `,"teacher":`...)
	b = appendPositions(b, tr.Teacher)
	if tr.Criteria != nil {
		b = append(b, `,"criteria":{`...)
		keys := make([]string, 0, len(tr.Criteria))
		for k := range tr.Criteria {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendPositions(b, tr.Criteria[k])
		}
		b = append(b, '}')
	}
	if tr.ThinkEndToken != nil {
		b = append(b, `,"think_end_token":`...)
		b = strconv.AppendInt(b, int64(*tr.ThinkEndToken), 10)
	}
	if tr.Mask != nil {
		b = append(b, `,"mask":[`...)
		for i, m := range tr.Mask {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendBool(b, m)
		}
		b = append(b, ']')
	}
	if tr.Meta != nil {
		b = append(b, `,"meta":`...)
		var buf bytes.Buffer
		if json.Valid(tr.Meta) && json.Compact(&buf, tr.Meta) == nil {
			b = append(b, buf.Bytes()...)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

func appendPositions(b []byte, ps []lm.Position) []byte {
	if ps == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range ps {
		p := &ps[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEntry(b, p.TokenID, p.Token, p.LogProb)
		if len(p.Top) > 0 {
			b = append(b, `,"top":[`...)
			for j := range p.Top {
				a := &p.Top[j]
				if j > 0 {
					b = append(b, ',')
				}
				b = appendEntry(b, a.TokenID, a.Token, a.LogProb)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendEntry writes {"token_id":…,"token":…,"logprob":… without the
// closing brace.
func appendEntry(b []byte, id int, tok string, lp float64) []byte {
	b = append(b, `{"token_id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	if tok != "" {
		b = append(b, `,"token":`...)
		b = appendString(b, tok)
	}
	b = append(b, `,"logprob":`...)
	return appendFloat(b, lp)
}

// appendFloat writes f as encoding/json does ('f' notation for
// 1e-6 ≤ |f| < 1e21, else 'e' with a one-digit exponent minimum), and
// non-finite values as strings.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, U+2028 and U+2029 escaped (JavaScript line ends),
// invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
