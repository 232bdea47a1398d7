package rubric

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/source"
)

// FromJSON imports one rubric value given as JSON: an array of criteria
// in any importable format, the project's own {"schema_version", "criteria"}
// object, or a HealthBench row. Diagnostic paths are relative to the
// value ("$", "$[2].weight"); callers embedding the value in a record
// prefix them with diag.List.PrefixPath. Syntax errors, which have no
// path, carry Line and Column within data.
//
// FromJSON is the batch importer's hot path: a well-formed value is
// decoded once by go-json into typed structs; only input with a
// decoding problem is decoded again, slowly, to report every problem
// with its path. FromJSON does not validate or lint (see Validate,
// Lint).
func FromJSON(data []byte) (*Rubric, diag.List) {
	if !utf8.Valid(data) {
		return nil, diag.List{invalidUTF8(data, 0)}
	}
	if r, dl, ok := fastJSON(data); ok {
		return r, dl
	}
	return slowJSON(data)
}

type fastOwn struct {
	SchemaVersion *int    `json:"schema_version"`
	ID            *string `json:"id"`
	Title         *string `json:"title"`
	Criteria      *[]elem `json:"criteria"`
}

type fastRow struct {
	SchemaVersion json.RawMessage `json:"schema_version"`
	Criteria      json.RawMessage `json:"criteria"`
	Rubrics       json.RawMessage `json:"rubrics"`
	PromptID      json.RawMessage `json:"prompt_id"`
}

// fastJSON decodes well-formed input; ok is false when the slow path
// must take over to report a decoding problem.
func fastJSON(data []byte) (r *Rubric, dl diag.List, ok bool) {
	i := skipSpace(data, 0)
	if i == len(data) {
		return nil, nil, false
	}
	switch data[i] {
	case '[':
		var elems []*elem
		if json.UnmarshalStrict(data, &elems) != nil {
			return nil, nil, false
		}
		for _, e := range elems {
			if e == nil { // null element: the slow path reports it
				return nil, nil, false
			}
		}
		r, dl = build(&input{base: source.Root, elems: elems}, nil)
		return r, dl, true
	case '{':
		var own fastOwn
		if json.UnmarshalStrict(data, &own) == nil {
			if own.Criteria == nil {
				return nil, nil, false
			}
			in := &input{own: true, version: own.SchemaVersion, base: "$.criteria", versionP: source.Root}
			if own.SchemaVersion != nil {
				in.versionP = "$.schema_version"
			}
			if own.ID != nil {
				in.id = *own.ID
			}
			if own.Title != nil {
				in.title = *own.Title
			}
			in.elems = make([]*elem, len(*own.Criteria))
			for i := range *own.Criteria {
				in.elems[i] = &(*own.Criteria)[i]
			}
			r, dl = build(in, nil)
			return r, dl, true
		}
		var row fastRow
		if json.Unmarshal(data, &row) != nil || row.SchemaVersion != nil || row.Criteria != nil || isNull(row.Rubrics) {
			return nil, nil, false
		}
		in := &input{format: FormatHealthBench, base: "$.rubrics"}
		if row.PromptID != nil && json.Unmarshal(row.PromptID, &in.id) != nil {
			return nil, nil, false
		}
		if json.UnmarshalStrict(row.Rubrics, &in.elems) != nil {
			return nil, nil, false
		}
		for _, e := range in.elems {
			if e == nil {
				return nil, nil, false
			}
		}
		r, dl = build(in, nil)
		return r, dl, true
	}
	return nil, nil, false
}

func isNull(raw []byte) bool {
	return raw == nil || bytes.Equal(raw, []byte("null"))
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func invalidUTF8(data []byte, base int) diag.Diagnostic {
	off := source.InvalidUTF8(data)
	if off < 0 {
		off = len(data)
	}
	d := withHint(diag.Errorf(CodeInvalidUTF8, "", "invalid UTF-8 at byte offset %d", base+off), "save the file as UTF-8")
	return d
}

// member is one key of an object, in document order.
type member struct {
	key string
	raw stdjson.RawMessage
}

// slowJSON decodes data with encoding/json, reporting every problem.
func slowJSON(data []byte) (*Rubric, diag.List) {
	var dl diag.List
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	var raw stdjson.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, diag.List{syntaxDiag(data, err)}
	}
	if rest := skipSpace(data, int(dec.InputOffset())); rest < len(data) {
		d := withHint(diag.Errorf(CodeTrailingData, "", "unexpected data after the rubric value"), "a rubric is one JSON value; for many, use one line per record (JSONL)")
		d.Line, d.Column = source.LineCol(data, rest)
		dl = append(dl, d)
	}
	in, dl := slowTop(raw, dl)
	if in == nil {
		return nil, dl
	}
	return build(in, dl)
}

