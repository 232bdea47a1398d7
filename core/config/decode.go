package config

import (
	"bytes"
	"encoding"
	stdjson "encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/internal/yamlx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Diagnostic codes of config files (docs/diagnostics.md, ## Config).
const (
	CodeSyntax         = "config-syntax"
	CodeEmpty          = "config-empty"
	CodeUnknownField   = "unknown-field"
	CodeWrongType      = "wrong-type"
	CodeMissingVersion = "missing-schema-version"
	CodeBadVersion     = "unsupported-schema-version"
	CodeBadValue       = "bad-value"
	CodeMissingValue   = "missing-value"
	// CodeContradiction is two settings that cannot hold together.
	CodeContradiction = "contradictory-options"
	// CodeTemperatureMismatch warns that the sampling and loss
	// temperatures differ.
	CodeTemperatureMismatch = "temperature-mismatch"
)

// Parse reads a config file, YAML or JSON, and reports every problem at
// once: syntax, unknown fields (with a "did you mean" hint), wrong types,
// the schema version and values out of their domain, each located at its
// line and column and JSON path. The config is nil when there is an error.
func Parse(file string, data []byte) (*Config, diag.List) {
	c, dl := parse(data)
	dl = source.Place(dl, data, file)
	if dl.HasErrors() {
		return nil, dl
	}
	return c, dl
}

func parse(data []byte) (*Config, diag.List) {
	if !utf8.Valid(data) {
		return nil, diag.List{diag.Errorf(CodeSyntax, "", "the config file is not valid UTF-8")}
	}
	js, d := toJSON(data)
	if d != nil {
		return nil, diag.List{*d}
	}
	dec := stdjson.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, diag.List{diag.Errorf(CodeSyntax, "", "%v", err)}
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, diag.List{withHint(diag.Errorf(CodeWrongType, source.Root, "a config file is an object, not %s", kindOf(v)), "start with schema_version: 1")}
	}
	var dl diag.List
	ver, ok := top["schema_version"]
	switch n, isNum := ver.(stdjson.Number); {
	case !ok:
		dl = append(dl, withHint(diag.Errorf(CodeMissingVersion, source.Root, "the config file has no schema_version"), fmt.Sprintf("add schema_version: %d", SchemaVersion)))
	case !isNum:
		dl = append(dl, diag.Errorf(CodeWrongType, "$.schema_version", "schema_version must be an integer, not %s", kindOf(ver)))
	default:
		if iv, err := strconv.Atoi(n.String()); err != nil || iv < 1 {
			dl = append(dl, diag.Errorf(CodeBadVersion, "$.schema_version", "schema_version %s does not exist; versions start at 1", n))
		} else if iv > SchemaVersion {
			dl = append(dl, withHint(diag.Errorf(CodeBadVersion, "$.schema_version", "schema_version %d is newer than this rcsd reads (%d)", iv, SchemaVersion), "upgrade rcsd"))
		}
	}
	shape := checkShape(v, reflect.TypeOf(Config{}), source.Root)
	dl = append(dl, shape...)
	// Decode what decodes (encoding/json keeps going past a type error)
	// and check the values too, so every problem is reported at once;
	// values under a path that already has an error are not checked again.
	var c Config
	for _, d := range shape {
		prune(v, d.Path)
	}
	if clean, err := stdjson.Marshal(v); err == nil {
		_ = stdjson.Unmarshal(clean, &c)
	}
	for _, d := range c.validate() {
		if !underAny(d.Path, shape) {
			dl = append(dl, d)
		}
	}
	if dl.HasErrors() {
		return nil, dl
	}
	migrate(&c)
	return &c, dl
}

