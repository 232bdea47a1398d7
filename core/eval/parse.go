package eval

import (
	"bytes"
	"sort"
	"strconv"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/source"
)

// MaxLineBytes is the largest record the evaluator accepts; longer lines
// are reported and skipped without being held in memory whole.
const MaxLineBytes = 64 << 20

// ParseOptions says how to read a record.
type ParseOptions struct {
	// File is the name diagnostics carry.
	File string
	// Rubric, when set, is used for records that have no inline rubric
	// (`rcsd eval --rubric FILE`).
	Rubric *rubric.Rubric
	// ResponsesOptional accepts records without "response" or "responses"
	// (training data, which rcsd export converts: the policy samples the
	// responses). Item.Responses is then nil.
	ResponsesOptional bool
}

// rawItem holds the fields of a record undecoded, so each can be checked
// for its type with a precise JSON path. Unknown fields are ignored:
// HealthBench rows carry many (canary, ideal_completions_data, …).
type rawItem struct {
	ID          json.RawMessage `json:"id"`
	PromptID    json.RawMessage `json:"prompt_id"`
	Prompt      json.RawMessage `json:"prompt"`
	Reference   json.RawMessage `json:"reference_answer"`
	Rubric      json.RawMessage `json:"rubric"`
	Rubrics     json.RawMessage `json:"rubrics"`
	Response    json.RawMessage `json:"response"`
	Responses   json.RawMessage `json:"responses"`
	Labels      json.RawMessage `json:"labels"`
	ExampleTags json.RawMessage `json:"example_tags"`
}

// fastItem is a record decoded in one pass: the large text fields
// (response, responses, reference_answer) straight into strings, the
// rest as references into the decoder's copy of the line (rawRef, no
// second copy). It serves well-formed records, nearly all of a batch.
type fastItem struct {
	ID          rawRef    `json:"id"`
	PromptID    rawRef    `json:"prompt_id"`
	Prompt      rawRef    `json:"prompt"`
	Reference   *string   `json:"reference_answer"`
	Rubric      rawRef    `json:"rubric"`
	Rubrics     rawRef    `json:"rubrics"`
	Response    *string   `json:"response"`
	Responses   *[]string `json:"responses"`
	Labels      rawRef    `json:"labels"`
	ExampleTags *[]string `json:"example_tags"`
}

// rawRef keeps a JSON value undecoded, like json.RawMessage, without
// copying it again: go-json hands UnmarshalJSON a fresh copy already.
type rawRef []byte

func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// fast parses a well-formed record in one decoding pass. It gives up
// (ok false, nothing reported) on anything the slow path must explain, so
// both paths produce the same item and the same diagnostics.
func (p *itemParser) fast(line []byte, opts ParseOptions) (*Item, bool) {
	// A key given as null decodes to a nil pointer, as an absent key
	// would; the slow path reports a null, so the two must be told apart.
	// The pointers start at per-call markers: an absent key leaves its
	// marker in place (pointer and value), null sets nil, and a value
	// either replaces the pointer or is written through it.
	// The marker is not valid UTF-8, so no decoded JSON string equals it.
	const marker = "\xffabsent"
	absentOne, absentList := marker, []string{marker}
	f := fastItem{Response: &absentOne, Responses: &absentList}
	if json.Unmarshal(line, &f) != nil {
		return nil, false
	}
	noResponse := f.Response == &absentOne && absentOne == marker
	noResponses := f.Responses == &absentList && len(absentList) == 1 && absentList[0] == marker
	switch {
	case f.Response == nil || f.Responses == nil: // an explicit null
		return nil, false
	case noResponses && !noResponse:
		f.Responses = nil
	case noResponse && !noResponses:
		f.Response = nil
		if len(*f.Responses) == 0 {
			return nil, false
		}
	default: // both or neither
		return nil, false
	}
	if (f.Rubric != nil) == (f.Rubrics != nil) && !(f.Rubric == nil && opts.Rubric != nil) {
		return nil, false
	}
	it := &Item{Line: p.lineNo}
	switch {
	case f.ID != nil:
		it.ID = p.id(json.RawMessage(f.ID), "$.id")
	case f.PromptID != nil:
		it.ID = p.id(json.RawMessage(f.PromptID), "$.prompt_id")
	default:
		return nil, false
	}
	it.Prompt = p.prompt(json.RawMessage(f.Prompt))
	if f.Reference != nil {
		it.ReferenceAnswer = *f.Reference
	}
	if f.ExampleTags != nil {
		it.ExampleTags = *f.ExampleTags
	}
	switch {
	case f.Rubric != nil:
		it.Rubric, it.RubricPath = p.rubric(json.RawMessage(f.Rubric), "$.rubric"), "$.rubric"
	case f.Rubrics != nil:
		it.Rubric, it.RubricPath = p.rubric(json.RawMessage(f.Rubrics), "$.rubrics"), "$.rubrics"
	default:
		it.Rubric = opts.Rubric
	}
	if f.Response != nil {
		it.Responses = []string{*f.Response}
	} else {
		it.Responses = *f.Responses
	}
	if f.Labels != nil && !source.IsNull(json.RawMessage(f.Labels)) && it.Rubric != nil {
		it.Labels = p.labels(json.RawMessage(f.Labels), it.Rubric, len(it.Responses), f.Responses != nil)
	}
	if p.diags.HasErrors() {
		p.diags = nil
		return nil, false
	}
	return it, true
}

