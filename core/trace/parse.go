package trace

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Field names of the format, for unknown-field hints.
var (
	traceFields = []string{"schema_version", "id", "student", "teacher", "criteria", "think_end_token", "mask", "meta"}
	posFields   = []string{"token_id", "token", "logprob", "top"}
	altFields   = []string{"token_id", "token", "logprob"}
)

// Parse reads one trace record, one line of a JSONL file. lineNo and file
// locate the diagnostics. It returns nil and at least one error when the
// record is unusable, and every problem found (up to
// MaxRecordDiagnostics), each with the file, line, column, JSON path and
// trace id; warnings may come with a usable trace.
//
// Reading is in two stages, like a rubric's: the structure (JSON syntax,
// field names and types, missing fields), then, only when the structure
// is sound, the numbers (Trace.Validate). Well-formed records take one
// go-json decoding pass; any record that pass cannot take is read again
// field by field to say exactly what is wrong.
func Parse(line []byte, lineNo int, file string) (*Trace, diag.List) {
	p := parser{line: line, lineNo: lineNo, file: file}
	tr := p.parse()
	l := capList(p.diags, p.partial)
	for i := range l {
		d := &l[i]
		d.File, d.Line = file, lineNo
		if d.Record == "" && tr != nil {
			d.Record = tr.ID
		} else if d.Record == "" {
			d.Record = p.id
		}
		if d.Column == 0 && d.Path != "" {
			_, d.Column = source.Locate(line, d.Path)
		}
	}
	if l.HasErrors() {
		return nil, l
	}
	return tr, l
}

type parser struct {
	line   []byte
	lineNo int
	file   string
	id     string
	diags  diag.List
	errs   int
	// partial: the number checks stopped early (too many problems).
	partial bool
}

func (p *parser) add(d diag.Diagnostic) {
	if d.Severity == diag.Error {
		p.errs++
	}
	p.diags = append(p.diags, d)
}

func (p *parser) errorf(code, path, hint, format string, args ...any) {
	d := diag.Errorf(code, path, format, args...)
	d.Hint = hint
	p.add(d)
}

func (p *parser) parse() *Trace {
	line := p.line
	if off := source.InvalidUTF8(line); off >= 0 {
		p.add(diag.Diagnostic{Severity: diag.Error, Code: CodeInvalidUTF8, Column: off + 1,
			Message: "the record is not valid UTF-8", Hint: "token texts must be UTF-8: write undecodable bytes as U+FFFD, or leave \"token\" out"})
		return nil
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		col := len(line) - len(bytes.TrimLeft(line, " \t\r\n")) + 1
		p.add(diag.Diagnostic{Severity: diag.Error, Code: CodeNotObject, Column: col, Path: "$",
			Message: "a trace record must be one JSON object per line"})
		return nil
	}
	tr, ok := p.fast()
	if !ok {
		tr = p.slow()
		if tr == nil || p.errs > 0 {
			return nil
		}
	}
	tr.File, tr.Line = p.file, p.lineNo
	v := validator{tr: tr, add: p.add}
	v.run()
	p.partial = v.full()
	return tr
}

// The fast path's types: numbers as json.Number so that an absent field
// ("") is told from 0, and strings decoded without a copy (they point
// into the decoder's own buffer, not into line).
type wireAlt struct {
	TokenID json.Number `json:"token_id"`
	Token   string      `json:"token"`
	LogProb json.Number `json:"logprob"`
}

type wirePos struct {
	TokenID json.Number `json:"token_id"`
	Token   string      `json:"token"`
	LogProb json.Number `json:"logprob"`
	Top     []wireAlt   `json:"top"`
}

type wireTrace struct {
	SchemaVersion json.Number          `json:"schema_version"`
	ID            rawRef               `json:"id"`
	Student       []wirePos            `json:"student"`
	Teacher       []wirePos            `json:"teacher"`
	Criteria      map[string][]wirePos `json:"criteria"`
	ThinkEndToken json.Number          `json:"think_end_token"`
	Mask          rawRef               `json:"mask"`
	Meta          rawRef               `json:"meta"`
}

