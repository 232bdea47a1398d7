package rubric

import "github.com/rcsd-dev/rcsd/core/source"

// SchemaVersion is the version of the project's own rubric file format.
// Files carry it as "schema_version"; older versions migrate in one place
// (see migrate in parse code), newer ones are rejected.
const SchemaVersion = 1

// Category is the RaR / RCSD criterion class. The empty string is read as
// CategoryNone.
type Category string

const (
	CategoryEssential Category = "essential"
	CategoryImportant Category = "important"
	CategoryOptional  Category = "optional"
	CategoryPitfall   Category = "pitfall"
	CategoryNone      Category = "none"
)

// Polarity says what "met" means for a criterion. For a positive criterion
// met is good. For a negative one (HealthBench's negative points, RaR's
// pitfalls) met means the bad behaviour is present, and its weight is
// negative so meeting it lowers the score.
type Polarity string

const (
	Positive Polarity = "positive"
	Negative Polarity = "negative"
)

// Format names a rubric source format the importers recognise.
type Format string

const (
	FormatRCSD        Format = "rcsd"        // the project's own file: {"schema_version": 1, "criteria": [...]}
	FormatRaR         Format = "rar"         // RCSD / Rubrics-as-Rewards array [{"title","description","weight"}]
	FormatHealthBench Format = "healthbench" // HealthBench row or its rubrics array [{"criterion","points","tags"}]
	FormatRubricHub   Format = "rubrichub"   // aliases: criterion|criteria, points|score
)

// Criterion is one thing a strong answer must (or must not) do.
type Criterion struct {
	// ID is stable within a rubric. Importers that get none assign "c1",
	// "c2", … in order.
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description"`
	// Weight is the RaR weight or HealthBench points. Negative for
	// negative criteria.
	Weight   float64  `json:"weight"`
	Category Category `json:"category,omitempty"`
	Polarity Polarity `json:"polarity,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Checks are deterministic machine checks for the rules judge. The
	// criterion is met when every check passes.
	Checks []Check `json:"checks,omitempty"`
}

// CheckKind names a deterministic check.
type CheckKind string

const (
	CheckContains CheckKind = "contains" // the one term is present
	CheckAll      CheckKind = "all"      // every term is present
	CheckAny      CheckKind = "any"      // at least one term is present
	CheckNone     CheckKind = "none"     // no term is present
	CheckRegex    CheckKind = "regex"    // Pattern (RE2) matches
	CheckBoxed    CheckKind = "boxed"    // the last \boxed{…} equals Value, or is within tolerance
	CheckNumber   CheckKind = "number"   // some number in the response is within tolerance of Value
	CheckLength   CheckKind = "length"   // Min <= length <= Max, counted in Unit
	CheckJSON     CheckKind = "json"     // the response (or its fenced block) is valid JSON
)

// Check is one deterministic test of a response. Term matching is
// case-folded and word-boundary aware.
type Check struct {
	Kind    CheckKind `json:"kind"`
	Terms   []string  `json:"terms,omitempty"`   // contains / all / any / none
	Pattern string    `json:"pattern,omitempty"` // regex (Go RE2 syntax)
	// Value is the expected answer for boxed and number: a number
	// ("3.5", "1/2", "2.5e-3", "12 cm") or, for boxed, any string compared
	// after normalisation.
	Value        string  `json:"value,omitempty"`
	Tolerance    float64 `json:"tolerance,omitempty"`     // absolute
	RelTolerance float64 `json:"rel_tolerance,omitempty"` // relative to |Value|
	Min          *int    `json:"min,omitempty"`           // length
	Max          *int    `json:"max,omitempty"`           // length
	Unit         string  `json:"unit,omitempty"`          // length: "chars" (default, Unicode code points), "words", "tokens"
}

// Rubric is a list of criteria with where it came from.
type Rubric struct {
	SchemaVersion int         `json:"schema_version"`
	ID            string      `json:"id,omitempty"`
	Title         string      `json:"title,omitempty"`
	Criteria      []Criterion `json:"criteria"`
	// Format is the format the rubric was imported from; not serialised
	// as part of the rubric itself.
	Format Format `json:"-"`
	// base is the JSON path of the criteria array in the source ("$",
	// "$.criteria", "$.rubrics"), so validation can point into the file.
	base string
}

// criterionPath returns the source path of criterion i, and of its field
// key when key is not empty. Rubrics built in code have no source; their
// paths are those of the rcsd file format.
func (r *Rubric) criterionPath(i int, key string) string {
	base := r.base
	if base == "" {
		base = "$.criteria"
	}
	p := source.Index(base, i)
	if key == "" {
		return p
	}
	if key == "weight" && r.Format == FormatHealthBench {
		key = "points"
	}
	return source.Key(p, key)
}

// Weights returns the criteria weights in order.
func (r *Rubric) Weights() []float64 {
	w := make([]float64, len(r.Criteria))
	for i, c := range r.Criteria {
		w[i] = c.Weight
	}
	return w
}

// Index returns the position of the criterion with id, or -1.
func (r *Rubric) Index(id string) int {
	for i, c := range r.Criteria {
		if c.ID == id {
			return i
		}
	}
	return -1
}