func syntaxDiag(data []byte, err error) diag.Diagnostic {
	if errors.Is(err, io.EOF) {
		return withHint(diag.Errorf(CodeEmptyInput, "", "no rubric: the input is empty"), "give an array of criteria or an object with \"criteria\"")
	}
	off := len(data)
	msg := err.Error()
	var se *stdjson.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset) - 1
		if off < 0 {
			off = 0
		}
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of JSON input"
	}
	d := diag.Errorf(CodeJSONSyntax, "", "%s", msg)
	d.Line, d.Column = source.LineCol(data, off)
	return d
}

func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func wrongType(p, what string, raw []byte) diag.Diagnostic {
	return diag.Errorf(CodeWrongType, p, "must be %s, not %s", what, kindOf(raw))
}

// members returns the keys of the object raw in order (raw is known to
// be valid JSON).
func members(raw []byte) []member {
	dec := stdjson.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != stdjson.Delim('{') {
		return nil
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ms
		}
		var v stdjson.RawMessage
		if dec.Decode(&v) != nil {
			return ms
		}
		ms = append(ms, member{key: tok.(string), raw: v})
	}
	return ms
}

func elements(raw []byte) []stdjson.RawMessage {
	var es []stdjson.RawMessage
	_ = stdjson.Unmarshal(raw, &es)
	return es
}

// canon returns the field name k matches (case-insensitively, as
// encoding/json and go-json match), or "".
func canon(k string, fields []string) string {
	for _, f := range fields {
		if k == f {
			return f
		}
	}
	for _, f := range fields {
		if strings.EqualFold(k, f) {
			return f
		}
	}
	return ""
}

var (
	ownTopFields = []string{"schema_version", "id", "title", "criteria"}
	checkFields  = []string{"kind", "terms", "pattern", "value", "tolerance", "rel_tolerance", "min", "max", "unit"}
)

func slowTop(raw []byte, dl diag.List) (*input, diag.List) {
	switch kindOf(raw) {
	case "an array":
		in := &input{base: source.Root}
		dl = slowElems(in, raw, dl)
		return in, dl
	case "an object":
	default:
		return nil, append(dl, withHint(diag.Errorf(CodeUnknownFormat, source.Root, "a rubric must be an array of criteria or an object, not %s", kindOf(raw)), `see docs/rubric-format.md`))
	}
	ms := members(raw)
	isOwn, isRow := false, false
	for _, m := range ms {
		switch canon(m.key, []string{"schema_version", "criteria", "rubrics"}) {
		case "schema_version", "criteria":
			isOwn = true
		case "rubrics":
			isRow = true
		}
	}
	switch {
	case isOwn:
		in := &input{own: true, base: "$.criteria", versionP: source.Root}
		var crit []byte
		for _, m := range ms {
			p := source.Key(source.Root, m.key)
			switch canon(m.key, ownTopFields) {
			case "schema_version":
				in.versionP = p
				if isNull(m.raw) {
					continue
				}
				v, err := strconv.Atoi(string(m.raw))
				if err != nil {
					dl = append(dl, wrongType(p, "an integer", m.raw))
					v = SchemaVersion
				}
				in.version = &v
			case "id":
				dl = slowString(p, m.raw, &in.id, dl)
			case "title":
				dl = slowString(p, m.raw, &in.title, dl)
			case "criteria":
				crit = m.raw
				in.base = p
			default:
				d := diag.Errorf(CodeUnknownField, p, "unknown field %q in a rubric file", m.key)
				if strings.EqualFold(m.key, "rubrics") || strings.EqualFold(m.key, "rubric") {
					d = withHint(d, `did you mean "criteria"?`)
				} else {
					d = withHint(d, didYouMean(m.key, ownTopFields))
				}
				dl = append(dl, d)
			}
		}
		if isNull(crit) {
			dl = append(dl, withHint(diag.Errorf(CodeMissingField, source.Root, "rubric file has no criteria"), `add "criteria": [...]`))
			// Report the version problem too.
			_, dl = build(in, dl)
			return nil, dl
		}
		dl = slowElems(in, crit, dl)
		return in, dl
	case isRow:
		in := &input{format: FormatHealthBench, base: "$.rubrics"}
		var rub []byte
		for _, m := range ms {
			p := source.Key(source.Root, m.key)
			switch m.key {
			case "prompt_id":
				dl = slowString(p, m.raw, &in.id, dl)
			case "rubrics":
				rub = m.raw
			}
		}
		if rub == nil {
			// Only a case-variant of "rubrics" exists.
			for _, m := range ms {
				if strings.EqualFold(m.key, "rubrics") {
					rub, in.base = m.raw, source.Key(source.Root, m.key)
				}
			}
		}
		if isNull(rub) {
			return nil, append(dl, diag.Errorf(CodeMissingField, in.base, "HealthBench row has null rubrics"))
		}
		dl = slowElems(in, rub, dl)
		return in, dl
	}
	keys := make([]string, len(ms))
	for i, m := range ms {
		keys[i] = strconv.Quote(m.key)
	}
	d := diag.Errorf(CodeUnknownFormat, source.Root, "object with keys {%s} is no rubric format: it has neither \"criteria\" (rcsd file) nor \"rubrics\" (HealthBench row)", strings.Join(keys, ", "))
	hint := `see docs/rubric-format.md`
	for _, m := range ms {
		if h := didYouMean(m.key, []string{"schema_version", "criteria", "rubrics"}); strings.HasPrefix(h, "did you mean") {
			hint = h
			break
		}
	}
	return nil, append(dl, withHint(d, hint))
}

