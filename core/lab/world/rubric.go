package world

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// buildRubric writes t's rubric in rcsd's own format. Every criterion
// has exactly one check the rules judge runs; its Title is the compact
// form the model reads (CompactRubric), its Description the sentence a
// person (or an llm judge) reads.
func (t *Task) buildRubric() *rubric.Rubric {
	r := &rubric.Rubric{SchemaVersion: rubric.SchemaVersion, ID: t.ID, Format: rubric.FormatRCSD}
	for i, c := range t.Criteria {
		cr := t.criterion(c.Kind)
		cr.ID = string(c.Kind)
		cr.Weight = float64(t.Secrets.Weights[i])
		cr.Category = c.Kind.Category()
		if c.Kind.Negative() {
			cr.Polarity = rubric.Negative
		}
		r.Criteria = append(r.Criteria, cr)
	}
	return r
}

// criterion returns the title, description and check of kind k for t.
func (t *Task) criterion(k Kind) rubric.Criterion {
	f := t.Features
	terms := func(s ...string) []rubric.Check { return []rubric.Check{{Kind: rubric.CheckAny, Terms: s}} }
	contains := func(s string) []rubric.Check { return []rubric.Check{{Kind: rubric.CheckContains, Terms: []string{s}}} }
	re := func(p string) []rubric.Check { return []rubric.Check{{Kind: rubric.CheckRegex, Pattern: p}} }
	switch k {
	case KindGearActivity:
		it := activities[f.Activity].item
		return rubric.Criterion{Title: "bring the " + it, Description: "Lists the " + it + " in the gear, as every " + activities[f.Activity].name + " needs.", Checks: contains(it)}
	case KindGearSeason:
		it := seasons[f.Season].item
		return rubric.Criterion{Title: "bring the " + it, Description: "Lists the " + it + " in the gear for the " + seasons[f.Season].name + " weather.", Checks: contains(it)}
	case KindGearPlace:
		it := places[f.Place].item
		return rubric.Criterion{Title: "bring the " + it, Description: "Lists the " + it + " in the gear, needed at the " + places[f.Place].name + ".", Checks: contains(it)}
	case KindWater:
		w := strconv.Itoa(t.Water()) + " liters of water"
		return rubric.Criterion{Title: "carry " + w,
			Description: fmt.Sprintf("Says to carry %s: %d liters a day in %s for %d days.", w, seasons[f.Season].water, seasons[f.Season].name, f.Days),
			Checks:      re(`\b` + regexp.QuoteMeta(w) + `\b`)}
	case KindMeals:
		m := strconv.Itoa(t.Meals())
		return rubric.Criterion{Title: `plan \boxed{` + m + `} meals`,
			Description: fmt.Sprintf(`Gives the total of %s meals in \boxed{}: %d meals a day for %s over %d days.`, m, audiences[f.Audience].meals, audiences[f.Audience].name, f.Days),
			Checks:      []rubric.Check{{Kind: rubric.CheckBoxed, Value: m}}}
	case KindOpening:
		o := fmt.Sprintf(tones[f.Tone].opening, audiences[f.Audience].name)
		return rubric.Criterion{Title: "open with " + o, Description: "Opens with " + strconv.Quote(o) + ", the " + tones[f.Tone].name + " greeting.", Checks: re(`^` + regexp.QuoteMeta(o))}
	case KindLength:
		n, isMax := t.LengthBound()
		if isMax {
			return rubric.Criterion{Title: "at most " + strconv.Itoa(n) + " words", Description: "Keeps the brief note to at most " + strconv.Itoa(n) + " words.",
				Checks: []rubric.Check{{Kind: rubric.CheckLength, Max: &n, Unit: "words"}}}
		}
		return rubric.Criterion{Title: "at least " + strconv.Itoa(n) + " words", Description: "Writes a full note of at least " + strconv.Itoa(n) + " words.",
			Checks: []rubric.Check{{Kind: rubric.CheckLength, Min: &n, Unit: "words"}}}
	case KindPitfallAudience, KindPitfallSeason:
		tp := tips[t.unsafeTip(k)]
		who := audiences[f.Audience].name
		if k == KindPitfallSeason {
			who = "the " + seasons[f.Season].name
		}
		return rubric.Criterion{Title: "says " + tp.term, Description: "Gives the tip " + strconv.Quote(tp.text) + ", unsafe for " + who + ".", Checks: terms(tp.term)}
	case KindOrder:
		var parts, pats []string
		for _, s := range t.Secrets.Order {
			parts = append(parts, steps[s])
			pats = append(pats, `\b`+regexp.QuoteMeta(steps[s])+`\b`)
		}
		return rubric.Criterion{Title: "order " + strings.Join(parts, " > "),
			Description: "Gives the steps in this order: " + strings.Join(parts, ", then ") + ".",
			Checks:      re(`(?s)` + strings.Join(pats, `.*`))}
	case KindMeet:
		m := meetings[t.Secrets.Meet]
		return rubric.Criterion{Title: "meet at the " + m, Description: "Names the " + m + " as the meeting point.", Checks: contains(m)}
	case KindSignoff:
		s := "From " + names[t.Secrets.Name] + "."
		return rubric.Criterion{Title: "sign " + s, Description: "Ends with the sign-off " + strconv.Quote(s), Checks: re(regexp.QuoteMeta(s) + `$`)}
	case KindBannedExtra:
		e := extras[t.Secrets.Banned]
		return rubric.Criterion{Title: "packs the " + e, Description: "Packs the " + e + ", which the organizer banned.", Checks: terms(e)}
	}
	panic("world: unknown kind " + string(k))
}

// CompactRubric renders a rubric for the model's teacher context: one
// line per criterion, its weight and its title (the world's titles say
// exactly what decides the criterion), so eight criteria stay under
// about 80 tokens:
//
//	9 bring the trekking poles
//	7 carry 15 liters of water
//	-2 says swim alone
//
// It reads any rubric (a lab item read back from JSONL included);
// criteria without a title use their description.
func CompactRubric(r *rubric.Rubric) string {
	var b strings.Builder
	for i, c := range r.Criteria {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.FormatFloat(c.Weight, 'f', -1, 64))
		b.WriteByte(' ')
		if c.Title != "" {
			b.WriteString(c.Title)
		} else {
			b.WriteString(c.Description)
		}
	}
	return b.String()
}