// rawRef keeps a JSON value undecoded (go-json hands UnmarshalJSON a copy).
type rawRef []byte

func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// fast decodes a well-formed record in one pass. It reports nothing: on
// anything unusual (an absent or null required field, a type error, an
// unknown field, a number out of range) it gives up and slow explains.
func (p *parser) fast() (*Trace, bool) {
	var w wireTrace
	off, err := json.DecodeOne(p.line, &w)
	if err != nil {
		return nil, false
	}
	if off < 0 || off > int64(len(p.line)) || len(bytes.TrimSpace(p.line[off:])) != 0 {
		return nil, false
	}
	if v := string(w.SchemaVersion); v != "" && v != "1" {
		return nil, false
	}
	tr := &Trace{}
	id, ok := fastID(w.ID)
	if !ok {
		return nil, false
	}
	tr.ID = id
	if tr.Student, ok = fastPositions(w.Student); !ok {
		return nil, false
	}
	if tr.Teacher, ok = fastPositions(w.Teacher); !ok {
		return nil, false
	}
	if w.Criteria != nil {
		tr.Criteria = make(map[string][]lm.Position, len(w.Criteria))
		for k, ws := range w.Criteria {
			if tr.Criteria[k], ok = fastPositions(ws); !ok {
				return nil, false
			}
		}
	}
	if w.ThinkEndToken != "" {
		te, ok := parseInt(string(w.ThinkEndToken))
		if !ok {
			return nil, false
		}
		tr.ThinkEndToken = &te
	}
	if w.Mask != nil && !source.IsNull(w.Mask) {
		if tr.Mask, ok = fastBools(w.Mask); !ok {
			return nil, false
		}
	}
	if w.Meta != nil && string(w.Meta) != "null" {
		if w.Meta[0] != '{' {
			return nil, false
		}
		tr.Meta = []byte(w.Meta)
	}
	return tr, true
}

// fastBools reads a list of JSON booleans (anything else: false).
func fastBools(raw []byte) ([]bool, bool) {
	b := bytes.TrimSpace(raw)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	b = bytes.TrimSpace(b[1 : len(b)-1])
	out := []bool{}
	for len(b) > 0 {
		switch {
		case bytes.HasPrefix(b, []byte("true")):
			out = append(out, true)
			b = b[4:]
		case bytes.HasPrefix(b, []byte("false")):
			out = append(out, false)
			b = b[5:]
		default:
			return nil, false
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			break
		}
		if b[0] != ',' {
			return nil, false
		}
		b = bytes.TrimSpace(b[1:])
		if len(b) == 0 { // trailing comma: not JSON
			return nil, false
		}
	}
	return out, true
}

func fastID(raw rawRef) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return "", false
		}
		return s, true
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return string(raw), true
	}
	return "", false
}

func fastPositions(ws []wirePos) ([]lm.Position, bool) {
	if ws == nil {
		return nil, false
	}
	n := 0
	for i := range ws {
		n += len(ws[i].Top)
	}
	alts := make([]lm.Alt, n)
	out := make([]lm.Position, len(ws))
	k := 0
	for i := range ws {
		w := &ws[i]
		id, ok := parseInt(string(w.TokenID))
		if !ok {
			return nil, false
		}
		lp, ok := parseLogProb(string(w.LogProb))
		if !ok {
			return nil, false
		}
		out[i] = lm.Position{TokenID: id, Token: w.Token, LogProb: lp}
		if w.Top != nil {
			top := alts[k : k+len(w.Top) : k+len(w.Top)]
			k += len(w.Top)
			for j := range w.Top {
				a := &w.Top[j]
				aid, ok := parseInt(string(a.TokenID))
				if !ok {
					return nil, false
				}
				alp, ok := parseLogProb(string(a.LogProb))
				if !ok {
					return nil, false
				}
				top[j] = lm.Alt{TokenID: aid, Token: a.Token, LogProb: alp}
			}
			out[i].Top = top
		}
	}
	return out, true
}

