package rubric

import (
	"bytes"
	stdjson "encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/internal/yamlx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Load reads a whole rubric file, YAML or JSON in any importable format,
// validates and lints it, and returns the rubric (nil when it has errors
// that make it unusable) with every diagnostic, each located at its line
// and column in data and named by file. It is what `rcsd validate` and
// the playground's editor run.
//
// A file named *.json is read as JSON only. Otherwise JSON is recognised
// by its first significant byte ('{' or '['); anything else is read as YAML, which is converted to JSON and imported the same
// way, so both spellings of a rubric give the same diagnostics.
func Load(file string, data []byte) (*Rubric, diag.List) {
	var r *Rubric
	var dl diag.List
	if strings.HasSuffix(strings.ToLower(file), ".json") {
		// A .json file is JSON: a stray comma or a missing quote is a
		// syntax error at its position, never a YAML reading of it.
		r, dl = FromJSON(bytes.TrimPrefix(data, bom))
	} else {
		r, dl = Parse(data)
	}
	if r != nil && !dl.HasErrors() {
		dl = append(dl, Validate(r)...)
		if !dl.HasErrors() {
			dl = append(dl, Lint(r)...)
		}
	}
	dl = source.Place(dl, data, file)
	if dl.HasErrors() {
		return nil, dl
	}
	return r, dl
}

// bom is the UTF-8 byte order mark some Windows editors write first.
var bom = []byte("\xef\xbb\xbf")

// Parse imports a rubric file, YAML or JSON (see Load), without
// validating or linting it.
func Parse(data []byte) (*Rubric, diag.List) {
	if !utf8.Valid(data) {
		return nil, diag.List{invalidUTF8(data, 0)}
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, bom), " \t\r\n")
	if len(trimmed) == 0 || isYAMLEmpty(trimmed) {
		return nil, diag.List{withHint(diag.Errorf(CodeEmptyInput, "", "the rubric file is empty"),
			"write a criteria list; see docs/rubric-format.md")}
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if json, ok := jsonOrFlowYAML(trimmed); ok {
			return FromJSON(json)
		}
	}
	js, err := yamlx.ToJSON(bytes.TrimPrefix(data, bom))
	if err != nil {
		return nil, diag.List{yamlDiag(err)}
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, diag.List{withHint(diag.Errorf(CodeEmptyInput, "", "the rubric file has no value"),
			"write a criteria list; see docs/rubric-format.md")}
	}
	r, dl := FromJSON(js)
	for i := range dl {
		// Syntax positions refer to the converted JSON, not to the file;
		// the path (when any) locates the problem in the YAML instead.
		if dl[i].Path != "" {
			dl[i].Line, dl[i].Column = 0, 0
		}
	}
	return r, dl
}

// jsonOrFlowYAML returns data itself when it is meant as JSON. YAML flow
// syntax also starts with '{' or '[', so a document that is not valid
// JSON but is valid YAML is converted; one that is neither is returned
// as JSON so the JSON importer reports the syntax error at its position.
func jsonOrFlowYAML(data []byte) ([]byte, bool) {
	if validJSON(data) {
		return data, true
	}
	if js, err := yamlx.ToJSON(data); err == nil && validJSON(js) && !bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return js, true
	}
	return data, true
}

func validJSON(data []byte) bool {
	var v any
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	if dec.Decode(&v) != nil {
		return false
	}
	return skipSpace(data, int(dec.InputOffset())) == len(data)
}

// isYAMLEmpty reports whether data holds only comments and document
// markers.
func isYAMLEmpty(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" && t != "..." {
			return false
		}
	}
	return true
}

func yamlDiag(err error) diag.Diagnostic {
	d := withHint(diag.Errorf(CodeYAMLSyntax, "", "%s", yamlMessage(err)), "check indentation and quoting; JSON is also accepted")
	if ye, ok := yamlx.AsError(err); ok && ye.Line > 0 {
		d.Line, d.Column = ye.Line, ye.Column
	}
	if d.Line == 0 {
		d.Line, d.Column = 1, 1
	}
	return d
}

func yamlMessage(err error) string {
	if ye, ok := yamlx.AsError(err); ok {
		return ye.Message
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
