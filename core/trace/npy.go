package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxNPYHeader bounds the header a reader accepts. NumPy itself refuses
// headers over 10000 bytes unless told otherwise; a [T, V] float array's
// header is about 120.
const MaxNPYHeader = 1 << 20

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// NPYReader streams a two-dimensional NumPy array [T, V] of float16,
// float32 or float64 (little-endian, C order: one row of V values after
// another) one row at a time, so memory is O(V) whatever T is.
//
// It reads format versions 1.0, 2.0 and 3.0 (NumPy's
// numpy/lib/format.py: the magic "\x93NUMPY", a major and a minor version
// byte, the header length as little-endian uint16 (1.0) or uint32 (2.0,
// 3.0), then the header, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (T, V), } padded with
// spaces and ended by a newline; 3.0 allows UTF-8 in it). It refuses other
// dtypes, big-endian data, Fortran order (unless T or V is 1, where the
// orders coincide), arrays that are not 2-D and structured dtypes, and
// reports truncated data with the row it stopped in. Bytes after the last
// row are not read.
type NPYReader struct {
	r          io.Reader
	size       int // bytes per value: 2, 4, 8
	rows, cols int
	row        int
	buf        []byte
	err        error
	version    string
	descr      string
}

// NewNPYReader reads the header from r and returns a reader positioned at
// the first row. For a file, pass a *bufio.Reader or the *os.File: rows are
// read in chunks of up to 64 KiB.
func NewNPYReader(r io.Reader) (*NPYReader, error) {
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, errors.New("npy: empty input")
		}
		if string(pre[:min(n, len(npyMagic))]) != npyMagic[:min(n, len(npyMagic))] {
			return nil, errors.New("npy: not a .npy file (no \\x93NUMPY magic)")
		}
		return nil, fmt.Errorf("npy: truncated preamble: %w", io.ErrUnexpectedEOF)
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.New("npy: not a .npy file (no \\x93NUMPY magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: truncated header length: %w", io.ErrUnexpectedEOF)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: truncated header length: %w", io.ErrUnexpectedEOF)
		}
		h := binary.LittleEndian.Uint32(b[:])
		if h > MaxNPYHeader {
			return nil, fmt.Errorf("npy: header of %d bytes exceeds the %d-byte limit", h, MaxNPYHeader)
		}
		hlen = int(h)
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d (this reader knows 1.0, 2.0 and 3.0)", major, minor)
	}
	// Read the header without trusting its length for the allocation.
	hdr, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil {
		return nil, fmt.Errorf("npy: reading the header: %w", err)
	}
	if len(hdr) < hlen {
		return nil, fmt.Errorf("npy: truncated header (%d of %d bytes): %w", len(hdr), hlen, io.ErrUnexpectedEOF)
	}
	if major < 3 {
		for i, c := range hdr {
			if c >= utf8.RuneSelf {
				return nil, fmt.Errorf("npy: header byte %d is not ASCII (format %d.0 headers are ASCII; 3.0 allows UTF-8)", i, major)
			}
		}
	} else if !utf8.Valid(hdr) {
		return nil, errors.New("npy: header is not valid UTF-8")
	}
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	n := &NPYReader{r: r, version: fmt.Sprintf("%d.%d", major, minor), descr: h.descr}
	switch h.descr {
	case "<f2":
		n.size = 2
	case "<f4":
		n.size = 4
	case "<f8":
		n.size = 8
	default:
		return nil, fmt.Errorf("npy: dtype %s is not supported: %s", strconv.Quote(h.descr), dtypeAdvice(h.descr))
	}
	if len(h.shape) != 2 {
		return nil, fmt.Errorf("npy: shape %s has %d dimensions; want 2 ([positions, vocabulary])", shapeString(h.shape), len(h.shape))
	}
	n.rows, n.cols = h.shape[0], h.shape[1]
	if n.cols == 0 {
		return nil, fmt.Errorf("npy: shape %s has an empty vocabulary (rows of 0 logits)", shapeString(h.shape))
	}
	if h.fortran && n.rows > 1 && n.cols > 1 {
		return nil, errors.New("npy: Fortran (column-major) order is not supported: rows are not contiguous (save np.ascontiguousarray(x))")
	}
	if n.cols > math.MaxInt/n.size || n.cols > 0 && n.rows > math.MaxInt/n.cols/n.size {
		return nil, fmt.Errorf("npy: shape %s is too large", shapeString(h.shape))
	}
	n.buf = make([]byte, max(n.size, min(n.cols*n.size, 64<<10)))
	return n, nil
}

