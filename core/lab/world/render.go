package world

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// renderPrompt writes the prompt: every feature, in words.
//
//	Write a brief note for seniors going on a 3 day winter hike at the lake.
func renderPrompt(f Features) string {
	var b strings.Builder
	b.WriteString("Write a ")
	b.WriteString(tones[f.Tone].name)
	b.WriteString(" note for ")
	b.WriteString(audiences[f.Audience].name)
	b.WriteString(" going on a ")
	b.WriteString(strconv.Itoa(f.Days))
	b.WriteString(" day ")
	b.WriteString(seasons[f.Season].name)
	b.WriteString(" ")
	b.WriteString(activities[f.Activity].name)
	if f.Place >= 0 {
		b.WriteString(" at the ")
		b.WriteString(places[f.Place].name)
	}
	b.WriteString(".")
	return b.String()
}

// Answer is an answer's content slot by slot: which pool entry each slot
// holds. Render writes it; every criterion is won or lost in one slot.
type Answer struct {
	Tone         int   `json:"tone"`          // whose opening
	ActivityItem int   `json:"activity_item"` // index into the activities; -1 leaves it out
	SeasonItem   int   `json:"season_item"`   // index into the seasons; -1 leaves it out
	PlaceItem    int   `json:"place_item"`    // index into the places; -1 leaves it out (always, without the place feature)
	Extra        int   `json:"extra"`         // index into the extras
	Water        int   `json:"water"`
	Meals        int   `json:"meals"` // written only with the meals feature
	Steps        []int `json:"steps"` // in the order written
	Meet         int   `json:"meet"`
	Tips         []int `json:"tips"`
	Name         int   `json:"name"`
}

// Span is a byte range [Start, End) of a text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Rendered is an answer's text with the span of each slot's deciding
// words: where each criterion is won or lost. A left-out item has no
// span; Slots[KindLength] is the whole text.
type Rendered struct {
	Answer Answer        `json:"answer"`
	Text   string        `json:"text"`
	Slots  map[Kind]Span `json:"slots"`
	// Tips holds the span of each tip sentence, in Answer.Tips order.
	Tips []Span `json:"tips"`
	// Met is the world's verdict on each of the task's criteria, in
	// rubric order (Write fills it; the rules judge agrees, see tests).
	Met []bool `json:"met,omitempty"`
}

// Render writes a for task t. The layout, one sentence per slot:
//
//	Dear seniors, For your 3 day winter hike at the lake, bring the
//	trekking poles, the wool hat, the water filter and the radio. Carry
//	15 liters of water. First check the forecast, then pack the bag, then
//	tell a friend, then fill the bottles. Meet at the old mill. <tips>
//	Plan \boxed{12} meals in all. From Mara.
func (a *Answer) Render(t *Task) Rendered {
	f := t.Features
	var b strings.Builder
	r := Rendered{Answer: *a, Slots: map[Kind]Span{}}
	mark := func(k Kind, s string) {
		start := b.Len()
		b.WriteString(s)
		r.Slots[k] = Span{start, b.Len()}
	}
	mark(KindOpening, fmt.Sprintf(tones[a.Tone].opening, audiences[f.Audience].name))
	b.WriteString(" For your ")
	b.WriteString(strconv.Itoa(f.Days))
	b.WriteString(" day ")
	b.WriteString(seasons[f.Season].name)
	b.WriteString(" ")
	b.WriteString(activities[f.Activity].name)
	if f.Place >= 0 {
		b.WriteString(" at the ")
		b.WriteString(places[f.Place].name)
	}
	b.WriteString(", bring ")
	type gear struct {
		k    Kind
		item string
	}
	var items []gear
	if a.ActivityItem >= 0 {
		items = append(items, gear{KindGearActivity, activities[a.ActivityItem].item})
	}
	if a.SeasonItem >= 0 {
		items = append(items, gear{KindGearSeason, seasons[a.SeasonItem].item})
	}
	if a.PlaceItem >= 0 {
		items = append(items, gear{KindGearPlace, places[a.PlaceItem].item})
	}
	items = append(items, gear{KindBannedExtra, extras[a.Extra]})
	for i, g := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString("the ")
		mark(g.k, g.item)
	}
	b.WriteString(". Carry ")
	mark(KindWater, strconv.Itoa(a.Water)+" liters of water")
	b.WriteString(". First ")
	start := b.Len()
	for i, s := range a.Steps {
		if i > 0 {
			b.WriteString(", then ")
		}
		b.WriteString(steps[s])
	}
	r.Slots[KindOrder] = Span{start, b.Len()}
	b.WriteString(". Meet at the ")
	mark(KindMeet, meetings[a.Meet])
	b.WriteString(".")
	for _, ti := range a.Tips {
		b.WriteString(" ")
		start := b.Len()
		b.WriteString(tips[ti].text)
		r.Tips = append(r.Tips, Span{start, b.Len()})
		if term := tips[ti].term; term != "" {
			k := KindPitfallSeason
			if ti < firstSeasonTip {
				k = KindPitfallAudience
			}
			if ti == t.unsafeTip(k) {
				off := start + strings.Index(strings.ToLower(tips[ti].text), term)
				r.Slots[k] = Span{off, off + len(term)}
			}
		}
	}
	if t.Difficulty.Meals {
		b.WriteString(` Plan \boxed{`)
		mark(KindMeals, strconv.Itoa(a.Meals))
		b.WriteString("} meals in all.")
	}
	b.WriteString(" ")
	mark(KindSignoff, "From "+names[a.Name]+".")
	r.Text = b.String()
	r.Slots[KindLength] = Span{0, len(r.Text)}
	return r
}

