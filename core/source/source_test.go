package source

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/diag"
)

const jsonDoc = `{
  "id": "r1",
  "rubric": [
    {"description": "a", "weight": 5},
    {"description": "b", "weight": -1},
    {"description": "é", "weight": 2, "tags": ["x", "y"]}
  ],
  "odd key": {"a\"b": 1},
  "dup": 1, "dup": 2
}`

const yamlDoc = `# a rubric
id: r1
rubric:
  - description: a
    weight: 5
  - description: b
    weight: -1
  - {description: é, weight: 2, tags: [x, y]}
"odd key":
  a"b: 1
`

func TestLocate(t *testing.T) {
	tests := []struct {
		name, doc, path string
		want            string // "line:col"
	}{
		{"json root", jsonDoc, "$", "1:1"},
		{"json key", jsonDoc, "$.id", "2:9"},
		{"json array", jsonDoc, "$.rubric", "3:13"},
		{"json element", jsonDoc, "$.rubric[1]", "5:5"},
		{"json nested", jsonDoc, "$.rubric[1].weight", "5:36"},
		{"json after multibyte", jsonDoc, "$.rubric[2].weight", "6:37"},
		{"json deep array", jsonDoc, "$.rubric[2].tags[1]", "6:54"},
		{"json missing key points at object", jsonDoc, "$.rubric[1].title", "5:5"},
		{"json index past end points at array", jsonDoc, "$.rubric[7].weight", "3:13"},
		{"json key on scalar", jsonDoc, "$.id.x", "2:9"},
		{"json quoted keys", jsonDoc, `$["odd key"]["a\"b"]`, "8:23"},
		{"json duplicate key last wins", jsonDoc, "$.dup", "9:20"},
		{"json bad path", jsonDoc, "rubric", "1:1"},
		{"json truncated", `{"a": [1, 2, {"b": `, "$.a[2].b", "1:14"},
		{"json lenient on bare garbage", `{"a": [1, ?, 3]}`, "$.a[2]", "1:14"},
		{"yaml root", yamlDoc, "$", "2:1"},
		{"yaml key", yamlDoc, "$.id", "2:5"},
		{"yaml element", yamlDoc, "$.rubric[1]", "6:5"},
		{"yaml nested", yamlDoc, "$.rubric[1].weight", "7:13"},
		{"yaml flow after multibyte", yamlDoc, "$.rubric[2].weight", "8:31"},
		{"yaml flow seq", yamlDoc, "$.rubric[2].tags[1]", "8:44"},
		{"yaml missing key points at object", yamlDoc, "$.rubric[0].title", "4:5"},
		{"yaml quoted keys", yamlDoc, `$["odd key"]["a\"b"]`, "10:8"},
		{"yaml syntax error falls back to root", "a: [1, 2\nb: 3\n", "$.b", "1:1"},
		{"json flow yaml", "{a: [1, {b: 2}]}", "$.a[1].b", "1:13"},
		{"empty", "", "$.a", "1:1"},
		{"bom", "\xef\xbb\xbf{\"a\": 1}", "$.a", "1:10"},
		{"crlf", "{\r\n\"a\": 1}", "$.a", "2:6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, c := Locate([]byte(tc.doc), tc.path)
			if got := fmt.Sprintf("%d:%d", l, c); got != tc.want {
				t.Errorf("Locate(%s) = %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"key", Key(Root, "weight"), "$.weight"},
		{"index", Index(Key(Root, "rubric"), 2), "$.rubric[2]"},
		{"odd key", Key(Root, "odd key"), `$["odd key"]`},
		{"quote", Key(Root, `a"b`), `$["a\"b"]`},
		{"empty key", Key(Root, ""), `$[""]`},
		{"digit first", Key(Root, "1a"), `$["1a"]`},
		{"dot", Key(Root, "a.b"), `$["a.b"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
			segs, err := Split(tc.got)
			if err != nil {
				t.Fatal(err)
			}
			if back := Join(segs); back != tc.got {
				t.Errorf("Join(Split(%s)) = %s", tc.got, back)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	for _, p := range []string{"", "a", "$.", "$[", "$[x]", "$[-1]", "$[+1]", `$["a"`, `$["a]`, "$a", "$[]"} {
		if _, err := Split(p); err == nil {
			t.Errorf("Split(%q): no error", p)
		}
	}
}

func TestLocateHuge(t *testing.T) {
	deep := strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20)
	if l, c := Locate([]byte(deep), "$[0][0][0]"); l != 1 || c != 4 {
		t.Errorf("deep: %d:%d", l, c)
	}
	long := `{"a": "` + strings.Repeat("x", 1<<22) + `", "b": 1}`
	if l, c := Locate([]byte(long), "$.b"); l != 1 || c != len(long)-1 {
		t.Errorf("long: %d:%d", l, c)
	}
}

func FuzzLocate(f *testing.F) {
	f.Add([]byte(jsonDoc), "$.rubric[2].weight")
	f.Add([]byte(yamlDoc), "$.rubric[1].title")
	f.Add([]byte(`{"a":[1,{"b":"\u00e9"}]}`), `$.a[1]["b"]`)
	f.Add([]byte("- a\n- {b: [1, 2]}\n"), "$[1].b[1]")
	f.Add([]byte("{\"a\": [1, 2"), "$.a[5]")
	f.Add([]byte("a: |\n  text\nb: &x {c: 1}\nd: *x\n"), "$.d.c")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		l, c := Locate(data, path)
		if l < 1 || c < 1 {
			t.Fatalf("Locate = %d:%d", l, c)
		}
		if n := 1 + strings.Count(string(data), "\n"); l > n {
			t.Fatalf("line %d past the %d lines", l, n)
		}
		if segs, err := Split(path); err == nil {
			if back := Join(segs); back != path {
				// Paths that Split accepts but Key would write
				// otherwise ($.1a) must still re-split the same.
				segs2, err := Split(back)
				if err != nil || Join(segs2) != back {
					t.Fatalf("Join(Split(%q)) = %q does not round-trip", path, back)
				}
			}
		}
	})
}

func TestPlace(t *testing.T) {
	data := []byte("a: 1\nb:\n  c: x\n")
	dl := diag.List{
		{Severity: diag.Error, Code: "z", Path: "$.b.c", Message: "m"},
		{Severity: diag.Error, Code: "y", Path: "$.a", Message: "m"},
		{Severity: diag.Error, Code: "x", Line: 9, Column: 2, Message: "keeps its own position"},
	}
	got := Place(dl, data, "f.yaml")
	want := []string{"f.yaml:1:4: error y: $.a: m", "f.yaml:3:6: error z: $.b.c: m", "f.yaml:9:2: error x: keeps its own position"}
	for i, d := range got {
		if d.String() != want[i] {
			t.Errorf("%d: %s, want %s", i, d.String(), want[i])
		}
	}
}

// EachLine numbers lines as an editor does (blank ones counted, not
// passed), strips CRLF endings and a first-line BOM.
func TestEachLine(t *testing.T) {
	var got []string
	EachLine("\ufeff{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}", func(line string, n int) {
		got = append(got, fmt.Sprintf("%d:%s", n, line))
	})
	want := []string{`1:{"a":1}`, `4:{"b":2}`, `5:{"c":3}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestInvalidUTF8(t *testing.T) {
	for in, want := range map[string]int{"": -1, "abc": -1, "a·b": -1, "ab\xffc": 2, "\xc2": 0, "ok\xc2\xb7\xe2\x9c": 4} {
		if got := InvalidUTF8([]byte(in)); got != want {
			t.Errorf("InvalidUTF8(%q) = %d, want %d", in, got, want)
		}
	}
}
