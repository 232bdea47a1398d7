package judge

import (
	"context"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lexical is an offline heuristic judge for plain-language criteria: it
// guesses whether a response meets a criterion from the key terms they
// share. Its verdicts carry Heuristic = true and a Confidence.
//
// How it works, for one criterion c of a rubric with N criteria:
//
//  1. Key terms of c (from its Description, or Title when that is
//     empty; a "Essential Criteria:"-style prefix is dropped): content
//     words minus a stop-word list that includes rubric boilerplate
//     ("response", "mentions", "explains", "should", …), lightly stemmed
//     (plural, -ing, -ed, -ly, -ation, final e); numbers with an
//     optional unit ("37 °C", "500 mg", "1/2"); and formulas or symbols,
//     tokens mixing letters with digits or operators ("H2O", "F=ma",
//     "x^2"), matched with white space removed.
//  2. Weights, IDF-like within the rubric: w(t) = ln(1 + N/df(t)) where
//     df(t) is the number of criteria having t, times 1.5 for numbers
//     and formulas. Terms shared by many criteria say little about any
//     one of them.
//  3. The response is split into sentences (at . ! ? followed by space,
//     not after common abbreviations or inside decimals, and at line
//     breaks), with byte offsets.
//  4. Global coverage G = Σ w(terms found anywhere) / Σ w; local
//     coverage L = max over sentences of Σ w(terms in that sentence) / Σ w.
//     score = (G + L) / 2, so terms scattered over the whole response
//     count, but less than terms found together.
//  5. met = score ≥ Threshold (default 0.5). Confidence = 0.5 +
//     0.5·|score − Threshold| / max(Threshold, 1 − Threshold), capped at
//     0.9 (0.7 with a single key term, 0.6 when the best sentence is
//     negated, e.g. "do not take aspirin" against "recommends aspirin").
//  6. Negatively phrased criteria ("Does not …", "Avoids …", "Fails to
//     …", "Never …", "Refrains from …", possibly after "The response")
//     describe an absence, so met = score < Threshold: met still means
//     the described behaviour is present. Polarity (the sign of the
//     weight) does not change this: a pitfall "Recommends antibiotics"
//     is met when the response recommends antibiotics.
//
// Evidence is the best sentence when it matched any term (for a negated
// criterion that is the span that counts against it), else none.
//
// Limits, honestly: it sees words, not meaning. It misses paraphrases
// and synonyms ("go to the ER" for "seek emergency care"), cannot tell
// "recommends X" from "warns against X" beyond a crude negation cue,
// does not check correctness of numbers beyond equality, and rewards
// responses that parrot the criterion. Use it for smoke tests and
// offline previews, never as a grader of record; prefer checks (rules)
// or the llm judge when the verdict matters. It is deterministic.
type Lexical struct {
	// Threshold on score for met; 0 means 0.5.
	Threshold float64
}

// NewLexical returns a lexical judge with the default threshold.
func NewLexical() *Lexical { return &Lexical{Threshold: 0.5} }

type lexKind uint8

const (
	lexWord lexKind = iota
	lexNumber
	lexFormula
)

type lexTerm struct {
	key  string // stem, folded compact formula, or "#"+number text
	show string // as written in the criterion
	kind lexKind
	q    quantity
	w    float64
}

type lexCriterion struct {
	terms   []lexTerm
	negated bool
}

type lexSentence struct {
	start, end int
	words      map[string]bool
	compact    string // folded, white space removed
	nums       []quantity
	negated    bool
}

// Judge decides every criterion heuristically.
func (l *Lexical) Judge(_ context.Context, in *Input) []Verdict {
	if in == nil || in.Rubric == nil {
		return nil
	}
	th := l.Threshold
	if th <= 0 || th >= 1 {
		th = 0.5
	}
	crit := in.Rubric.Criteria
	lcs := make([]lexCriterion, len(crit))
	df := map[string]int{}
	for i := range crit {
		text := crit[i].Description
		if strings.TrimSpace(text) == "" {
			text = crit[i].Title
		}
		lcs[i] = extractTerms(text)
		for _, t := range lcs[i].terms {
			df[t.key]++
		}
	}
	n := float64(len(crit))
	for i := range lcs {
		for k := range lcs[i].terms {
			t := &lcs[i].terms[k]
			t.w = math.Log(1 + n/float64(df[t.key]))
			if t.kind != lexWord {
				t.w *= 1.5
			}
		}
	}
	sents := splitSentences(in.Response)
	out := make([]Verdict, len(crit))
	for i := range crit {
		out[i] = judgeLexical(crit[i].ID, &lcs[i], sents, in.Response, th)
	}
	return out
}

func judgeLexical(id string, lc *lexCriterion, sents []lexSentence, resp string, th float64) Verdict {
	v := Verdict{ID: id, Judge: KindLexical, Heuristic: true}
	if len(lc.terms) == 0 {
		v.Status, v.Explanation = StatusNotApplicable, ReasonNoTerms
		return v
	}
	var total, global float64
	found := make([]bool, len(lc.terms))
	best, bestW := -1, 0.0
	for si := range sents {
		s := &sents[si]
		var w float64
		for k := range lc.terms {
			if s.has(&lc.terms[k]) {
				w += lc.terms[k].w
				found[k] = true
			}
		}
		if w > bestW {
			best, bestW = si, w
		}
	}
	var matched, missed []string
	for k := range lc.terms {
		total += lc.terms[k].w
		if found[k] {
			global += lc.terms[k].w
			matched = append(matched, lc.terms[k].show)
		} else {
			missed = append(missed, lc.terms[k].show)
		}
	}
	G, L := global/total, bestW/total
	score := (G + L) / 2
	met := score >= th
	if lc.negated {
		met = !met
	}
	conf := 0.5 + 0.5*math.Abs(score-th)/math.Max(th, 1-th)
	capc := 0.9
	if len(lc.terms) == 1 {
		capc = 0.7
	}
	negSent := best >= 0 && sents[best].negated && !lc.negated
	if negSent {
		capc = math.Min(capc, 0.6)
	}
	conf = math.Min(conf, capc)
	conf = math.Round(conf*1000) / 1000
	v.Met = Bool(met)
	v.Confidence = &conf
	if best >= 0 {
		s := sents[best]
		v.Evidence = &Evidence{Start: s.start, End: s.end, Text: resp[s.start:s.end]}
	}
	var b strings.Builder
	b.WriteString("heuristic (lexical term overlap): score ")
	b.WriteString(strconv.FormatFloat(score, 'f', 2, 64))
	b.WriteString(" (threshold ")
	b.WriteString(strconv.FormatFloat(th, 'f', 2, 64))
	b.WriteString(")")
	if len(matched) > 0 {
		b.WriteString("; matched: " + strings.Join(matched, ", "))
	}
	if len(missed) > 0 {
		b.WriteString("; missed: " + strings.Join(missed, ", "))
	}
	if lc.negated {
		b.WriteString("; criterion is phrased negatively, so it is met when its terms are absent")
	}
	if negSent {
		b.WriteString("; the best sentence contains a negation, so the match may mean the opposite")
	}
	v.Explanation = b.String()
	return v
}

func (s *lexSentence) has(t *lexTerm) bool {
	switch t.kind {
	case lexNumber:
		for _, q := range s.nums {
			if ok, _ := sameQuantity(q, t.q, 0, 0); ok {
				return true
			}
		}
		return false
	case lexFormula:
		return strings.Contains(s.compact, t.key)
	}
	return s.words[t.key]
}

// lexStop holds function words and rubric boilerplate, already stemmed.
var lexStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be because been
	before being below between both but by can could did do does doing down during each either etc few for from further
	had has have having he her here hers him his how i if in into is it its itself just let me more most must my no nor
	not of off on once only or other our ours out over own per same she should so some such than that the their them
	then there these they this those through to too under until up upon us very via was we were what when where which
	while who whom why will with within without would yes yet you your yours e.g i.e eg ie
	response responses answer answers model assistant user mention mentions mentioned mentioning state states stated
	stating explain explains explained explaining describe describes described describing include includes included
	including provide provides provided providing give gives given giving note notes noted noting identify identifies
	identified identifying discuss discusses discussed discussing address addresses addressed addressing correct correctly
	clear clearly appropriate appropriately accurate accurately specific specifically relevant ensure ensures
	recognize recognizes recognise recognises acknowledge acknowledges indicate indicates suggest suggests
	avoid avoids avoiding fail fails failing refrain refrains never don't doesn't isn't won't criteria criterion essential
	important optional pitfall use uses using way ways something thing things make makes one two whether like well`) {
		lexStop[stem(w)] = true
		lexStop[w] = true
	}
}

// negationLead matches the start of a negatively phrased criterion.
var negationLead = []string{"does not ", "doesn't ", "do not ", "did not ", "should not ", "must not ", "avoids ", "avoid ",
	"fails to ", "fail to ", "never ", "refrains from ", "omits ", "neglects to ", "is not ", "no "}

// extractTerms finds the key terms of a criterion (see Lexical).
func extractTerms(text string) lexCriterion {
	var lc lexCriterion
	t := strings.TrimSpace(text)
	if k := strings.Index(t, "Criteria:"); k >= 0 && k < 20 {
		t = strings.TrimSpace(t[k+len("Criteria:"):])
	}
	low := strings.ToLower(t)
	for _, p := range []string{"the response ", "response ", "the answer ", "the assistant ", "the model "} {
		low = strings.TrimPrefix(low, p)
	}
	for _, p := range negationLead {
		if strings.HasPrefix(low, p) {
			lc.negated = true
			break
		}
	}
	seen := map[string]bool{}
	addTerm := func(lt lexTerm) {
		if lt.key == "" || seen[lt.key] {
			return
		}
		seen[lt.key] = true
		lc.terms = append(lc.terms, lt)
	}
	fields := strings.Fields(t)
	for fi := 0; fi < len(fields); fi++ {
		raw := strings.Trim(fields[fi], `.,;:!?"'()[]{}“”‘’`)
		if raw == "" {
			continue
		}
		// A number, maybe with a unit in the same or the next field.
		if v, end, ok := numberScan(raw, 0); ok && end > 0 {
			u, ue := unitScan(raw, end)
			if ue == len(raw) {
				show := raw
				if u == "" && fi+1 < len(fields) {
					next := strings.Trim(fields[fi+1], `.,;:!?"'()[]{}`)
					if _, ok := lookupUnit(next); ok {
						u = next
						show += " " + next
						fi++
					}
				}
				addTerm(lexTerm{key: "#" + strconv.FormatFloat(v, 'g', -1, 64) + "|" + u, show: show, kind: lexNumber, q: quantity{v: v, unit: u}})
				continue
			}
		}
		if isFormula(raw) {
			addTerm(lexTerm{key: foldString(raw), show: raw, kind: lexFormula})
			continue
		}
		for _, w := range splitWords(raw) {
			lw := strings.ToLower(w)
			if lexStop[lw] || utf8.RuneCountInString(lw) < 2 {
				continue
			}
			st := stem(lw)
			if lexStop[st] {
				continue
			}
			addTerm(lexTerm{key: st, show: lw, kind: lexWord})
		}
	}
	return lc
}