// unsafeTip is the tip the pitfall of kind k (audience or season) is
// about for t.
func (t *Task) unsafeTip(k Kind) int {
	if k == KindPitfallAudience {
		return audienceTip(t.Features.Audience)
	}
	return seasonTip(t.Features.Season)
}

// Words counts words as the rules judge's length check does (runs of
// non-space).
func Words(s string) int { return len(strings.Fields(s)) }

// baseWords is the word count of any of t's answers with every slot
// filled and no tips (pool entries of a slot have equal word counts).
func (t *Task) baseWords() int {
	a := t.Correct()
	a.Tips = nil
	return Words(a.Render(t).Text)
}

// LengthBound returns the length criterion's bound in words and whether
// it is a maximum (brief) or a minimum.
func (t *Task) LengthBound() (n int, max bool) {
	if tones[t.Features.Tone].brief {
		return t.base + t.Secrets.Slack, true
	}
	return t.base + t.Secrets.Slack, false
}

// Correct returns the answer that meets every positive criterion the
// world can state for t and no pitfall, with no tips.
func (t *Task) Correct() Answer {
	f := t.Features
	a := Answer{
		Tone: f.Tone, ActivityItem: f.Activity, SeasonItem: f.Season, PlaceItem: f.Place,
		Extra: (t.Secrets.Banned + 1) % len(extras), Water: t.Water(), Meals: t.Meals(),
		Steps: append([]int(nil), t.Secrets.Order...), Meet: t.Secrets.Meet, Name: t.Secrets.Name,
	}
	return a
}

// Write draws an answer to t that meets criterion i exactly when want[i]
// (a pitfall "met" is the bad behaviour: want[i] true writes its tip or
// extra). Slots no criterion of the rubric is about are guessed at
// random from the world's pools, as a model that had not read the rubric
// would; want nil asks for every positive criterion met and no pitfall.
// The length criterion cannot always be met as asked (two pitfall tips
// may not fit a brief note): Rendered.Met says what the answer does, and
// the rules judge agrees with it exactly.
func (t *Task) Write(rng *rand.Rand, want []bool) Rendered {
	return t.write(t.guess(rng), want, rng)
}

// Ideal draws a reference answer: every slot right by the world's rules
// and the task's secrets (whether the rubric asks or not), only safe
// tips, and the length criterion met.
func (t *Task) Ideal(rng *rand.Rand) Rendered {
	a := t.Correct()
	n := rng.IntN(t.Difficulty.MaxTips + 1)
	for _, j := range rng.Perm(len(tips) - firstSafeTip)[:min(n, len(tips)-firstSafeTip)] {
		a.Tips = append(a.Tips, firstSafeTip+j)
	}
	return t.write(a, nil, rng)
}

