package trace

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
)

// parseCodes is the allow-list of codes Parse may report.
var parseCodes = map[string]bool{
	CodeInvalidUTF8: true, CodeNotObject: true, CodeBadJSON: true, CodeUnknownField: true, CodeWrongType: true,
	CodeMissingField: true, CodeMissingID: true, CodeBadID: true, CodeVersion: true, CodeEmpty: true,
	CodeLengthMismatch: true, CodeTokenMismatch: true, CodeBadTokenID: true, CodeNonFinite: true, CodePositive: true,
	CodeDuplicateTop: true, CodeSampledMismatch: true, CodeMassAboveOne: true, CodeMaskLength: true,
	CodeBadCriterion: true, CodeThinkEndAbsent: true, CodeMoreErrors: true,
}

// computeCodes is the allow-list of codes Compute may report on a parsed
// trace.
var computeCodes = map[string]bool{
	CodeNotCovered: true, CodeMissingLogProb: true, CodeShortTop: true, CodeThinkConflict: true,
	CodeNumeric: true, CodeMassAboveOne: true, CodeMoreErrors: true,
}

// FuzzParse: Parse never panics and is deterministic; it returns a trace
// exactly when it reports no error; every diagnostic has an allowed code,
// a message, the file and line, a column within the line (one past the
// end at most) unless it is the trace-more-errors note; a parsed trace
// validates, encodes and parses back to itself; the two decoding paths
// agree whenever the fast one succeeds; Compute never panics on a parsed
// trace and reports only its own codes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		rec(`"id":"r1"`, sOK, tOK),
		rec(`"schema_version":1`, `"id":42`, `"student":[{"token_id":"9","logprob":5e-7},{"token_id":2,"logprob":-1,"top":[]}]`,
			`"teacher":[{"token_id":9,"logprob":-0.5,"top":null},{"token_id":2,"logprob":-2,"token":null}]`,
			`"criteria":{"c1":[{"token_id":9,"logprob":-0.25},{"token_id":2,"logprob":-3}]}`,
			`"think_end_token":9`, `"mask":[false,true]`, `"meta":{"model":"m","n":[1,2]}`),
		rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":NaN}]`, `"teacher":[]`),
		rec(`"id":"a"`, `"student":[{"token_id":1,"logprob":"-inf","top":[{"token_id":1,"logprob":1e999}]}]`, `"teacher":[{"token_id":2,"logprob":0.5}]`),
		rec(`"id":"a"`, `"student":[{"token_id":1,"LogProb":-1,"top":[{"token_id":4,"logprob":-2},{"token_id":4,"logprob":-3}]}]`, `"teacher":[{"token_id":1,"logprob":-1,"logprob":-2}]`),
		rec(`"id":""`, `"student":[3,{"token_id":1.5,"logprob":-1,"token":7,"top":{}}]`, `"teacher":{}`, `"mask":[true,1]`, `"meta":"x"`),
		`{"id":"a",}`, `[1,2]`, ``, "{\"id\":\"a\xffb\"}", `{"id":"a"} {}`,
	} {
		f.Add(s)
	}
	kernels := []*distill.Kernel{}
	for _, o := range []distill.Options{
		distill.RCSDReleased(),
		{},
		{Support: distill.StudentTopK, TopK: 2, Tail: true, MaskThinking: true, ThinkEndToken: 9},
		{Estimator: distill.Tinker, Discount: 0.5},
	} {
		kernels = append(kernels, mustKernel(f, o))
	}
	f.Fuzz(func(t *testing.T, line string) {
		tr, dl := Parse([]byte(line), 42, "fuzz.jsonl")
		tr2, dl2 := Parse([]byte(line), 42, "fuzz.jsonl")
		if !cmp.Equal(tr, tr2, cmpopts.EquateEmpty()) || !cmp.Equal(dl, dl2) {
			t.Fatal("not deterministic")
		}
		if (tr != nil) == dl.HasErrors() {
			t.Fatalf("trace %v with diagnostics %v", tr != nil, dl)
		}
		if len(dl) > MaxRecordDiagnostics+1 {
			t.Fatalf("%d diagnostics", len(dl))
		}
		for _, d := range dl {
			if !parseCodes[d.Code] || d.Message == "" || d.File != "fuzz.jsonl" || d.Line != 42 {
				t.Fatalf("bad diagnostic %+v", d)
			}
			if d.Code != CodeMoreErrors && (d.Column < 1 || d.Column > len(line)+1) {
				t.Fatalf("column %d outside a line of %d bytes: %+v", d.Column, len(line), d)
			}
			if d.Path != "" && !strings.HasPrefix(d.Path, "$") {
				t.Fatalf("path %q", d.Path)
			}
		}
		// The fast path's trace, when it has one, is the slow path's. The
		// slow path also checks the values it reads (ranges, signs), which
		// on the fast path the number checks report: then Parse reports
		// the same problem.
		p := parser{line: []byte(line), lineNo: 42, file: "fuzz.jsonl"}
		if fast, ok := p.fast(); ok {
			q := parser{line: []byte(line), lineNo: 42, file: "fuzz.jsonl"}
			slow := q.slow()
			if q.errs > 0 {
				for _, d := range q.diags {
					if d.Severity != diag.Error {
						continue
					}
					if d.Code != CodePositive && d.Code != CodeBadTokenID {
						t.Fatalf("fast path read it, slow path reports %v", d)
					}
					if !slices.ContainsFunc(dl, func(x diag.Diagnostic) bool { return x.Code == d.Code && x.Path == d.Path }) && len(dl) <= MaxRecordDiagnostics {
						t.Fatalf("slow path reports %v, Parse does not: %v", d, dl)
					}
				}
			} else if diff := cmp.Diff(fast, slow, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("fast and slow paths differ (-fast +slow):\n%s", diff)
			}
		}
		if tr == nil {
			return
		}
		if l := tr.Validate(); l.HasErrors() {
			t.Fatalf("parsed trace does not validate: %v", l)
		}
		enc := Encode(tr)
		back, bl := Parse(enc, 1, "")
		if bl.HasErrors() {
			t.Fatalf("encoded trace does not parse: %v\n%s", bl, enc)
		}
		if again := Encode(back); !bytes.Equal(enc, again) {
			t.Fatalf("encode is not stable:\n%s\n%s", enc, again)
		}
		for _, k := range kernels {
			_, err := Compute(k, tr)
			if err == nil {
				continue
			}
			for _, c := range errCodes(err) {
				if !computeCodes[c] {
					t.Fatalf("compute code %q: %v", c, err)
				}
			}
		}
	})
}

