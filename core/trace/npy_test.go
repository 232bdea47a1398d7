package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/distill"
)

// npyFile writes a .npy file by hand, per NumPy's format spec
// (numpy/lib/format.py): magic "\x93NUMPY", major, minor, header length
// (uint16 LE for 1.0, uint32 LE for 2.0 and 3.0), the header dict padded
// with spaces and ended by '\n' so that the data starts at a multiple of
// 64 bytes, then the data.
func npyFile(major byte, dict string, data []byte) []byte {
	lenField := 2
	if major > 1 {
		lenField = 4
	}
	pre := 6 + 2 + lenField
	n := pre + len(dict) + 1
	hdr := dict + strings.Repeat(" ", (64-n%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(major)
	b.WriteByte(0)
	if lenField == 2 {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

func npyDict(descr string, fortran bool, shape string) string {
	f := "False"
	if fortran {
		f = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
}

func le16(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func le32(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func le64(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// readAll reads every row of an .npy file.
func readAll(t *testing.T, data []byte) (*NPYReader, [][]float64) {
	t.Helper()
	r, err := NewNPYReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, v := r.Shape()
	var rows [][]float64
	for {
		row := make([]float64, v)
		err := r.Row(row)
		if err == io.EOF {
			return r, rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestNPYRead(t *testing.T) {
	want := [][]float64{{1, -2.5, 0.375}, {math.Copysign(0, -1), 65504, 0.099975586}}
	// Half bits of the same values: 1 = 0x3c00, −2.5 = 0xc100, 0.375 = 0x3600,
	// −0 = 0x8000, 65504 = 0x7bff, 0.099975586 = 0x2e66 (1638·2⁻¹⁴ = 0.0999755859375).
	halfWant := [][]float64{{1, -2.5, 0.375}, {math.Copysign(0, -1), 65504, 0.0999755859375}}
	half := le16([]uint16{0x3c00, 0xc100, 0x3600, 0x8000, 0x7bff, 0x2e66})
	f32 := le32([]float32{1, -2.5, 0.375, float32(math.Copysign(0, -1)), 65504, 0.099975586})
	f64 := le64([]float64{1, -2.5, 0.375, math.Copysign(0, -1), 65504, 0.099975586})
	f32Want := [][]float64{{1, -2.5, 0.375}, {math.Copysign(0, -1), 65504, float64(float32(0.099975586))}}
	tests := []struct {
		name    string
		file    []byte
		version string
		dtype   string
		want    [][]float64
	}{
		{"v1 float16", npyFile(1, npyDict("<f2", false, "(2, 3)"), half), "1.0", "<f2", halfWant},
		{"v1 float32", npyFile(1, npyDict("<f4", false, "(2, 3)"), f32), "1.0", "<f4", f32Want},
		{"v1 float64", npyFile(1, npyDict("<f8", false, "(2, 3)"), f64), "1.0", "<f8", want},
		{"v2 float32", npyFile(2, npyDict("<f4", false, "(2, 3)"), f32), "2.0", "<f4", f32Want},
		// numpy/lib/tests/test_format.py (NumPy 1.x, as vendored in
		// pytorch/pytorch): a header padded to 16 bytes, no trailing comma.
		{"NumPy 1.x header bytes", append([]byte("\x93NUMPY\x01\x00F\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}            \n"), f64...), "1.0", "<f8", want},
		{"Python 2 long ints, double quotes, other key order", npyFile(1, `{"shape": (2L, 3L), "fortran_order": False, "descr": "<f4"}`, f32), "1.0", "<f4", f32Want},
		{"Fortran order with one row is C order", npyFile(1, npyDict("<f8", true, "(1, 3)"), f64[:24]), "1.0", "<f8", want[:1]},
		{"no rows", npyFile(1, npyDict("<f4", false, "(0, 5)"), nil), "1.0", "<f4", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, rows := readAll(t, tc.file)
			if r.Version() != tc.version || r.DType() != tc.dtype {
				t.Errorf("version %s dtype %s, want %s %s", r.Version(), r.DType(), tc.version, tc.dtype)
			}
			if diff := cmp.Diff(tc.want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for i := range tc.want {
				for j := range tc.want[i] {
					if math.Signbit(tc.want[i][j]) != math.Signbit(rows[i][j]) {
						t.Errorf("[%d][%d]: sign of %v lost", i, j, tc.want[i][j])
					}
				}
			}
		})
	}
}

// The v3.0 header may hold UTF-8 (here in a string of the dict).
func TestNPYVersion3(t *testing.T) {
	file := npyFile(3, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }", le16([]uint16{0x3c00, 0x4000}))
	r, rows := readAll(t, file)
	if r.Version() != "3.0" || !cmp.Equal(rows, [][]float64{{1, 2}}) {
		t.Errorf("version %s rows %v", r.Version(), rows)
	}
	bad := npyFile(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), } é", le16([]uint16{0x3c00, 0x4000}))
	if _, err := NewNPYReader(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "not ASCII") {
		t.Errorf("UTF-8 in a 1.0 header: %v", err)
	}
}

// TestHalf: binary16 → float64 on edge values. Reference: IEEE 754-2008
// binary16 (1 sign, 5 exponent bits with bias 15, 10 fraction bits); the
// values are those of the examples table of Wikipedia's "Half-precision
// floating-point format", written here as exact binary fractions.
func TestHalf(t *testing.T) {
	tests := []struct {
		name string
		h    uint16
		want uint64 // float64 bits, so −0 and NaN payloads are exact
	}{
		{"zero", 0x0000, math.Float64bits(0)},
		{"negative zero", 0x8000, math.Float64bits(math.Copysign(0, -1))},
		{"smallest subnormal 2^-24", 0x0001, math.Float64bits(0x1p-24)},
		{"largest subnormal 1023·2^-24", 0x03ff, math.Float64bits(1023 * 0x1p-24)},
		{"negative subnormal", 0x8200, math.Float64bits(-512 * 0x1p-24)},
		{"smallest normal 2^-14", 0x0400, math.Float64bits(0x1p-14)},
		{"nearest to 1/3", 0x3555, math.Float64bits(0.333251953125)},
		{"largest below 1", 0x3bff, math.Float64bits(0.99951171875)},
		{"one", 0x3c00, math.Float64bits(1)},
		{"smallest above 1", 0x3c01, math.Float64bits(1.0009765625)},
		{"minus two", 0xc000, math.Float64bits(-2)},
		{"largest normal 65504", 0x7bff, math.Float64bits(65504)},
		{"infinity", 0x7c00, math.Float64bits(math.Inf(1))},
		{"negative infinity", 0xfc00, math.Float64bits(math.Inf(-1))},
		{"quiet NaN", 0x7e00, 0x7ff8000000000000},
		{"signalling NaN, payload 1", 0x7c01, 0x7ff0040000000000},
		{"negative quiet NaN with payload", 0xfe01, 0xfff8040000000000},
	}
	for _, tc := range tests {
		if got := math.Float64bits(halfToFloat64(tc.h)); got != tc.want {
			t.Errorf("%s: %#04x → %#016x (%v), want %#016x (%v)", tc.name, tc.h, got, math.Float64frombits(got), tc.want, math.Float64frombits(tc.want))
		}
	}
	// Every finite value against the defining formula (−1)^s · m · 2^(e−25)
	// with the implicit bit m += 1024 for e > 0 and e = 1 for subnormals.
	for h := range 1 << 16 {
		e := h >> 10 & 0x1f
		if e == 0x1f {
			if v := halfToFloat64(uint16(h)); (h&0x3ff == 0) != math.IsInf(v, 0) || (h&0x3ff != 0) != math.IsNaN(v) {
				t.Fatalf("%#04x → %v", h, v)
			}
			continue
		}
		m := float64(h & 0x3ff)
		if e > 0 {
			m += 1024
		} else {
			e = 1
		}
		want := math.Ldexp(m, e-25)
		if h>>15 == 1 {
			want = -want
		}
		if got := halfToFloat64(uint16(h)); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%#04x → %v, want %v", h, got, want)
		}
	}
}

func TestNPYErrors(t *testing.T) {
	f32 := le32([]float32{1, 2, 3, 4, 5, 6})
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "npy: empty input"},
		{"not npy", []byte("PK\x03\x04 a zip file"), `npy: not a .npy file (no \x93NUMPY magic)`},
		{"short magic", []byte("\x93NUM"), `npy: truncated preamble: unexpected EOF`},
		{"wrong magic prefix", []byte("\x93NUX"), `npy: not a .npy file (no \x93NUMPY magic)`},
		{"version 4.0", []byte("\x93NUMPY\x04\x00\x10\x00"), "npy: unsupported format version 4.0 (this reader knows 1.0, 2.0 and 3.0)"},
		{"version 1.1", []byte("\x93NUMPY\x01\x01\x10\x00"), "npy: unsupported format version 1.1 (this reader knows 1.0, 2.0 and 3.0)"},
		{"truncated header length", []byte("\x93NUMPY\x02\x00\x10\x00"), "npy: truncated header length: unexpected EOF"},
		{"header beyond the limit", []byte("\x93NUMPY\x02\x00\x00\x00\x20\x00"), "npy: header of 2097152 bytes exceeds the 1048576-byte limit"},
		{"truncated header", npyFile(1, npyDict("<f4", false, "(2, 3)"), nil)[:40], "npy: truncated header (30 of 118 bytes): unexpected EOF"},
		{"header not a dict", npyFile(1, "descr='<f4'", f32), "npy: bad header at byte 0: the header does not start with '{'"},
		{"missing shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False}", f32), `npy: the header has no "shape"`},
		{"unknown key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", f32), `npy: bad header at byte 58: unknown header key "x" (want descr, fortran_order, shape)`},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'descr': '<f4'}", f32), `npy: bad header at byte 17: key "descr" appears twice`},
		{"unterminated string", npyFile(1, "{'descr: '<f4'}", f32), `npy: bad header at byte 10: expected ':' after key "descr: "`},
		{"fortran_order not a bool", npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", f32), "npy: bad header at byte 34: fortran_order must be True or False"},
		{"negative dimension", npyFile(1, npyDict("<f4", false, "(-2, 3)"), f32), "npy: bad header at byte 51: shape entries must be non-negative integers"},
		{"data after the dict", npyFile(1, npyDict("<f4", false, "(2, 3)")+" x", f32), "npy: bad header at byte 60: unexpected data after the header dict"},
		{"int32", npyFile(1, npyDict("<i4", false, "(2, 3)"), f32), `npy: dtype "<i4" is not supported: want float16, float32 or float64, little-endian ('<f2', '<f4', '<f8')`},
		{"big-endian float32 (numpy test_format.py header)", append([]byte("\x93NUMPY\x01\x00F\x00{'descr': '>f4', 'fortran_order': False, 'shape': (3, 5)}            \n"), make([]byte, 60)...),
			`npy: dtype ">f4" is not supported: big-endian data; save little-endian (x.astype('<f4'))`},
		{"complex64", npyFile(1, npyDict("<c8", false, "(2, 3)"), f32), `npy: dtype "<c8" is not supported: want float16, float32 or float64, little-endian ('<f2', '<f4', '<f8')`},
		{"bfloat16 saved as void", npyFile(1, npyDict("|V2", false, "(2, 3)"), f32), `npy: dtype "|V2" is not supported: bfloat16 has no NumPy dtype; save float32 (x.float().numpy())`},
		{"structured", npyFile(1, "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,)}", f32), "npy: dtype is structured: structured dtypes are not logits"},
		{"Fortran order (numpy test_format.py header)", append([]byte("\x93NUMPY\x01\x00F\x00{'descr': '<f4', 'fortran_order': True, 'shape': (5, 3)}             \n"), make([]byte, 60)...),
			"npy: Fortran (column-major) order is not supported: rows are not contiguous (save np.ascontiguousarray(x))"},
		{"1-D", npyFile(1, npyDict("<f4", false, "(6,)"), f32), "npy: shape (6,) has 1 dimensions; want 2 ([positions, vocabulary])"},
		{"3-D", npyFile(1, npyDict("<f4", false, "(1, 2, 3)"), f32), "npy: shape (1, 2, 3) has 3 dimensions; want 2 ([positions, vocabulary])"},
		{"scalar", npyFile(1, npyDict("<f4", false, "()"), f32), "npy: shape () has 0 dimensions; want 2 ([positions, vocabulary])"},
		{"empty vocabulary", npyFile(1, npyDict("<f4", false, "(1000000000000, 0)"), nil), "npy: shape (1000000000000, 0) has an empty vocabulary (rows of 0 logits)"},
		{"too large", npyFile(1, npyDict("<f8", false, "(4611686018427387904, 4611686018427387904)"), nil), "npy: shape (4611686018427387904, 4611686018427387904) is too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewNPYReader(bytes.NewReader(tc.file))
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestNPYTruncatedData(t *testing.T) {
	file := npyFile(1, npyDict("<f4", false, "(2, 3)"), le32([]float32{1, 2, 3, 4}))
	r, err := NewNPYReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float64, 3)
	if err := r.Row(row); err != nil || !cmp.Equal(row, []float64{1, 2, 3}) {
		t.Fatalf("row 0: %v %v", row, err)
	}
	err = r.Row(row)
	const want = "npy: data truncated in row 1 of 2 (4 of its 12 bytes): unexpected EOF"
	if err == nil || err.Error() != want || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("row 1: %v, want %s", err, want)
	}
	if err2 := r.Row(row); err2 != err {
		t.Errorf("error not final: %v", err2)
	}
	defer func() {
		if recover() == nil {
			t.Error("Row with a short dst did not panic")
		}
	}()
	r2, _ := NewNPYReader(bytes.NewReader(file))
	_ = r2.Row(make([]float64, 2))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestNPYStreaming: rows are read one at a time, never ahead, even when a
// row (100 000 float16 = 200 KB) spans several reads.
func TestNPYStreaming(t *testing.T) {
	const T, V = 3, 100_000
	bits := make([]uint16, T*V)
	for i := range bits {
		bits[i] = uint16(i % 0x7c00)
	}
	file := npyFile(1, npyDict("<f2", false, fmt.Sprintf("(%d, %d)", T, V)), le16(bits))
	hdr := len(file) - 2*T*V
	c := &countingReader{r: bytes.NewReader(file)}
	r, err := NewNPYReader(c)
	if err != nil {
		t.Fatal(err)
	}
	if c.n != hdr {
		t.Fatalf("header read %d bytes, want %d", c.n, hdr)
	}
	row := make([]float64, V)
	for i := range T {
		if err := r.Row(row); err != nil {
			t.Fatal(err)
		}
		if c.n != hdr+2*V*(i+1) {
			t.Fatalf("after row %d: read %d bytes, want %d", i, c.n, hdr+2*V*(i+1))
		}
		if want := halfToFloat64(bits[i*V+V-1]); row[V-1] != want {
			t.Fatalf("row %d last value %v, want %v", i, row[V-1], want)
		}
	}
	if err := r.Row(row); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}
}

// TestDenseLoss: the streaming dense loss equals distill.Kernel.Loss on the
// same logits, bit for bit, for float32 and float16 files.
func TestDenseLoss(t *testing.T) {
	const T, V = 9, 13
	r := rand.New(rand.NewPCG(2, 3))
	tokens := make([]int, T)
	for i := range tokens {
		tokens[i] = r.IntN(V)
	}
	tokens[3] = 7 // a think-end token
	mask := []bool{true, true, true, true, true, false, true, true, true}
	// float32 logits, and float16 logits as random finite half bits.
	s32, t32 := make([]float32, T*V), make([]float32, T*V)
	s16, t16 := make([]uint16, T*V), make([]uint16, T*V)
	for i := range s32 {
		s32[i], t32[i] = float32(r.NormFloat64()*3), float32(r.NormFloat64()*3)
		s16[i], t16[i] = uint16(r.IntN(0x4c00)), uint16(r.IntN(0x4c00))|uint16(r.IntN(2))<<15
	}
	rows := func(n int, at func(i int) float64) [][]float64 {
		out := make([][]float64, n)
		for t := range out {
			out[t] = make([]float64, V)
			for v := range out[t] {
				out[t][v] = at(t*V + v)
			}
		}
		return out
	}
	shape := fmt.Sprintf("(%d, %d)", T, V)
	files := []struct {
		name   string
		sf, tf []byte
		sRows  [][]float64
		tRows  [][]float64
	}{
		{"float32", npyFile(1, npyDict("<f4", false, shape), le32(s32)), npyFile(2, npyDict("<f4", false, shape), le32(t32)),
			rows(T, func(i int) float64 { return float64(s32[i]) }), rows(T, func(i int) float64 { return float64(t32[i]) })},
		{"float16", npyFile(1, npyDict("<f2", false, shape), le16(s16)), npyFile(1, npyDict("<f2", false, shape), le16(t16)),
			rows(T, func(i int) float64 { return halfToFloat64(s16[i]) }), rows(T, func(i int) float64 { return halfToFloat64(t16[i]) })},
	}
	opts := []distill.Options{
		distill.RCSDReleased(),
		{Divergence: distill.JSD, Beta: 0.5, ClipToken: 0.1, Reduction: distill.Sum},
		{Support: distill.StudentTopK, TopK: 5, Tail: true, MaskThinking: true, ThinkEndToken: 7},
		{Estimator: distill.Tinker, Discount: 0.95, KLCoef: 2, Temperature: 1.1, SkipFirst: 2},
		{Estimator: distill.K3, Reduction: distill.SequenceMean},
	}
	for _, f := range files {
		for _, o := range opts {
			k := mustKernel(t, o)
			want, err := k.Loss([]distill.DenseSequence{{Tokens: tokens, Mask: mask, Student: f.sRows, Teacher: f.tRows}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sr, _ := NewNPYReader(bytes.NewReader(f.sf))
			tr, _ := NewNPYReader(bytes.NewReader(f.tf))
			got, err := DenseLoss(k, sr, tr, tokens, mask)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %+v (-Kernel.Loss +DenseLoss):\n%s", f.name, o, diff)
			}
		}
	}
}

func TestDenseLossErrors(t *testing.T) {
	f32 := func(vals ...float32) []byte { return le32(vals) }
	file := func(shape string, data []byte) *NPYReader {
		r, err := NewNPYReader(bytes.NewReader(npyFile(1, npyDict("<f4", false, shape), data)))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	nan := float32(math.NaN())
	k := mustKernel(t, distill.Options{})
	tests := []struct {
		name             string
		student, teacher *NPYReader
		tokens           []int
		mask             []bool
		want             string
		position         int // of an *distill.InputError, or −1
	}{
		{"shapes differ", file("(1, 2)", f32(0, 0)), file("(1, 3)", f32(0, 0, 0)), []int{0}, nil, "trace: student logits are [1, 2], teacher logits [1, 3]", -1},
		{"rows and tokens differ", file("(1, 2)", f32(0, 0)), file("(1, 2)", f32(0, 0)), []int{0, 1}, nil, "trace: the logits have 1 row, the completion 2 tokens", -1},
		{"mask length", file("(1, 2)", f32(0, 0)), file("(1, 2)", f32(0, 0)), []int{0}, []bool{true, true}, "trace: the mask has 2 entries, the completion 1 token", -1},
		{"truncated teacher", file("(2, 2)", f32(0, 0, 0, 0)), file("(2, 2)", f32(0, 0, 0)), []int{0, 1}, nil,
			"trace: teacher logits: npy: data truncated in row 1 of 2 (4 of its 8 bytes): unexpected EOF", -1},
		{"NaN logit", file("(2, 2)", f32(0, 0, 0, nan)), file("(2, 2)", f32(0, 0, 0, 0)), []int{0, 1}, nil, "distill: position 1: student logits contain NaN", 1},
		{"token outside the vocabulary", file("(1, 2)", f32(0, 0)), file("(1, 2)", f32(0, 0)), []int{2}, nil, "distill: position 0: sampled token 2 is outside the vocabulary of 2", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DenseLoss(k, tc.student, tc.teacher, tc.tokens, tc.mask)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
			var ie *distill.InputError
			if pos := -1; errors.As(err, &ie) {
				pos = ie.Position
				if pos != tc.position {
					t.Errorf("position %d, want %d", pos, tc.position)
				}
			} else if tc.position >= 0 {
				t.Errorf("not an *distill.InputError")
			}
		})
	}
}