// prune removes the value at path p from v (decoded JSON), so the rest
// decodes without it.
func prune(v any, p string) {
	segs, err := source.Split(p)
	if err != nil || len(segs) == 0 {
		return
	}
	for _, sg := range segs[:len(segs)-1] {
		switch x := v.(type) {
		case map[string]any:
			v = x[sg.Key]
		case []any:
			if sg.Index < 0 || sg.Index >= len(x) {
				return
			}
			v = x[sg.Index]
		default:
			return
		}
	}
	last := segs[len(segs)-1]
	switch x := v.(type) {
	case map[string]any:
		delete(x, last.Key)
	case []any:
		if last.Index >= 0 && last.Index < len(x) {
			x[last.Index] = nil
		}
	}
}

// underAny reports whether path p is, or is inside, the path of a
// diagnostic in dl.
func underAny(p string, dl diag.List) bool {
	for _, d := range dl {
		if p == d.Path || strings.HasPrefix(p, d.Path+".") || strings.HasPrefix(p, d.Path+"[") {
			return true
		}
	}
	return false
}

// migrate upgrades an older schema version in place; version 1 is the
// only one so far.
func migrate(c *Config) { c.SchemaVersion = SchemaVersion }

// toJSON returns data as JSON: JSON as it is, YAML converted.
func toJSON(data []byte) ([]byte, *diag.Diagnostic) {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(t) == 0 {
		d := withHint(diag.Errorf(CodeEmpty, "", "the config file is empty"), "start with schema_version: 1")
		return nil, &d
	}
	if (t[0] == '{' || t[0] == '[') && stdjson.Valid(t) {
		return t, nil
	}
	js, err := yamlx.ToJSON(data)
	if err != nil {
		d := diag.Errorf(CodeSyntax, "", "%s", err.Error())
		if ye, ok := yamlx.AsError(err); ok {
			d.Message = ye.Message
			d.Line, d.Column = ye.Line, ye.Column
		}
		return nil, &d
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		d := withHint(diag.Errorf(CodeEmpty, "", "the config file has no value"), "start with schema_version: 1")
		return nil, &d
	}
	return js, nil
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// checkShape compares a decoded JSON value with the Go type it will be
// decoded into, reporting unknown fields and wrong types with their
// paths, so that a config with several mistakes gets them all at once.
func checkShape(v any, t reflect.Type, p string) diag.List {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil // null leaves the zero value
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s, ok := v.(string)
		if !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be a string, not %s", kindOf(v))}
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return diag.List{diag.Errorf(CodeBadValue, p, "%q: %v", s, err)}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be an object, not %s", kindOf(v))}
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var dl diag.List
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				dl = append(dl, withHint(diag.Errorf(CodeUnknownField, source.Key(p, k), "unknown field %q", k), hint(k, names)))
				continue
			}
			if p == source.Root && k == "schema_version" {
				continue // checked with its own codes
			}
			dl = append(dl, checkShape(m[k], ft, source.Key(p, k))...)
		}
		return dl
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be an array, not %s", kindOf(v))}
		}
		var dl diag.List
		for i, e := range a {
			dl = append(dl, checkShape(e, t.Elem(), source.Index(p, i))...)
		}
		return dl
	case reflect.String:
		if _, ok := v.(string); !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be a string, not %s", kindOf(v))}
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be true or false, not %s", kindOf(v))}
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := v.(stdjson.Number)
		if !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be an integer, not %s", kindOf(v))}
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); err != nil {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be an integer, not %s", n)}
		}
	case reflect.Uint32, reflect.Uint, reflect.Uint64:
		n, ok := v.(stdjson.Number)
		if !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be a non-negative integer, not %s", kindOf(v))}
		}
		if _, err := strconv.ParseUint(n.String(), 10, t.Bits()); err != nil {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be an integer in [0, %d], not %s", uint64(1)<<t.Bits()-1, n)}
		}
	case reflect.Float64:
		if _, ok := v.(stdjson.Number); !ok {
			return diag.List{diag.Errorf(CodeWrongType, p, "must be a number, not %s", kindOf(v))}
		}
	}
	return nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case stdjson.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func withHint(d diag.Diagnostic, h string) diag.Diagnostic {
	d.Hint = h
	return d
}
