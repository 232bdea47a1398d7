package rubric

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/source"
)

// elem is one criterion as found in any importable format: every alias
// is a field, absent (or null) fields are nil. The fast path decodes
// straight into it with go-json; the slow path fills it field by field,
// reporting type errors. Both then go through build, so the two paths
// agree on everything that is not a decoding error.
type elem struct {
	ID          *string   `json:"id"`
	Title       *string   `json:"title"`
	Description *string   `json:"description"`
	Criterion   *string   `json:"criterion"`
	Criteria    *string   `json:"criteria"`
	Weight      *float64  `json:"weight"`
	Points      *float64  `json:"points"`
	Score       *float64  `json:"score"`
	Category    *string   `json:"category"`
	Polarity    *string   `json:"polarity"`
	Tags        *[]string `json:"tags"`
	Checks      *[]Check  `json:"checks"`
}

// key bits, in the order of elemKeys.
const (
	kID = 1 << iota
	kTitle
	kDescription
	kCriterion
	kCriteria
	kWeight
	kPoints
	kScore
	kCategory
	kPolarity
	kTags
	kChecks
)

var elemKeys = []string{"id", "title", "description", "criterion", "criteria", "weight", "points", "score", "category", "polarity", "tags", "checks"}

const (
	descKeys   = kDescription | kCriterion | kCriteria
	weightKeys = kWeight | kPoints | kScore
)

func (e *elem) keys() int {
	k := 0
	set := func(present bool, bit int) {
		if present {
			k |= bit
		}
	}
	set(e.ID != nil, kID)
	set(e.Title != nil, kTitle)
	set(e.Description != nil, kDescription)
	set(e.Criterion != nil, kCriterion)
	set(e.Criteria != nil, kCriteria)
	set(e.Weight != nil, kWeight)
	set(e.Points != nil, kPoints)
	set(e.Score != nil, kScore)
	set(e.Category != nil, kCategory)
	set(e.Polarity != nil, kPolarity)
	set(e.Tags != nil, kTags)
	set(e.Checks != nil, kChecks)
	return k
}

// shape is what one format allows in a criterion.
type shape struct {
	format   Format
	allowed  int
	required []int // each entry: one of these bits must be present
}

// shapes in order of preference: when an element fits several formats
// the first wins (a {title, description, weight} array is RaR, though
// RubricHub would read it the same way).
var shapes = []shape{
	{FormatRaR, kTitle | kDescription | kWeight, []int{kDescription, kWeight}},
	{FormatHealthBench, kCriterion | kPoints | kTags, []int{kCriterion, kPoints}},
	{FormatRCSD, kID | kTitle | kDescription | kWeight | kCategory | kPolarity | kTags | kChecks, []int{kDescription, kWeight}},
	{FormatRubricHub, kTitle | descKeys | weightKeys, []int{descKeys}},
}

func shapeOf(f Format) shape {
	for _, s := range shapes {
		if s.format == f {
			return s
		}
	}
	panic("rubric: no shape for format " + string(f))
}

// fits reports whether an element with keys k can be read as s.
func (s shape) fits(k int) bool {
	if k&^s.allowed != 0 {
		return false
	}
	for _, r := range s.required {
		if k&r == 0 {
			return false
		}
	}
	// RubricHub aliases: one of each group.
	return onesIn(k&descKeys) <= 1 && onesIn(k&weightKeys) <= 1
}