// parseInt reads an integer literal that fits int.
func parseInt(s string) (int, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || int64(int(v)) != v {
		return 0, false
	}
	return int(v), true
}

// parseLogProb reads a finite number and rounds (0, PositiveSlack] to 0.
func parseLogProb(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	return roundPositive(v), true
}

// roundPositive reads a log-prob in (0, PositiveSlack] as 0.
func roundPositive(v float64) float64 {
	if v > 0 && v <= PositiveSlack {
		return 0
	}
	return v
}

// The slow path's types: every field undecoded, so each can be checked
// for its type with its path. go-json matches the keys exactly as the fast
// path does (encoding/json's rules: an exact match first, else a
// case-insensitive one; the last of repeated keys wins).
type looseTrace struct {
	SchemaVersion rawRef `json:"schema_version"`
	ID            rawRef `json:"id"`
	Student       rawRef `json:"student"`
	Teacher       rawRef `json:"teacher"`
	Criteria      rawRef `json:"criteria"`
	ThinkEndToken rawRef `json:"think_end_token"`
	Mask          rawRef `json:"mask"`
	Meta          rawRef `json:"meta"`
}

type loosePos struct {
	TokenID rawRef `json:"token_id"`
	Token   rawRef `json:"token"`
	LogProb rawRef `json:"logprob"`
	Top     rawRef `json:"top"`
}

// slow reads the record field by field and reports every structural
// problem. It returns a trace only when there is none.
func (p *parser) slow() *Trace {
	var raw looseTrace
	if err := json.Unmarshal(p.line, &raw); err != nil {
		p.jsonError(err)
		return nil
	}
	p.unknownKeys(p.line, "$", "", traceFields, "")
	tr := &Trace{}
	tr.ID = p.recordID(raw.ID)
	p.id = tr.ID
	p.version(raw.SchemaVersion)
	tr.Student = p.positions(raw.Student, "$.student", "student", "")
	tr.Teacher = p.positions(raw.Teacher, "$.teacher", "teacher", "")
	tr.Criteria = p.criteria(raw.Criteria)
	if v, ok := p.integer(raw.ThinkEndToken, "$.think_end_token", "think_end_token", "", false); ok && raw.ThinkEndToken != nil && !source.IsNull(raw.ThinkEndToken) {
		tr.ThinkEndToken = &v
	}
	tr.Mask = p.mask(raw.Mask)
	if m := raw.Meta; m != nil && !source.IsNull(m) {
		if bytes.TrimSpace(m)[0] != '{' {
			p.errorf(CodeWrongType, "$.meta", "put free-form data in an object", "meta: expected an object, got %s", source.KindOf(m))
		} else {
			tr.Meta = []byte(m)
		}
	}
	return tr
}