func slowElems(in *input, raw []byte, dl diag.List) diag.List {
	if kindOf(raw) != "an array" {
		return append(dl, wrongType(in.base, "an array of criteria", raw))
	}
	es := elements(raw)
	in.elems = make([]*elem, len(es))
	in.unknown = make([][]string, len(es))
	in.mistyped = make([]int, len(es))
	for i, er := range es {
		p := source.Index(in.base, i)
		if kindOf(er) != "an object" {
			dl = append(dl, wrongType(p, "a criterion object", er))
			continue
		}
		e := &elem{}
		for _, m := range members(er) {
			fp := source.Key(p, m.key)
			before := len(dl)
			key := canon(m.key, elemKeys)
			switch key {
			case "id":
				e.ID, dl = slowOptString(fp, m.raw, dl)
			case "title":
				e.Title, dl = slowOptString(fp, m.raw, dl)
			case "description":
				e.Description, dl = slowOptString(fp, m.raw, dl)
			case "criterion":
				e.Criterion, dl = slowOptString(fp, m.raw, dl)
			case "criteria":
				e.Criteria, dl = slowOptString(fp, m.raw, dl)
			case "weight":
				e.Weight, dl = slowNumber(fp, m.raw, dl)
			case "points":
				e.Points, dl = slowNumber(fp, m.raw, dl)
			case "score":
				e.Score, dl = slowNumber(fp, m.raw, dl)
			case "category":
				e.Category, dl = slowOptString(fp, m.raw, dl)
			case "polarity":
				e.Polarity, dl = slowOptString(fp, m.raw, dl)
			case "tags":
				e.Tags, dl = slowStrings(fp, m.raw, dl)
			case "checks":
				e.Checks, dl = slowChecks(fp, m.raw, dl)
			default:
				in.unknown[i] = append(in.unknown[i], m.key)
			}
			if len(dl) > before {
				// The key is there with a wrong type: it counts as present,
				// so the error is not repeated as a missing field or an
				// ambiguous format.
				for b, k := range elemKeys {
					if k == key {
						in.mistyped[i] |= 1 << b
					}
				}
			}
		}
		in.elems[i] = e
	}
	return dl
}

func slowString(p string, raw []byte, dst *string, dl diag.List) diag.List {
	s, dl := slowOptString(p, raw, dl)
	if s != nil {
		*dst = *s
	}
	return dl
}

func slowOptString(p string, raw []byte, dl diag.List) (*string, diag.List) {
	if isNull(raw) {
		return nil, dl
	}
	var s string
	if stdjson.Unmarshal(raw, &s) != nil {
		return nil, append(dl, wrongType(p, "a string", raw))
	}
	return &s, dl
}