func dtypeAdvice(d string) string {
	switch {
	case len(d) == 3 && d[0] == '>' && d[1] == 'f':
		return "big-endian data; save little-endian (x.astype('<f4'))"
	case strings.HasPrefix(d, "[") || strings.HasPrefix(d, "("):
		return "structured dtypes are not logits"
	case strings.Contains(d, "V2") || strings.Contains(d, "bfloat16"):
		return "bfloat16 has no NumPy dtype; save float32 (x.float().numpy())"
	}
	return "want float16, float32 or float64, little-endian ('<f2', '<f4', '<f8')"
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Shape returns the array's dimensions [T, V].
func (n *NPYReader) Shape() (rows, cols int) { return n.rows, n.cols }

// DType returns the array's dtype as NumPy spells it: "<f2", "<f4", "<f8".
func (n *NPYReader) DType() string { return n.descr }

// Version returns the file's format version, "1.0", "2.0" or "3.0".
func (n *NPYReader) Version() string { return n.version }

// Row reads the next row into dst, converted to float64 exactly (every
// float16 and float32 value, subnormals, infinities and NaN payloads
// included, is a float64). It returns io.EOF after the last row, and an
// error wrapping io.ErrUnexpectedEOF when the data ends inside a row; an
// error is final. Row panics if len(dst) is not V.
func (n *NPYReader) Row(dst []float64) error {
	if len(dst) != n.cols {
		panic(fmt.Sprintf("trace: NPYReader.Row: dst has length %d, the rows %d", len(dst), n.cols))
	}
	if n.err != nil {
		return n.err
	}
	if n.row >= n.rows {
		return io.EOF
	}
	per := len(n.buf) / n.size
	for done := 0; done < n.cols; {
		m := min(n.cols-done, per)
		b := n.buf[:m*n.size]
		if got, err := io.ReadFull(n.r, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				n.err = fmt.Errorf("npy: data truncated in row %d of %d (%d of its %d bytes): %w",
					n.row, n.rows, done*n.size+got, n.cols*n.size, io.ErrUnexpectedEOF)
			} else {
				n.err = fmt.Errorf("npy: reading row %d: %w", n.row, err)
			}
			return n.err
		}
		out := dst[done : done+m]
		switch n.size {
		case 2:
			for i := range out {
				out[i] = halfToFloat64(binary.LittleEndian.Uint16(b[2*i:]))
			}
		case 4:
			for i := range out {
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
			}
		case 8:
			for i := range out {
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
		}
		done += m
	}
	n.row++
	return nil
}

// halfToFloat64 converts IEEE 754 binary16 bits to the float64 of the
// same value: sign, 5 exponent bits (bias 15), 10 mantissa bits.
//
//	exponent 0:      ±0, or the subnormal ±m·2⁻²⁴
//	exponent 1..30:  ±(1 + m/2¹⁰)·2^(e−15)
//	exponent 31:     ±Inf (m = 0), NaN otherwise (payload and quiet bit kept)
func halfToFloat64(h uint16) float64 {
	sign := uint64(h>>15) << 63
	exp := uint64(h>>10) & 0x1f
	mant := uint64(h & 0x3ff)
	switch exp {
	case 0:
		v := math.Ldexp(float64(mant), -24) // exact: mant < 2¹⁰
		if sign != 0 {
			return -v
		}
		return v
	case 0x1f:
		return math.Float64frombits(sign | 0x7ff<<52 | mant<<42)
	}
	return math.Float64frombits(sign | (exp-15+1023)<<52 | mant<<42)
}

// npyHeader is the parsed header dict.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the Python dict literal of a .npy header: the keys
// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a
// tuple of non-negative integers), each exactly once, in any order, with
// an optional trailing comma, then only spaces and a newline.
func parseNPYHeader(s string) (npyHeader, error) {
	p := hdrParser{s: s}
	var h npyHeader
	seen := map[string]bool{}
	p.ws()
	if !p.eat('{') {
		return h, p.errorf("the header does not start with '{'")
	}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		at := p.i
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			p.i = at
			return h, p.errorf("key %q appears twice", key)
		}
		seen[key] = true
		p.ws()
		if !p.eat(':') {
			return h, p.errorf("expected ':' after key %q", key)
		}
		p.ws()
		switch key {
		case "descr":
			if p.peek() == '[' || p.peek() == '(' {
				return h, fmt.Errorf("npy: dtype is structured: %s", dtypeAdvice("["))
			}
			if h.descr, err = p.str(); err != nil {
				return h, err
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
			default:
				return h, p.errorf("fortran_order must be True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, err
			}
		default:
			p.i = at
			return h, p.errorf("unknown header key %q (want descr, fortran_order, shape)", key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if !p.eat('}') {
			return h, p.errorf("expected ',' or '}'")
		}
		break
	}
	for p.i < len(p.s) {
		if c := p.s[p.i]; c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != 0 {
			return h, p.errorf("unexpected data after the header dict")
		}
		p.i++
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("npy: the header has no %q", k)
		}
	}
	return h, nil
}

type hdrParser struct {
	s string
	i int
}

func (p *hdrParser) errorf(format string, args ...any) error {
	return fmt.Errorf("npy: bad header at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *hdrParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *hdrParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *hdrParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *hdrParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a Python string literal in single or double quotes (no
// escapes: NumPy never writes any in these keys and values).
func (p *hdrParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("expected a quoted string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", p.errorf("escapes in header strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple reads (a, b, …) of non-negative integers (Python 2's 3L suffix
// allowed), with an optional trailing comma.
func (p *hdrParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errorf("shape must be a tuple")
	}
	out := []int{}
	for {
		p.ws()
		if p.eat(')') {
			return out, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, p.errorf("shape entries must be non-negative integers")
		}
		v, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, p.errorf("shape entry %s is out of range", p.s[start:p.i])
		}
		p.eat('L')
		out = append(out, v)
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if !p.eat(')') {
			return nil, p.errorf("expected ',' or ')' in the shape")
		}
		return out, nil
	}
}