// jsonError reports a syntax error at its column, naming NaN and
// Infinity, which Python's json.dumps writes but JSON does not have.
func (p *parser) jsonError(err error) {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	d := diag.Diagnostic{Severity: diag.Error, Code: CodeBadJSON, Column: 1,
		Message: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	if off >= 0 {
		_, d.Column = source.LineCol(p.line, int(off))
		// The reported offset is one past the bad byte (go-json); look
		// around it for the literal, sign included.
		for _, at := range []int64{off - 2, off - 1, off} {
			if at < 0 || at > int64(len(p.line)) {
				continue
			}
			rest := p.line[at:]
			for _, lit := range []string{"-Infinity", "NaN", "Infinity"} {
				if bytes.HasPrefix(rest, []byte(lit)) {
					d.Code = CodeNonFinite
					_, d.Column = source.LineCol(p.line, int(at))
					d.Message = "a bare " + lit + " is not JSON (JSON has no NaN or infinities)"
					d.Hint = "every log-prob must be a finite number; Python's json.dumps writes NaN unless allow_nan=False"
					p.add(d)
					return
				}
			}
		}
	}
	p.add(d)
}

// unknownKeys reports the keys of the object obj at path that match none
// of known (compared as go-json compares them: case-insensitively).
func (p *parser) unknownKeys(obj []byte, path, what string, known []string, crit string) {
	var m map[string]rawRef
	if json.Unmarshal(obj, &m) != nil {
		return
	}
	var bad []string
	for k := range m {
		if !slices.ContainsFunc(known, func(f string) bool { return strings.EqualFold(f, k) }) {
			bad = append(bad, k)
		}
	}
	slices.Sort(bad)
	for _, k := range bad {
		hint := diag.DidYouMean(k, known)
		if hint == "" {
			hint = "the fields are " + strings.Join(known, ", ")
			if path == "$" {
				hint += `; put free-form data under "meta"`
			}
		}
		msg := fmt.Sprintf("unknown field %q", k)
		if what != "" {
			msg = what + ": " + msg
		}
		p.add(diag.Diagnostic{Severity: diag.Error, Code: CodeUnknownField, Path: source.Key(path, k), Criterion: crit,
			Message: msg, Hint: hint})
	}
}

func (p *parser) recordID(raw rawRef) string {
	if raw == nil || source.IsNull(raw) {
		id := "line-" + strconv.Itoa(p.lineNo)
		p.add(diag.Diagnostic{Severity: diag.Warning, Code: CodeMissingID, Path: "$",
			Message: `the trace has no "id"; using ` + strconv.Quote(id),
			Hint:    "give every trace the id of its item so results can be joined back"})
		return id
	}
	if id, ok := fastID(raw); ok {
		return id
	}
	if b := bytes.TrimSpace(raw); b[0] == '"' {
		p.errorf(CodeBadID, "$.id", "", "the id is an empty string")
	} else {
		p.errorf(CodeBadID, "$.id", "", "expected a string or an integer id, got %s", source.KindOf(raw))
	}
	return ""
}

func (p *parser) version(raw rawRef) {
	if raw == nil || source.IsNull(raw) {
		return
	}
	v, ok := p.integer(raw, "$.schema_version", "schema_version", "", false)
	if ok && v != SchemaVersion {
		hint := "upgrade rcsd"
		if v < 1 {
			hint = "the first version is 1"
		}
		p.errorf(CodeVersion, "$.schema_version", hint, "schema_version %d is not one this rcsd reads (%d)", v, SchemaVersion)
	}
}

// number returns the literal of a JSON number, or of a string holding one
// (as json.Number accepts: some producers write ids as strings).
func numberLiteral(raw []byte) (lit string, isString, ok bool) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "", false, false
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return "", true, false
		}
		return s, true, json.IsNumber(s)
	}
	if b[0] == '-' || b[0] >= '0' && b[0] <= '9' {
		return string(b), false, true
	}
	return "", false, false
}