// knownFields are the record fields the evaluator reads, for hints.
var knownFields = []string{"id", "prompt_id", "prompt", "reference_answer", "rubric", "rubrics", "response", "responses", "labels", "example_tags"}

// ParseItem reads one JSONL record. It returns nil and at least one error
// diagnostic when the record cannot be evaluated; warnings may come with
// a usable item. Diagnostics carry opts.File, line and the column of the
// offending value within the line.
func ParseItem(line []byte, lineNo int, opts ParseOptions) (*Item, diag.List) {
	p := itemParser{line: line, lineNo: lineNo, file: opts.File}
	it := p.parse(opts)
	if p.diags.HasErrors() {
		return nil, p.diags
	}
	return it, p.diags
}

type itemParser struct {
	line   []byte
	lineNo int
	file   string
	diags  diag.List
}

func (p *itemParser) add(d diag.Diagnostic) {
	d.File = p.file
	d.Line = p.lineNo
	if d.Column == 0 {
		_, d.Column = source.Locate(p.line, d.Path)
	}
	p.diags = append(p.diags, d)
}

func (p *itemParser) errorf(code, path, format string, args ...any) {
	p.add(diag.Errorf(code, path, format, args...))
}

func (p *itemParser) parse(opts ParseOptions) *Item {
	line := p.line
	if off := source.InvalidUTF8(line); off >= 0 {
		p.add(diag.Diagnostic{Severity: diag.Error, Code: "invalid-utf8", Column: off + 1,
			Message: "the record is not valid UTF-8", Hint: "re-encode the file as UTF-8"})
		return nil
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		p.add(diag.Diagnostic{Severity: diag.Error, Code: "not-object", Column: 1, Path: "$",
			Message: "a record must be one JSON object per line"})
		return nil
	}
	if it, ok := p.fast(line, opts); ok {
		return it
	}
	return p.slow(line, opts)
}