func onesIn(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func keyNames(k int) string {
	var names []string
	for i, name := range elemKeys {
		if k&(1<<i) != 0 {
			names = append(names, strconv.Quote(name))
		}
	}
	return strings.Join(names, ", ")
}

func formatsOf(mask int) string {
	var names []string
	for i, s := range shapes {
		if mask&(1<<i) != 0 {
			names = append(names, string(s.format))
		}
	}
	return strings.Join(names, ", ")
}

// input is the decoded document, whatever its path.
type input struct {
	own      bool // the project's own file: criteria must be rcsd criteria
	version  *int // own: schema_version, nil when missing
	id       string
	title    string
	format   Format // HealthBench row: FormatHealthBench hint for empty arrays
	base     string // path of the criteria array
	elems    []*elem
	unknown  [][]string // per element: keys matching no criterion field (slow path)
	mistyped []int      // per element: key bits present with a wrong type (slow path)
	versionP string     // path of schema_version
}

// build turns decoded elements into a rubric, detecting the format and
// reporting every problem that is not a decoding error.
func build(in *input, dl diag.List) (*Rubric, diag.List) {
	r := &Rubric{SchemaVersion: SchemaVersion, ID: in.id, Title: in.title, base: in.base}
	if in.own {
		r.Format = FormatRCSD
		dl = checkVersion(in, dl)
	}
	n := len(in.elems)
	keys := make([]int, n)
	cands := make([]int, n) // bit i: fits shapes[i]
	for i, e := range in.elems {
		if e == nil {
			continue
		}
		p := source.Index(in.base, i)
		if i < len(in.unknown) {
			for _, k := range in.unknown[i] {
				dl = append(dl, unknownField(k, p, in.own))
			}
		}
		keys[i] = e.keys()
		if i < len(in.mistyped) {
			keys[i] |= in.mistyped[i]
		}
		if in.own {
			s := shapeOf(FormatRCSD)
			for j, name := range elemKeys {
				if keys[i]&(1<<j) != 0 && s.allowed&(1<<j) == 0 {
					dl = append(dl, unknownField(name, p, true))
				}
			}
			for _, r := range s.required {
				if keys[i]&r == 0 {
					dl = append(dl, diag.Errorf(CodeMissingField, p, "criterion has no %s", keyNames(r)))
				}
			}
			continue
		}
		for j, s := range shapes {
			if s.fits(keys[i]) {
				cands[i] |= 1 << j
			}
		}
		if cands[i] == 0 {
			dl = append(dl, whyNoFormat(keys[i], p))
		}
	}
	// One format for the whole array.
	common, first := -1, -1
	if !in.own {
		for i, c := range cands {
			if c == 0 {
				continue
			}
			if first < 0 {
				common, first = c, i
				continue
			}
			if common&c == 0 {
				dl = append(dl, withHint(diag.Errorf(CodeMixedFormats, source.Index(in.base, i),
					"criterion is %s, but %s is %s; a rubric uses one format",
					preferred(c), source.Index(in.base, first), preferred(common)), "write every criterion with the keys of one format"))
				break
			}
			common &= c
		}
		switch {
		case common > 0:
			r.Format = preferred(common)
		case in.format != "":
			r.Format = in.format
		default:
			r.Format = FormatRaR
		}
	}
	mixedWeights := false
	if r.Format == FormatRubricHub {
		with := 0
		for _, k := range keys {
			if k&weightKeys != 0 {
				with++
			}
		}
		mixedWeights = with > 0 && with < n
	}
	r.Criteria = make([]Criterion, 0, n)
	for i, e := range in.elems {
		if e == nil || !in.own && cands[i] == 0 {
			continue
		}
		f := r.Format
		if !in.own && cands[i]&formatBit(f) == 0 {
			f = preferred(cands[i]) // mixed formats: read it as what it is
		}
		c := convert(e, i, f)
		if mixedWeights && keys[i]&weightKeys == 0 {
			dl = append(dl, withHint(diag.Warnf(CodeDefaultWeight, source.Index(in.base, i),
				"criterion has no weight, so RubricHub's default 1 is used, while others have one"), `give it a "weight"`))
		}
		r.Criteria = append(r.Criteria, c)
	}
	return r, dl
}

func formatBit(f Format) int {
	for i, s := range shapes {
		if s.format == f {
			return 1 << i
		}
	}
	return 0
}

func preferred(mask int) Format {
	for i, s := range shapes {
		if mask&(1<<i) != 0 {
			return s.format
		}
	}
	return ""
}

// whyNoFormat explains why an element fits no format.
func whyNoFormat(k int, p string) diag.Diagnostic {
	if k&descKeys == 0 {
		return withHint(diag.Errorf(CodeMissingField, p, "criterion has no description"), `give "description" (RaR, rcsd) or "criterion" (HealthBench)`)
	}
	if g := k & descKeys; onesIn(g) > 1 {
		return withHint(diag.Errorf(CodeAmbiguousFormat, p, "criterion has both %s; they are aliases of one field", keyNames(g)), "keep one")
	}
	if g := k & weightKeys; onesIn(g) > 1 {
		return withHint(diag.Errorf(CodeAmbiguousFormat, p, "criterion mixes %s: %s is ambiguous", keyNames(g), describeWeights(g)), "keep one")
	}
	var why []string
	for _, s := range shapes {
		if k&s.allowed == 0 {
			continue
		}
		var parts []string
		if extra := k &^ s.allowed; extra != 0 {
			parts = append(parts, "has no "+keyNames(extra))
		}
		for _, r := range s.required {
			if k&r == 0 {
				parts = append(parts, "needs "+keyNames(r))
			}
		}
		why = append(why, string(s.format)+" "+strings.Join(parts, " and "))
	}
	return withHint(diag.Errorf(CodeAmbiguousFormat, p, "criterion with keys %s fits no format: %s", keyNames(k), strings.Join(why, "; ")), "use the keys of one format; see docs/rubric-format.md")
}

func describeWeights(g int) string {
	var parts []string
	if g&kWeight != 0 {
		parts = append(parts, `"weight" (rar, rcsd)`)
	}
	if g&kPoints != 0 {
		parts = append(parts, `"points" (healthbench)`)
	}
	if g&kScore != 0 {
		parts = append(parts, `"score" (rubrichub)`)
	}
	return "it could be " + strings.Join(parts, " or ")
}

func checkVersion(in *input, dl diag.List) diag.List {
	switch {
	case in.version == nil:
		dl = append(dl, withHint(diag.Errorf(CodeMissingVersion, in.versionP, "rubric file has no schema_version"), fmt.Sprintf(`add "schema_version": %d`, SchemaVersion)))
	case *in.version > SchemaVersion:
		dl = append(dl, withHint(diag.Errorf(CodeBadVersion, in.versionP, "schema_version %d is newer than this rcsd reads (%d)", *in.version, SchemaVersion), "upgrade rcsd"))
	case *in.version < 1:
		dl = append(dl, diag.Errorf(CodeBadVersion, in.versionP, "schema_version %d does not exist; versions start at 1", *in.version))
	default:
		migrate(*in.version, in)
	}
	return dl
}

// migrate upgrades a decoded file of an older schema version to the
// current one in place. Every older version's changes go here, and only
// here. Version 1 is current, so there is nothing to do yet.
func migrate(version int, in *input) {
	switch version {
	case SchemaVersion:
	}
}

// convert reads e as format f; i is its position (ids and titles are
// numbered from 1).
func convert(e *elem, i int, f Format) Criterion {
	var c Criterion
	if e.ID != nil {
		c.ID = *e.ID
	} else {
		c.ID = "c" + strconv.Itoa(i+1)
	}
	if e.Title != nil {
		c.Title = *e.Title
	} else if f == FormatRubricHub {
		c.Title = "Criterion " + strconv.Itoa(i+1)
	}
	switch {
	case e.Description != nil:
		c.Description = *e.Description
	case e.Criterion != nil:
		c.Description = *e.Criterion
	case e.Criteria != nil:
		c.Description = *e.Criteria
	}
	switch {
	case e.Weight != nil:
		c.Weight = *e.Weight
	case e.Points != nil:
		c.Weight = *e.Points
	case e.Score != nil:
		c.Weight = *e.Score
	case f == FormatRubricHub:
		c.Weight = 1
	}
	if e.Category != nil {
		c.Category = Category(*e.Category)
	} else if f != FormatHealthBench {
		c.Category, c.Description = splitCategory(c.Description)
	}
	if e.Polarity != nil {
		c.Polarity = Polarity(*e.Polarity)
	} else if c.Weight < 0 {
		c.Polarity = Negative
	} else if !math.IsNaN(c.Weight) {
		c.Polarity = Positive
	}
	if e.Tags != nil {
		c.Tags = *e.Tags
	}
	if e.Checks != nil {
		c.Checks = *e.Checks
	}
	return c
}

var categoryPrefixes = []struct {
	prefix string
	cat    Category
}{
	{"essential criteria:", CategoryEssential},
	{"important criteria:", CategoryImportant},
	{"optional criteria:", CategoryOptional},
	{"pitfall criteria:", CategoryPitfall},
}

// splitCategory strips an RaR category prefix ("Essential Criteria: …",
// any case) from d.
func splitCategory(d string) (Category, string) {
	t := strings.TrimLeft(d, " \t")
	for _, p := range categoryPrefixes {
		if len(t) >= len(p.prefix) && strings.EqualFold(t[:len(p.prefix)], p.prefix) {
			return p.cat, strings.TrimSpace(t[len(p.prefix):])
		}
	}
	return "", d
}

func unknownField(k, p string, own bool) diag.Diagnostic {
	d := diag.Errorf(CodeUnknownField, source.Key(p, k), "unknown field %q in a criterion", k)
	valid := elemKeys
	if own {
		valid = []string{"id", "title", "description", "weight", "category", "polarity", "tags", "checks"}
		switch strings.ToLower(k) {
		case "points", "score":
			return withHint(d, `the rcsd format calls it "weight"`)
		case "criterion", "criteria":
			return withHint(d, `the rcsd format calls it "description"`)
		}
	}
	return withHint(d, didYouMean(k, valid))
}

func withHint(d diag.Diagnostic, hint string) diag.Diagnostic {
	d.Hint = hint
	return d
}