// integer reads an integer field; absent is an error only when required.
func (p *parser) integer(raw rawRef, path, name, where string, required bool) (int, bool) {
	if raw == nil {
		if required {
			p.errorf(CodeMissingField, parentPath(path), "", "%s%q is missing", where, name)
		}
		return 0, false
	}
	if source.IsNull(raw) {
		if required {
			p.errorf(CodeWrongType, path, "", "%s%s: expected an integer, got null", where, name)
		}
		return 0, !required
	}
	lit, _, ok := numberLiteral(raw)
	if !ok {
		p.errorf(CodeWrongType, path, "", "%s%s: expected an integer, got %s", where, name, source.KindOf(raw))
		return 0, false
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	code := CodeBadTokenID
	if name == "schema_version" {
		code = CodeWrongType
	}
	switch {
	case errors.Is(err, strconv.ErrRange) || err == nil && int64(int(v)) != v:
		p.errorf(code, path, "", "%s%s: %s is out of range", where, name, lit)
		return 0, false
	case err != nil:
		p.errorf(code, path, "", "%s%s: expected an integer, got %s", where, name, lit)
		return 0, false
	case name == "token_id" && (v < 0 || v > MaxTokenID):
		p.errorf(CodeBadTokenID, path, "", "%stoken id %d is not in [0, %d]", where, v, MaxTokenID)
		return 0, false
	}
	return int(v), true
}

func parentPath(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i <= 0 {
		return "$"
	}
	return path[:i]
}

// nonFiniteName reports whether s spells a NaN or an infinity the way
// Python, NumPy or C print them.
func nonFiniteName(s string) bool {
	s = strings.TrimLeft(strings.ToLower(strings.TrimSpace(s)), "+-")
	return s == "nan" || s == "inf" || s == "infinity"
}

func (p *parser) logprob(raw rawRef, path, where string) (float64, bool) {
	if raw == nil {
		p.errorf(CodeMissingField, parentPath(path), "", `%s"logprob" is missing`, where)
		return 0, false
	}
	if source.IsNull(raw) {
		p.errorf(CodeWrongType, path, "JSON has no NaN: a null log-prob often is one; every log-prob must be a finite number",
			"%slogprob: expected a number, got null", where)
		return 0, false
	}
	lit, isStr, ok := numberLiteral(raw)
	if !ok {
		if isStr {
			var s string
			_ = json.Unmarshal(bytes.TrimSpace(raw), &s)
			if nonFiniteName(s) {
				p.errorf(CodeNonFinite, path, "every log-prob must be a finite number",
					"%slogprob is the string %q, not a finite number", where, s)
				return 0, false
			}
		}
		p.errorf(CodeWrongType, path, "", "%slogprob: expected a number, got %s", where, source.KindOf(raw))
		return 0, false
	}
	v, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(v, 0) {
		p.errorf(CodeNonFinite, path, "every log-prob must be a finite number",
			"%slogprob %s is out of the range of float64", where, lit)
		return 0, false
	}
	if v > PositiveSlack {
		p.errorf(CodePositive, path, positiveHint, "%slog-prob %v is above 0", where, v)
		return 0, false
	}
	return roundPositive(v), true
}

func (p *parser) str(raw rawRef, path, where string) (string, bool) {
	if raw == nil || source.IsNull(raw) {
		return "", true
	}
	var s string
	if b := bytes.TrimSpace(raw); b[0] != '"' || json.Unmarshal(b, &s) != nil {
		p.errorf(CodeWrongType, path, "", "%stoken: expected a string, got %s", where, source.KindOf(raw))
		return "", false
	}
	return s, true
}

// list decodes a JSON list; null and absent give nil, false.
func (p *parser) list(raw rawRef, path, what, want, crit string) ([]rawRef, bool) {
	if raw == nil {
		return nil, false
	}
	b := bytes.TrimSpace(raw)
	if b[0] != '[' {
		d := diag.Errorf(CodeWrongType, path, "%s: expected %s, got %s", what, want, source.KindOf(raw))
		d.Criterion = crit
		p.add(d)
		return nil, false
	}
	var elems []rawRef
	if json.Unmarshal(b, &elems) != nil {
		p.errorf(CodeWrongType, path, "", "%s: expected %s", what, want)
		return nil, false
	}
	if elems == nil {
		elems = []rawRef{}
	}
	return elems, true
}

// positions reads one side's list of positions.
func (p *parser) positions(raw rawRef, path, name, crit string) []lm.Position {
	if raw == nil {
		p.errorf(CodeMissingField, "$", "", "the trace has no %q positions", name)
		return nil
	}
	if source.IsNull(raw) {
		d := diag.Errorf(CodeWrongType, path, "%s: expected a list of positions, got null", name)
		d.Criterion = crit
		p.add(d)
		return nil
	}
	elems, ok := p.list(raw, path, name, "a list of positions", crit)
	if !ok {
		return nil
	}
	out := make([]lm.Position, len(elems))
	for t, e := range elems {
		pp := path + "[" + strconv.Itoa(t) + "]"
		where := fmt.Sprintf("%s position %d: ", name, t)
		if b := bytes.TrimSpace(e); b[0] != '{' {
			p.add(diag.Diagnostic{Severity: diag.Error, Code: CodeWrongType, Path: pp, Criterion: crit,
				Message: fmt.Sprintf("%s position %d: expected an object {token_id, logprob, top}, got %s", name, t, source.KindOf(e))})
			continue
		}
		var lp loosePos
		if json.Unmarshal(e, &lp) != nil {
			continue
		}
		p.unknownKeys(e, pp, strings.TrimSuffix(where, ": "), posFields, crit)
		pos := &out[t]
		pos.TokenID, _ = p.integer(lp.TokenID, pp+".token_id", "token_id", where, true)
		pos.Token, _ = p.str(lp.Token, pp+".token", where)
		pos.LogProb, _ = p.logprob(lp.LogProb, pp+".logprob", where)
		if lp.Top == nil || source.IsNull(lp.Top) {
			continue
		}
		alts, ok := p.list(lp.Top, pp+".top", where+"top", "a list of {token_id, logprob} objects", crit)
		if !ok {
			continue
		}
		pos.Top = make([]lm.Alt, len(alts))
		for j, a := range alts {
			ap := pp + ".top[" + strconv.Itoa(j) + "]"
			aw := fmt.Sprintf("%s position %d, top entry %d: ", name, t, j)
			if b := bytes.TrimSpace(a); b[0] != '{' {
				p.add(diag.Diagnostic{Severity: diag.Error, Code: CodeWrongType, Path: ap, Criterion: crit,
					Message: fmt.Sprintf("%sexpected an object {token_id, logprob}, got %s", aw, source.KindOf(a))})
				continue
			}
			var la loosePos // "top" inside a top entry is reported as unknown below
			if json.Unmarshal(a, &la) != nil {
				continue
			}
			p.unknownKeys(a, ap, strings.TrimSuffix(aw, ": "), altFields, crit)
			alt := &pos.Top[j]
			alt.TokenID, _ = p.integer(la.TokenID, ap+".token_id", "token_id", aw, true)
			alt.Token, _ = p.str(la.Token, ap+".token", aw)
			alt.LogProb, _ = p.logprob(la.LogProb, ap+".logprob", aw)
		}
	}
	return out
}

func (p *parser) criteria(raw rawRef) map[string][]lm.Position {
	if raw == nil || source.IsNull(raw) {
		return nil
	}
	if bytes.TrimSpace(raw)[0] != '{' {
		p.errorf(CodeWrongType, "$.criteria", `{"<criterion id>": [teacher positions conditioned on that criterion alone]}`,
			"criteria: expected an object, got %s", source.KindOf(raw))
		return nil
	}
	var m map[string]rawRef
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make(map[string][]lm.Position, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ps := p.positions(m[k], source.Key("$.criteria", k), "criterion "+strconv.Quote(k), k)
		if ps != nil {
			out[k] = ps
		}
	}
	return out
}

func (p *parser) mask(raw rawRef) []bool {
	if raw == nil || source.IsNull(raw) {
		return nil
	}
	elems, ok := p.list(raw, "$.mask", "mask", "a list of booleans", "")
	if !ok {
		return nil
	}
	out := make([]bool, len(elems))
	for i, e := range elems {
		switch string(bytes.TrimSpace(e)) {
		case "true":
			out[i] = true
		case "false":
		default:
			p.errorf(CodeWrongType, "$.mask["+strconv.Itoa(i)+"]", "", "mask entry %d: expected true or false, got %s", i, source.KindOf(e))
		}
	}
	return out
}