// slow parses any record field by field, reporting every problem with
// its path.
func (p *itemParser) slow(line []byte, opts ParseOptions) *Item {
	var raw rawItem
	if err := json.Unmarshal(line, &raw); err != nil {
		d := diag.Diagnostic{Severity: diag.Error, Code: "bad-json", Column: 1, Message: "invalid JSON: " + jsonErrText(err)}
		if off, ok := jsonErrOffset(err); ok {
			d.Column = int(off)
			if d.Column < 1 {
				d.Column = 1
			}
		}
		p.add(d)
		return nil
	}
	it := &Item{Line: p.lineNo}

	// id: "id", else HealthBench's "prompt_id"; strings or integers.
	switch {
	case raw.ID != nil:
		it.ID = p.id(raw.ID, "$.id")
	case raw.PromptID != nil:
		it.ID = p.id(raw.PromptID, "$.prompt_id")
	default:
		it.ID = "line-" + strconv.Itoa(p.lineNo)
		p.add(diag.Diagnostic{Severity: diag.Warning, Code: "missing-id", Path: "$",
			Message: "the record has no \"id\" (or \"prompt_id\"); using " + strconv.Quote(it.ID),
			Hint:    "give every record a stable id so --resume and merge can rely on it"})
	}

	it.Prompt = p.prompt(raw.Prompt)
	if raw.Reference != nil && !source.IsNull(raw.Reference) {
		it.ReferenceAnswer, _ = p.str(raw.Reference, "$.reference_answer")
	}
	if raw.ExampleTags != nil && !source.IsNull(raw.ExampleTags) {
		it.ExampleTags = p.strList(raw.ExampleTags, "$.example_tags")
	}

	// Rubric: inline "rubric", HealthBench "rubrics", or the shared one.
	switch {
	case raw.Rubric != nil && raw.Rubrics != nil:
		p.errorf("ambiguous-rubric", "$.rubrics", `the record has both "rubric" and "rubrics"`)
	case raw.Rubric != nil:
		it.Rubric, it.RubricPath = p.rubric(raw.Rubric, "$.rubric"), "$.rubric"
	case raw.Rubrics != nil:
		it.Rubric, it.RubricPath = p.rubric(raw.Rubrics, "$.rubrics"), "$.rubrics"
	case opts.Rubric != nil:
		it.Rubric = opts.Rubric
	default:
		p.add(diag.Diagnostic{Severity: diag.Error, Code: "missing-rubric", Path: "$",
			Message: `the record has no rubric`, Hint: p.hintFor(`add "rubric" (any importable format) or "rubrics" (HealthBench), or pass --rubric FILE`, "rubric", "rubrics")})
	}

	// Responses.
	switch {
	case raw.Response != nil && raw.Responses != nil:
		p.errorf("ambiguous-response", "$.responses", `the record has both "response" and "responses"`)
	case raw.Response != nil:
		if s, ok := p.str(raw.Response, "$.response"); ok {
			it.Responses = []string{s}
		}
	case raw.Responses != nil:
		it.Responses = p.strList(raw.Responses, "$.responses")
		if it.Responses != nil && len(it.Responses) == 0 {
			p.errorf("empty-responses", "$.responses", "\"responses\" is an empty list")
		}
	case opts.ResponsesOptional:
	default:
		p.add(diag.Diagnostic{Severity: diag.Error, Code: "missing-response", Path: "$",
			Message: "the record has no response to judge", Hint: p.hintFor(`add "response" (text) or "responses" (a list)`, "response", "responses")})
	}

	if raw.Labels != nil && !source.IsNull(raw.Labels) && it.Rubric != nil && it.Responses != nil {
		it.Labels = p.labels(raw.Labels, it.Rubric, len(it.Responses), raw.Responses != nil)
	}
	return it
}

// hintFor replaces hint by a did-you-mean when an unknown field of the
// record is a misspelling of one of want (the missing fields). Keys are
// tried in sorted order, so the hint does not depend on map order. It
// decodes the record a second time, which only happens on this error path.
func (p *itemParser) hintFor(hint string, want ...string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(p.line, &m) != nil {
		return hint
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !isKnown(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s := diag.Suggest(k, want); s != "" {
			return `found "` + k + `": did you mean "` + s + `"?`
		}
	}
	return hint
}

func isKnown(k string) bool {
	for _, f := range knownFields {
		if f == k {
			return true
		}
	}
	return false
}

func (p *itemParser) id(raw json.RawMessage, path string) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
		p.errorf("bad-id", path, "the id is an empty string")
		return ""
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return string(n)
		}
	}
	p.errorf("bad-id", path, "expected a string or an integer id, got %s", source.KindOf(raw))
	return ""
}

func (p *itemParser) str(raw json.RawMessage, path string) (string, bool) {
	var s string
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		p.errorf("wrong-type", path, "expected a string, got %s", source.KindOf(raw))
		return "", false
	}
	return s, true
}