// isFormula reports whether a token mixes letters with digits or
// operators, like "H2O", "CO2", "F=ma" or "x^2".
func isFormula(s string) bool {
	letters, digits, ops := false, false, false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters = true
		case unicode.IsDigit(r):
			digits = true
		case strings.ContainsRune("=^+*/<>≤≥→_", r):
			ops = true
		}
	}
	return letters && (digits || ops)
}

// splitWords splits s into runs of letters (apostrophes inside a word
// keep it whole, "don't").
func splitWords(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || (r == '\'' || r == '’') && start >= 0 {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, strings.TrimRight(s[start:i], "'’"))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.TrimRight(s[start:], "'’"))
	}
	return out
}

// stem is a light suffix stripper for English (lower-case input):
// enough to match "recommends"/"recommended"/"recommending" and
// "hydration"/"hydrate", not a full Porter stemmer.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "sses"):
		w = w[:n-2]
	case n > 6 && strings.HasSuffix(w, "ations"):
		w = w[:n-4]
	case n > 5 && strings.HasSuffix(w, "ation"):
		w = w[:n-3]
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = undouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed"):
		w = undouble(w[:n-2])
	case n > 4 && strings.HasSuffix(w, "ly"):
		w = w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// abbreviations that end with a period but not a sentence.