func (t *Task) write(a Answer, want []bool, rng *rand.Rand) Rendered {
	if want == nil {
		want = make([]bool, len(t.Criteria))
		for i, c := range t.Criteria {
			want[i] = !c.Kind.Negative()
		}
	}
	f := t.Features
	lengthWant, hasLength := false, false
	for i, c := range t.Criteria {
		w := want[i]
		switch c.Kind {
		case KindGearActivity:
			a.ActivityItem = pick(rng, f.Activity, len(activities), w)
		case KindGearSeason:
			a.SeasonItem = pick(rng, f.Season, len(seasons), w)
		case KindGearPlace:
			a.PlaceItem = pick(rng, f.Place, len(places), w)
		case KindWater:
			a.Water = f.Days * seasons[pick(rng, f.Season, len(seasons), w)].water
		case KindMeals:
			a.Meals = f.Days * audiences[pick(rng, f.Audience, len(audiences), w)].meals
		case KindOpening:
			a.Tone = pick(rng, f.Tone, len(tones), w)
		case KindOrder:
			a.Steps = append(a.Steps[:0], t.Secrets.Order...)
			if !w {
				for equalInts(a.Steps, t.Secrets.Order) {
					rng.Shuffle(len(a.Steps), func(i, j int) { a.Steps[i], a.Steps[j] = a.Steps[j], a.Steps[i] })
				}
			}
		case KindMeet:
			a.Meet = pick(rng, t.Secrets.Meet, len(meetings), w)
		case KindSignoff:
			a.Name = pick(rng, t.Secrets.Name, len(names), w)
		case KindBannedExtra:
			a.Extra = pick(rng, t.Secrets.Banned, len(extras), w)
		case KindLength:
			lengthWant, hasLength = w, true
		}
	}
	// Tips: the pitfall tips the rubric asks about are in or out as
	// wanted, the others as guessed; then the length criterion adds or
	// drops safe tips.
	a.Tips = t.fixTips(a.Tips, want, rng)
	if hasLength {
		a.Tips = t.fitLength(a, lengthWant, rng)
	}
	r := a.Render(t)
	r.Met = t.met(&a, r.Text)
	return r
}

// guess fills every slot at random from the pools, as an answer written
// without the rubric; the prompt's own words (days, audience, activity)
// are always right.
func (t *Task) guess(rng *rand.Rand) Answer {
	f := t.Features
	a := Answer{
		Tone:         rng.IntN(len(tones)),
		ActivityItem: rng.IntN(len(activities)),
		SeasonItem:   rng.IntN(len(seasons)),
		PlaceItem:    -1,
		Extra:        rng.IntN(len(extras)),
		Water:        f.Days * seasons[rng.IntN(len(seasons))].water,
		Meals:        f.Days * audiences[rng.IntN(len(audiences))].meals,
		Meet:         rng.IntN(len(meetings)),
		Name:         rng.IntN(len(names)),
	}
	if f.Place >= 0 {
		a.PlaceItem = rng.IntN(len(places))
	}
	order := activities[f.Activity].steps[:t.Difficulty.Steps]
	for _, j := range rng.Perm(len(order)) {
		a.Steps = append(a.Steps, order[j])
	}
	n := rng.IntN(t.Difficulty.MaxTips + 1)
	for _, j := range rng.Perm(len(tips))[:n] {
		a.Tips = append(a.Tips, j)
	}
	return a
}