func (p *itemParser) strList(raw json.RawMessage, path string) []string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] != '[' {
		p.errorf("wrong-type", path, "expected a list of strings, got %s", source.KindOf(raw))
		return nil
	}
	var out []string
	if json.Unmarshal(b, &out) == nil {
		if out == nil {
			out = []string{}
		}
		return out
	}
	// Find the first element that is not a string, for the path.
	var elems []json.RawMessage
	if json.Unmarshal(b, &elems) == nil {
		for i, e := range elems {
			if eb := bytes.TrimSpace(e); len(eb) == 0 || eb[0] != '"' {
				p.errorf("wrong-type", path+"["+strconv.Itoa(i)+"]", "expected a string, got %s", source.KindOf(e))
				return nil
			}
		}
	}
	p.errorf("wrong-type", path, "expected a list of strings")
	return nil
}

func (p *itemParser) prompt(raw json.RawMessage) []Message {
	if raw == nil || source.IsNull(raw) {
		return nil
	}
	b := bytes.TrimSpace(raw)
	if len(b) > 0 && b[0] == '"' {
		s, ok := p.str(b, "$.prompt")
		if !ok {
			return nil
		}
		return []Message{{Role: "user", Content: s}}
	}
	if len(b) == 0 || b[0] != '[' {
		p.errorf("wrong-type", "$.prompt", "expected a string or a list of chat messages, got %s", source.KindOf(raw))
		return nil
	}
	var elems []json.RawMessage
	if json.Unmarshal(b, &elems) != nil {
		p.errorf("wrong-type", "$.prompt", "expected a list of chat messages")
		return nil
	}
	msgs := make([]Message, 0, len(elems))
	for i, e := range elems {
		path := "$.prompt[" + strconv.Itoa(i) + "]"
		var m struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		}
		eb := bytes.TrimSpace(e)
		if len(eb) == 0 || eb[0] != '{' || json.Unmarshal(eb, &m) != nil {
			if p.messageFieldTypes(eb, path) {
				continue
			}
			p.errorf("wrong-type", path, `expected a message {"role", "content"} with string values, got %s`, source.KindOf(e))
			continue
		}
		if m.Role == nil {
			p.errorf("missing-field", path, `the message has no "role"`)
			continue
		}
		if m.Content == nil {
			p.errorf("missing-field", path, `the message has no "content"`)
			continue
		}
		msgs = append(msgs, Message{Role: *m.Role, Content: *m.Content})
	}
	return msgs
}

// messageFieldTypes reports a message object's role or content that is
// not a string, at its own path, and says whether it reported any.
func (p *itemParser) messageFieldTypes(eb []byte, path string) bool {
	var fields map[string]json.RawMessage
	if len(eb) == 0 || eb[0] != '{' || json.Unmarshal(eb, &fields) != nil {
		return false
	}
	found := false
	for _, k := range []string{"role", "content"} {
		if v, ok := fields[k]; ok && source.KindOf(v) != "a string" && source.KindOf(v) != "null" {
			p.errorf("wrong-type", path+"."+k, "expected a string, got %s", source.KindOf(v))
			found = true
		}
	}
	return found
}

func (p *itemParser) rubric(raw json.RawMessage, path string) *rubric.Rubric {
	r, diags := rubric.FromJSON(raw)
	diags.PrefixPath(path)
	failed := false
	for _, d := range diags {
		if d.Severity == diag.Error {
			failed = true
		}
		if d.Severity != diag.Info {
			d.Column = 0
			p.add(d)
		}
	}
	if failed {
		return nil
	}
	if r != nil {
		for _, d := range rubric.Validate(r) {
			if d.Severity == diag.Error {
				d.Path = prefixed(path, d.Path)
				d.Column = 0
				p.add(d)
				failed = true
			}
		}
	}
	if failed {
		return nil
	}
	return r
}

func prefixed(prefix, p string) string {
	l := diag.List{{Path: p}}
	l.PrefixPath(prefix)
	return l[0].Path
}