var abbreviations = map[string]bool{"e.g": true, "i.e": true, "dr": true, "mr": true, "mrs": true, "ms": true, "vs": true,
	"etc": true, "approx": true, "fig": true, "no": true, "st": true, "prof": true, "inc": true, "al": true, "cf": true}

// negationCues in a response sentence.
var negationCues = map[string]bool{"not": true, "never": true, "no": true, "avoid": true, "don't": true, "doesn't": true,
	"shouldn't": true, "cannot": true, "can't": true, "without": true, "nor": true}

// splitSentences splits s into sentences with byte offsets (see Lexical).
func splitSentences(s string) []lexSentence {
	var out []lexSentence
	emit := func(a, b int) {
		for a < b {
			r, w := utf8.DecodeRuneInString(s[a:])
			if !unicode.IsSpace(r) {
				break
			}
			a += w
		}
		for b > a {
			r, w := utf8.DecodeLastRuneInString(s[a:b])
			if !unicode.IsSpace(r) {
				break
			}
			b -= w
		}
		if a < b {
			out = append(out, newSentence(s, a, b))
		}
	}
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			emit(start, i)
			start = i + 1
		case c == '.' || c == '!' || c == '?':
			if i+1 < len(s) && !(s[i+1] == ' ' || s[i+1] == '\t' || s[i+1] == '\r' || s[i+1] == '\n') {
				continue
			}
			if c == '.' {
				// The word before the period.
				w := i
				for w > start && s[w-1] != ' ' && s[w-1] != '\n' && s[w-1] != '(' {
					w--
				}
				if abbreviations[strings.ToLower(s[w:i])] {
					continue
				}
			}
			emit(start, i+1)
			start = i + 1
		}
	}
	emit(start, len(s))
	return out
}

func newSentence(s string, a, b int) lexSentence {
	text := s[a:b]
	ls := lexSentence{start: a, end: b, words: map[string]bool{}}
	for _, w := range splitWords(text) {
		lw := strings.ToLower(w)
		if negationCues[lw] {
			ls.negated = true
		}
		ls.words[stem(lw)] = true
	}
	var cb strings.Builder
	for _, r := range text {
		if !unicode.IsSpace(r) {
			cb.WriteRune(r)
		}
	}
	ls.compact = foldString(cb.String())
	scanNumbers(text, func(n numberSpan) bool {
		ls.nums = append(ls.nums, n.q)
		return true
	})
	return ls
}
