package yamlx

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ToJSON on the YAML rubrics and configs are written in: the expected
// JSON is what the same document means (hand-written; YAML 1.2 core
// schema as yaml.v3 resolves it).
func TestToJSON(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"scalars", "a: 1\nb: -2.5\nc: true\nd: null\ne: ~\nf: text\ng: '007'\nh: 1e3\n",
			`{"a":1,"b":-2.5,"c":true,"d":null,"e":null,"f":"text","g":"007","h":1e3}`},
		{"YAML 1.1 words stay strings", "a: yes\nb: no\nc: on\nd: off\n", `{"a":"yes","b":"no","c":"on","d":"off"}`},
		{"other int forms", "a: 0x1F\nb: 0o17\nc: +5\n", `{"a":31,"b":15,"c":5}`},
		{"float forms", "a: .5\nb: 5.\nc: -.25e2\n", `{"a":0.5,"b":5,"c":-25}`},
		{"order kept", "z: 1\na: 2\nm: 3\n", `{"z":1,"a":2,"m":3}`},
		{"nested", "criteria:\n  - id: a\n    weight: 5\n    checks: [{kind: any, terms: [x, 'y z']}]\n",
			`{"criteria":[{"id":"a","weight":5,"checks":[{"kind":"any","terms":["x","y z"]}]}]}`},
		{"block scalars", "a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n", `{"a":"line 1\nline 2\n","b":"folded text\n"}`},
		{"html characters unescaped", "a: <b> & </b>\n", `{"a":"<b> & </b>"}`},
		{"backslash text", `a: '\u003c'` + "\n", `{"a":"\\u003c"}`},
		{"anchors and aliases", "base: &b {weight: 1}\nc: *b\n", `{"base":{"weight":1},"c":{"weight":1}}`},
		{"merge keys, own keys win", "base: &b {weight: 1, category: x}\nc:\n  <<: *b\n  weight: 2\n",
			`{"base":{"weight":1,"category":"x"},"c":{"weight":2,"category":"x"}}`},
		{"timestamps stay text", "a: 2026-11-30\n", `{"a":"2026-11-30"}`},
		{"empty document", "# only a comment\n", `null`},
		{"null key", "~: 1\n", `{"null":1}`},
		{"beyond int64", "a: 12345678901234567890\n", `{"a":12345678901234567890}`},
		{"first document only", "a: 1\n---\nb: 2\n", `{"a":1}`},
	}
	for _, c := range cases {
		got, err := ToJSON([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.name, got, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: not JSON: %s", c.name, got)
		}
	}
}

// What JSON cannot hold and what is not YAML are errors at their line and
// column, worded for the person who wrote the file.
func TestErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"unclosed double quote", "a: 1\nb: \"unterminated\nc: 2\n", `line 2:4: the quoted text starting here has no closing "`},
		{"unclosed single quote", "a: 1\nb: 'it''s\n", `line 2:4: the quoted text starting here has no closing '`},
		{"tab indent", "a:\n\t- x\n", `line 2:1: a tab in the indentation (YAML indents with spaces)`},
		{"unclosed flow", "schema_version: 1\njudge: [labels\n", `line 2:8: the [ opened here is not closed`},
		{"unclosed flow mapping", "a: {x: 1\n", `line 1:4: the { opened here is not closed`},
		{"colon in value", "criteria:\n  - id: a\n    description: x: y\n", `line 3:19: a value contains ": " (quote the value, or indent a nested mapping on its own line)`},
		{"at sign", "key: @foo\n", `line 1:6: '@' cannot start a plain value: quote the value`},
		{"duplicate key", "a: 1\nb: 2\na: 3\n", `line 3:1: mapping key "a" is already defined at line 1`},
		{"infinity", "weight: .inf\n", `line 1:9: .inf is not a finite number (JSON has no infinity or NaN)`},
		{"nan", "weight: .nan\n", `line 1:9: .nan is not a finite number (JSON has no infinity or NaN)`},
		{"huge float", "weight: 1e999\n", `line 1:9: 1e999 is not a finite number (JSON has no infinity or NaN)`},
		{"non-scalar key", "? [a, b]\n: 1\n", `line 1:3: a mapping key must be a plain value, not a list or a mapping (JSON keys are strings)`},
		{"bad merge", "a:\n  <<: 3\n", `line 2:7: a merge key (<<) takes a mapping or a list of mappings`},
	}
	for _, c := range cases {
		_, err := ToJSON([]byte(c.in))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if d := cmp.Diff(c.want, err.Error()); d != "" {
			t.Errorf("%s: (-want +got)\n%s", c.name, d)
		}
	}
}

// A billion-laughs document is refused, not expanded.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := ToJSON([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("alias bomb: %v", err)
	}
}

func FuzzToJSON(f *testing.F) {
	for _, s := range []string{"a: 1\n", "- [a, {b: c}]\n", "x: &a {y: *a}\n", "a: \"b\n", "? [a]\n: 1\n", "<<: {a: 1}\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		js, err := ToJSON([]byte(s))
		if err == nil && !json.Valid(js) {
			t.Fatalf("%q gave invalid JSON %q", s, js)
		}
		if e, ok := AsError(err); ok && e.Message == "" {
			t.Fatalf("%q: empty message", s)
		}
	})
}