func slowNumber(p string, raw []byte, dl diag.List) (*float64, diag.List) {
	if isNull(raw) {
		return nil, dl
	}
	if kindOf(raw) != "a number" {
		return nil, append(dl, wrongType(p, "a number", raw))
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return nil, append(dl, withHint(diag.Errorf(CodeNumberRange, p, "number %s is out of range", clip(string(raw), 40)), "weights must be finite float64 values"))
	}
	return &f, dl
}

func slowInt(p string, raw []byte, dl diag.List) (*int, diag.List) {
	if isNull(raw) {
		return nil, dl
	}
	if kindOf(raw) != "a number" {
		return nil, append(dl, wrongType(p, "an integer", raw))
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return nil, append(dl, diag.Errorf(CodeNumberRange, p, "integer %s is out of range", clip(string(raw), 40)))
		}
		return nil, append(dl, diag.Errorf(CodeWrongType, p, "must be an integer, not %s", clip(string(raw), 40)))
	}
	return &n, dl
}

func slowStrings(p string, raw []byte, dl diag.List) (*[]string, diag.List) {
	if isNull(raw) {
		return nil, dl
	}
	if kindOf(raw) != "an array" {
		return nil, append(dl, wrongType(p, "an array of strings", raw))
	}
	es := elements(raw)
	out := make([]string, 0, len(es))
	for i, er := range es {
		var s string
		if stdjson.Unmarshal(er, &s) != nil {
			// null included: go-json would leave "" in a []string,
			// which is never what was meant.
			dl = append(dl, wrongType(source.Index(p, i), "a string", er))
			continue
		}
		out = append(out, s)
	}
	return &out, dl
}

func slowChecks(p string, raw []byte, dl diag.List) (*[]Check, diag.List) {
	if isNull(raw) {
		return nil, dl
	}
	if kindOf(raw) != "an array" {
		return nil, append(dl, wrongType(p, "an array of checks", raw))
	}
	es := elements(raw)
	out := make([]Check, 0, len(es))
	for i, er := range es {
		cp := source.Index(p, i)
		if kindOf(er) != "an object" {
			dl = append(dl, wrongType(cp, "a check object", er))
			continue
		}
		var c Check
		for _, m := range members(er) {
			fp := source.Key(cp, m.key)
			switch canon(m.key, checkFields) {
			case "kind":
				var s *string
				s, dl = slowOptString(fp, m.raw, dl)
				if s != nil {
					c.Kind = CheckKind(*s)
				}
			case "terms":
				var ts *[]string
				ts, dl = slowStrings(fp, m.raw, dl)
				if ts != nil {
					c.Terms = *ts
				}
			case "pattern":
				dl = slowString(fp, m.raw, &c.Pattern, dl)
			case "value":
				if kindOf(m.raw) == "a number" {
					// YAML writes value: 3.5; keep the literal.
					c.Value = string(m.raw)
				} else {
					dl = slowString(fp, m.raw, &c.Value, dl)
				}
			case "tolerance":
				var f *float64
				if f, dl = slowNumber(fp, m.raw, dl); f != nil {
					c.Tolerance = *f
				}
			case "rel_tolerance":
				var f *float64
				if f, dl = slowNumber(fp, m.raw, dl); f != nil {
					c.RelTolerance = *f
				}
			case "min":
				c.Min, dl = slowInt(fp, m.raw, dl)
			case "max":
				c.Max, dl = slowInt(fp, m.raw, dl)
			case "unit":
				dl = slowString(fp, m.raw, &c.Unit, dl)
			default:
				dl = append(dl, withHint(diag.Errorf(CodeUnknownField, fp, "unknown field %q in a check", m.key), didYouMean(m.key, checkFields)))
			}
		}
		out = append(out, c)
	}
	return &out, dl
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// didYouMean suggests the field of valid closest to k by optimal string
// alignment distance, or lists the valid fields when none is close.
func didYouMean(k string, valid []string) string {
	best, bestD := "", 1<<30
	lk := strings.ToLower(k)
	for _, v := range valid {
		if d := osaDistance(lk, v); d < bestD {
			best, bestD = v, d
		}
	}
	if bestD <= 2 && bestD < len(k) || bestD <= len(k)/3 {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields: " + strings.Join(valid, ", ")
}

// osaDistance is the optimal string alignment distance (Levenshtein
// plus adjacent transpositions) between a and b, in bytes.
func osaDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // no sensible suggestion for long keys
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