func errCodes(err error) []string {
	var de *diag.Err
	if !errors.As(err, &de) {
		return []string{"not a *diag.Err"}
	}
	var codes []string
	for _, d := range de.List {
		codes = append(codes, d.Code)
	}
	return codes
}

// FuzzNPYHeader: the header parser and the reader never panic and never
// allocate from an untrusted length; a header they accept describes a
// 2-D float array whose rows read until io.EOF or an error.
func FuzzNPYHeader(f *testing.F) {
	f.Add(npyDict("<f4", false, "(2, 3)"), []byte{1, 2, 3})
	f.Add("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}            \n", []byte{})
	f.Add(`{"shape": (2L, 3L), "fortran_order": True, "descr": "<f2"}`, []byte{0, 0x3c, 0, 0x3c})
	f.Add("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,)}", []byte{})
	f.Add("{'descr': '<f4', 'descr': '<f4'}", []byte{})
	f.Add("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 99999999999999999999), }", []byte{})
	f.Fuzz(func(t *testing.T, dict string, data []byte) {
		h, err := parseNPYHeader(dict)
		if err == nil {
			for _, d := range h.shape {
				if d < 0 {
					t.Fatalf("negative dimension in %v", h.shape)
				}
			}
			if h.descr == "" && !strings.Contains(dict, "''") && !strings.Contains(dict, `""`) {
				t.Fatalf("empty descr from %q", dict)
			}
		}
		for _, major := range []byte{1, 2, 3} {
			r, err := NewNPYReader(bytes.NewReader(npyFile(major, dict, data)))
			if err != nil {
				if !strings.HasPrefix(err.Error(), "npy: ") {
					t.Fatalf("error without prefix: %v", err)
				}
				continue
			}
			rows, cols := r.Shape()
			if cols > 1<<16 {
				continue
			}
			row := make([]float64, cols)
			for i := 0; ; i++ {
				err := r.Row(row)
				if err == io.EOF {
					if i != rows {
						t.Fatalf("EOF after %d of %d rows", i, rows)
					}
					break
				}
				if err != nil {
					break
				}
			}
		}
		// Raw bytes as a whole file too.
		if r, err := NewNPYReader(bytes.NewReader(append([]byte(npyMagic), data...))); err == nil {
			if _, cols := r.Shape(); cols <= 1<<16 {
				_ = r.Row(make([]float64, cols))
			}
		}
	})
}
