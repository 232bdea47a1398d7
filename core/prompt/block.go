package prompt

import (
	"embed"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// The teacher blocks are data: one template file per variant under
// templates/teacher/ (text/template syntax, run by the small engine in
// tmpl.go), executed with a blockData. A template may define "analysis"
// and "transition" to support the reason-first flow.
//
//go:embed templates/teacher/*.tmpl
var teacherFiles embed.FS

// blockVariants are the variants with a template file (None has none).
var blockVariants = []Variant{RCSD, RGSD, OPSD, Feedback, SingleCriterion}

var loadBlocks = sync.OnceValues(func() (map[Variant]*tmpl, error) {
	out := make(map[Variant]*tmpl)
	for _, v := range blockVariants {
		name := "templates/teacher/" + string(v) + ".tmpl"
		src, err := teacherFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		t, err := parseTemplate(string(v)+".tmpl", string(src))
		if err != nil {
			return nil, err
		}
		out[v] = t
	}
	return out, nil
})

// criterionView is a criterion as the templates see it.
type criterionView struct {
	N           int    // 1-based position in the rubric
	Title       string // the title, or "Criterion N" when it has none
	Description string
	Text        string // the description, or the title when it has none
	Weight      string // formatted as Python prints the number
	Negative    bool   // met means the bad behaviour is present
}

// blockData is what a teacher template is executed with.
type blockData struct {
	Reference   string
	Rubric      string // the criteria shown, as the RCSD JSON array
	Criteria    []criterionView
	Met         []criterionView
	Missed      []criterionView
	Pitfalls    []criterionView
	ReasonFirst bool
}

func viewOf(r *rubric.Rubric, i int) criterionView {
	c := r.Criteria[i]
	v := criterionView{N: i + 1, Title: c.Title, Description: c.Description, Text: c.Description, Weight: pyNumber(c.Weight), Negative: isNegative(c)}
	if v.Title == "" {
		v.Title = "Criterion " + strconv.Itoa(i+1)
	}
	if strings.TrimSpace(v.Text) == "" {
		v.Text = c.Title
	}
	return v
}

// isNegative reports whether meeting c is bad: its polarity says so or,
// with no polarity, its weight is negative.
func isNegative(c rubric.Criterion) bool {
	if c.Polarity != "" {
		return c.Polarity == rubric.Negative
	}
	return c.Weight < 0
}

// rarPrefixes are the description prefixes RaR data carries and the
// importer strips into Category; the RCSD array puts them back for rubrics
// imported from that format, so the teacher sees the text of the source.
var rarPrefixes = map[rubric.Category]string{
	rubric.CategoryEssential: "Essential Criteria: ",
	rubric.CategoryImportant: "Important Criteria: ",
	rubric.CategoryOptional:  "Optional Criteria: ",
	rubric.CategoryPitfall:   "Pitfall Criteria: ",
}

// rubricJSON writes the criteria at idx as the RCSD / RaR array
// [{"title": …, "description": …, "weight": …}, …], byte for byte as
// Python's json.dumps(criteria, ensure_ascii=False) writes it (", " and
// ": " separators, one line, non-ASCII unescaped). A criterion with no
// title gets "Criterion i", as the RubricHub importer names them.
func rubricJSON(r *rubric.Rubric, idx []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for k, i := range idx {
		if k > 0 {
			b.WriteString(", ")
		}
		c := r.Criteria[i]
		desc := c.Description
		if r.Format == rubric.FormatRaR {
			desc = rarPrefixes[c.Category] + desc
		}
		b.WriteString(`{"title": `)
		pyQuote(&b, viewOf(r, i).Title)
		b.WriteString(`, "description": `)
		pyQuote(&b, desc)
		b.WriteString(`, "weight": `)
		b.WriteString(pyNumber(c.Weight))
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String()
}

// pyQuote writes s as a JSON string the way Python's json.dumps does with
// ensure_ascii=False: `"` and `\` escaped, \n \r \t \b \f by name, other
// control characters below U+0020 as \u00XX, everything else verbatim.
// Invalid UTF-8 becomes U+FFFD (Python strings cannot hold it).
func pyQuote(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
}

// pyNumber formats a weight as Python prints it in JSON, for the weights
// rubrics hold: an integral value below 1e16 as an integer ("10", "-1";
// JSON sources write them so), anything else as Python's float repr
// ("0.7", "1e-05", "1e+16": positional for exponents -4 to 15, else
// scientific with a two-digit exponent), and NaN and ±Inf as json.dumps
// does ("NaN", "Infinity").
func pyNumber(w float64) string {
	switch {
	case math.IsNaN(w):
		return "NaN"
	case math.IsInf(w, 1):
		return "Infinity"
	case math.IsInf(w, -1):
		return "-Infinity"
	case w == 0:
		return "0"
	case w == math.Trunc(w) && math.Abs(w) < 1e16:
		return strconv.FormatFloat(w, 'f', -1, 64)
	}
	e := strconv.FormatFloat(w, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp >= -4 && exp < 16 {
		return strconv.FormatFloat(w, 'f', -1, 64)
	}
	return e
}