// pick returns right when ok, else another index in [0, n).
func pick(rng *rand.Rand, right, n int, ok bool) int {
	if ok {
		return right
	}
	j := rng.IntN(n - 1)
	if j >= right {
		j++
	}
	return j
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fixTips puts the unsafe tips of the rubric's pitfalls in or out.
func (t *Task) fixTips(in []int, want []bool, rng *rand.Rand) []int {
	out := append([]int(nil), in...)
	for i, c := range t.Criteria {
		if c.Kind != KindPitfallAudience && c.Kind != KindPitfallSeason {
			continue
		}
		u := t.unsafeTip(c.Kind)
		at := indexOf(out, u)
		switch {
		case want[i] && at < 0:
			p := rng.IntN(len(out) + 1)
			out = append(out[:p], append([]int{u}, out[p:]...)...)
		case !want[i] && at >= 0:
			out = append(out[:at], out[at+1:]...)
		}
	}
	return out
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// margin is the distance in words an answer keeps from its length bound
// when the bound is meant to hold or fail, so that one edit of a few
// words (a tip added, an item left out) never flips the length verdict.
const margin = 6

// fitLength adds or drops safe tips (never a pitfall's tip) so that the
// tips' words put the answer on the wanted side of the bound, at least
// margin words from it where the pitfall tips allow.
func (t *Task) fitLength(a Answer, want bool, rng *rand.Rand) []int {
	n, isMax := t.LengthBound()
	words := func(ts []int) int {
		w := t.base
		for _, i := range ts {
			w += Words(tips[i].text)
		}
		return w
	}
	locked := func(i int) bool { // a tip a pitfall of the rubric decides
		for _, c := range t.Criteria {
			if (c.Kind == KindPitfallAudience || c.Kind == KindPitfallSeason) && t.unsafeTip(c.Kind) == i {
				return true
			}
		}
		return false
	}
	// free lists the safe tips not yet in ts, in random order.
	free := func(ts []int) []int {
		var out []int
		for _, j := range rng.Perm(len(tips)) {
			if j >= firstSafeTip && indexOf(ts, j) < 0 {
				out = append(out, j)
			}
		}
		return out
	}
	ts := append([]int(nil), a.Tips...)
	// shrink drops unlocked tips until words(ts) <= limit.
	shrink := func(limit int) {
		for i := len(ts) - 1; i >= 0 && words(ts) > limit; i-- {
			if !locked(ts[i]) {
				ts = append(ts[:i], ts[i+1:]...)
			}
		}
	}
	// grow adds safe tips until words(ts) >= limit.
	grow := func(limit int) {
		for _, j := range free(ts) {
			if words(ts) >= limit {
				break
			}
			ts = append(ts, j)
		}
	}
	switch {
	case isMax && want: // at most n words
		shrink(n - margin)
	case isMax && !want:
		grow(n + 1 + margin)
	case !isMax && want: // at least n words
		grow(n + margin)
	default:
		shrink(n - 1 - margin)
	}
	return ts
}

// met is the world's verdict on each criterion of t for answer a
// rendered as text.
func (t *Task) met(a *Answer, text string) []bool {
	f := t.Features
	out := make([]bool, len(t.Criteria))
	for i, c := range t.Criteria {
		var m bool
		switch c.Kind {
		case KindGearActivity:
			m = a.ActivityItem == f.Activity
		case KindGearSeason:
			m = a.SeasonItem == f.Season
		case KindGearPlace:
			m = a.PlaceItem == f.Place
		case KindWater:
			m = a.Water == t.Water()
		case KindMeals:
			m = a.Meals == t.Meals()
		case KindOpening:
			m = a.Tone == f.Tone
		case KindLength:
			n, isMax := t.LengthBound()
			w := Words(text)
			if isMax {
				m = w <= n
			} else {
				m = w >= n
			}
		case KindPitfallAudience, KindPitfallSeason:
			m = indexOf(a.Tips, t.unsafeTip(c.Kind)) >= 0
		case KindOrder:
			m = equalInts(a.Steps, t.Secrets.Order)
		case KindMeet:
			m = a.Meet == t.Secrets.Meet
		case KindSignoff:
			m = a.Name == t.Secrets.Name
		case KindBannedExtra:
			m = a.Extra == t.Secrets.Banned
		}
		out[i] = m
	}
	return out
}

// Guess draws an answer written from the prompt alone by a writer that
// knows the answer's shape but none of the world's rules: every slot
// guessed from its pool (the floor of a student).
func (t *Task) Guess(rng *rand.Rand) Rendered {
	a := t.guess(rng)
	r := a.Render(t)
	r.Met = t.met(&a, r.Text)
	return r
}

// Informed draws the best answer written from the prompt alone: every
// slot the prompt decides right (items, water, meals, opening, no unsafe
// tip, short when brief and long otherwise), the rubric-only slots
// guessed. Its score is the ceiling a student that never sees the rubric
// can reach; the gap to the reference is what only the rubric can teach.
func (t *Task) Informed(rng *rand.Rand) Rendered {
	a := t.guess(rng)
	c := t.Correct()
	a.Tone, a.ActivityItem, a.SeasonItem, a.PlaceItem = c.Tone, c.ActivityItem, c.SeasonItem, c.PlaceItem
	a.Water, a.Meals = c.Water, c.Meals
	a.Tips = a.Tips[:0]
	if !tones[t.Features.Tone].brief {
		for j := firstSafeTip; j < len(tips); j++ {
			a.Tips = append(a.Tips, j)
		}
	}
	r := a.Render(t)
	r.Met = t.met(&a, r.Text)
	return r
}