// labels reads "labels": for one response, a list aligned with the
// criteria or an object keyed by criterion id; with "responses", a list of
// those, one per response.
func (p *itemParser) labels(raw json.RawMessage, r *rubric.Rubric, nResp int, multi bool) [][]*bool {
	b := bytes.TrimSpace(raw)
	if !multi {
		l, ok := p.labelSet(b, "$.labels", r)
		if !ok {
			return nil
		}
		return [][]*bool{l}
	}
	if len(b) == 0 || b[0] != '[' {
		p.errorf("wrong-type", "$.labels", "with \"responses\", \"labels\" must be a list with one entry per response, got %s", source.KindOf(raw))
		return nil
	}
	var elems []json.RawMessage
	if json.Unmarshal(b, &elems) != nil {
		p.errorf("wrong-type", "$.labels", "expected a list of label sets")
		return nil
	}
	if len(elems) != nResp {
		p.errorf("label-count", "$.labels", "%d label sets for %d responses", len(elems), nResp)
		return nil
	}
	out := make([][]*bool, nResp)
	for i, e := range elems {
		l, ok := p.labelSet(bytes.TrimSpace(e), "$.labels["+strconv.Itoa(i)+"]", r)
		if !ok {
			return nil
		}
		out[i] = l
	}
	return out
}

func (p *itemParser) labelSet(b []byte, path string, r *rubric.Rubric) ([]*bool, bool) {
	n := len(r.Criteria)
	out := make([]*bool, n)
	switch {
	case len(b) > 0 && b[0] == 'n': // null: unlabelled
		return out, true
	case len(b) > 0 && b[0] == '[':
		var vals []*bool
		if err := json.Unmarshal(b, &vals); err != nil {
			var elems []json.RawMessage
			_ = json.Unmarshal(b, &elems)
			for i, e := range elems {
				if k := source.KindOf(e); k != "a boolean" && k != "null" {
					p.errorf("wrong-type", path+"["+strconv.Itoa(i)+"]", "a label must be true, false or null, got %s", k)
					return nil, false
				}
			}
			p.errorf("wrong-type", path, "a label list must hold booleans")
			return nil, false
		}
		if len(vals) != n {
			p.errorf("label-count", path, "%d labels for %d criteria", len(vals), n)
			return nil, false
		}
		return vals, true
	case len(b) > 0 && b[0] == '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			p.errorf("wrong-type", path, "expected an object of criterion id → boolean")
			return nil, false
		}
		ids := make([]string, n)
		for i, c := range r.Criteria {
			ids[i] = c.ID
		}
		ok := true
		n0 := len(p.diags)
		for k, v := range m {
			kp := path + "[" + strconv.Quote(k) + "]"
			i := r.Index(k)
			if i < 0 {
				p.add(diag.Diagnostic{Severity: diag.Error, Code: "unknown-criterion", Path: kp,
					Message: "no criterion has the id " + strconv.Quote(k), Hint: diag.DidYouMean(k, ids)})
				ok = false
				continue
			}
			switch string(bytes.TrimSpace(v)) {
			case "true":
				out[i] = boolPtr(true)
			case "false":
				out[i] = boolPtr(false)
			case "null":
			default:
				p.errorf("wrong-type", kp, "a label must be true, false or null, got %s", source.KindOf(v))
				ok = false
			}
		}
		// Map order is random: report in document order.
		added := p.diags[n0:]
		sort.SliceStable(added, func(a, b int) bool {
			if added[a].Column != added[b].Column {
				return added[a].Column < added[b].Column
			}
			return added[a].Path < added[b].Path
		})
		return out, ok
	}
	p.errorf("wrong-type", path, "labels must be a list aligned with the criteria or an object keyed by criterion id, got %s", source.KindOf(b))
	return nil, false
}

var (
	trueV, falseV = true, false
)

// boolPtr returns shared pointers: labels are read-only once parsed.
func boolPtr(b bool) *bool {
	if b {
		return &trueV
	}
	return &falseV
}

func jsonErrText(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return e.Error()
	}
	return err.Error()
}

func jsonErrOffset(err error) (int64, bool) {
	switch e := err.(type) {
	case *json.SyntaxError:
		return e.Offset, true
	case *json.UnmarshalTypeError:
		return e.Offset, true
	}
	return 0, false
}
