package export

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
)

// Unused marks a knob that is not part of a training run in the target
// (judge and scoring settings: a self-distillation run has no reward).
const Unused Status = "unused"

// builder collects the mappings of one target.
type builder struct {
	target Target
	maps   []Mapping
}

func (b *builder) add(knob, value, key string, v any, st Status, note, src string) {
	b.maps = append(b.maps, Mapping{Knob: knob, Value: value, Key: key, Target: v, Status: st, Note: note, Source: src})
}

func (b *builder) mapped(knob, value, key string, v any, note, src string) {
	b.add(knob, value, key, v, Mapped, note, src)
}

func (b *builder) conv(knob, value, key string, v any, note, src string) {
	b.add(knob, value, key, v, Converted, note, src)
}

func (b *builder) fixed(key string, v any, note, src string) {
	b.add("(method)", "", key, v, Fixed, note, src)
}

func (b *builder) approx(knob, value, key string, v any, note, src string) {
	b.add(knob, value, key, v, Approximated, note, src)
}

func (b *builder) cannot(knob, value, note, src string) {
	b.add(knob, value, "", nil, Unmappable, note, src)
}

func (b *builder) fail(knob, value, note, src string) {
	b.add(knob, value, "", nil, Inexpressible, note, src)
}

// diagnostics turns approximated and unmappable knobs into warnings,
// inexpressible ones into errors and unused ones into notes.
func (b *builder) diagnostics() diag.List {
	dl := diag.List{}
	for _, m := range b.maps {
		path := "$"
		if !strings.HasPrefix(m.Knob, "(") {
			path = "$." + m.Knob
		}
		var d diag.Diagnostic
		switch m.Status {
		case Approximated:
			d = diag.Warnf(CodeApproximate, path, "%s approximates %s = %s with %s = %s: %s", b.target, m.Knob, m.Value, m.Key, formatValue(m.Target), m.Note)
		case Unmappable:
			d = diag.Warnf(CodeUnmappable, path, "%s cannot express %s = %s: %s", b.target, m.Knob, m.Value, m.Note)
		case Inexpressible:
			d = diag.Errorf(CodeCannot, path, "%s cannot run %s = %s: %s", b.target, m.Knob, m.Value, m.Note)
		case Unused:
			d = diag.Diagnostic{Severity: diag.Info, Code: CodeNotUsed, Path: path, Message: fmt.Sprintf("%s = %s is not exported: %s", m.Knob, m.Value, m.Note)}
		default:
			continue
		}
		dl = append(dl, d)
	}
	return dl
}

// notUsed records the judge and scoring settings, which no
// self-distillation run reads.
func (b *builder) notUsed(c *config.Config) {
	const note = "a self-distillation run has no reward; score checkpoints offline with rcsd eval --config"
	if c.Judge != (config.Judge{}) {
		v := string(c.Judge.Kind)
		if v == "" {
			v = "auto"
		}
		b.add("judge", v, "", nil, Unused, note, "")
	}
	if c.Scoring.Rule != "" || c.Scoring.GRPO != "" {
		v := string(c.Scoring.Rule)
		if c.Scoring.GRPO != "" {
			v = strings.TrimPrefix(v+", grpo "+c.Scoring.GRPO, ", ")
		}
		b.add("scoring", v, "", nil, Unused, note, "")
	}
}

// entries are the keys written, in order, each once (the first mapping
// of a key wins; later ones only document that they share it).
func (b *builder) entries() []Mapping {
	var out []Mapping
	seen := map[string]bool{}
	for _, m := range b.maps {
		if m.Key == "" || seen[m.Key] {
			continue
		}
		switch m.Status {
		case Mapped, Converted, Fixed, Approximated:
			seen[m.Key] = true
			out = append(out, m)
		}
	}
	return out
}

// formatValue writes a mapping's value as the exported files do.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return fnum(x)
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + formatValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// fnum writes a float the way Python's YAML and JSON readers take as a
// float: always with a decimal point, never in exponent form (PyYAML
// reads "1e-05" as a string).
func fnum(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return fmt.Sprint(x)
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// rate converts an EMA decay d (θ_T ← d·θ_T + (1 − d)·θ_S) to the update
// rate α = 1 − d that TRL and verl take (θ_T ← (1 − α)·θ_T + α·θ_S),
// rounded to 12 significant digits so 1 − 0.999 is 0.001.
func rate(d float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(1-d, 'g', 12, 64), 64)
	return r
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func itoa(i int) string { return strconv.Itoa(i) }
