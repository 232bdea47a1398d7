package prompt

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// leakage matches phrases in which an answer refers to context only the
// teacher had: the rubric, grading criteria, a reference answer or
// solution, an answer key. A student trained on a teacher that saw them
// can learn to write "according to the rubric"; the method notes list it
// among the pitfalls. Bare "criterion" and "criteria" are not matched
// (science has a Rayleigh criterion and criteria for equilibrium); they
// count only after "according to the" or before "state", "require", ….
//
// Matching is case-insensitive and leftmost-longest, so a lead-in
// ("according to", "as stated in", "per", "based on", …) is part of the
// span when present.
var leakage = sync.OnceValue(func() *regexp.Regexp {
	const (
		leadIn = `(?:(?:according\s+to|as\s+(?:stated|required|specified|described|outlined|listed|given|noted|mentioned|shown|set\s+out)\s+(?:in|by)|per|based\s+on|following|in\s+line\s+with|consistent\s+with|guided\s+by|to\s+(?:satisfy|meet)|satisf(?:y|ies|ying)|meets?|meeting)\s+)?`
		det    = `(?:(?:the|this|that|our|my|your|these)\s+(?:(?:provided|given)\s+)?|(?:provided|given)\s+)`
		grader = `(?:grading|scoring|evaluation|marking|assessment)\s+`
		object = `(?:` +
			`(?:` + grader + `)?rubrics?(?:\s+(?:items?|criteri(?:a|on)|points?))?` + // the rubric, the grading rubric, the rubric items
			`|` + grader + `(?:criteri(?:a|on)|guidelines?|scheme|key|notes)` + // the grading criteria, the marking scheme
			`|(?:reference|model|gold)\s+(?:answer|solution|response)s?` + // the reference answer
			`|answer\s+key` +
			`|privileged\s+(?:context|information)` +
			`)`
		weakLead = `(?:according\s+to|as\s+(?:stated|required|specified|described|outlined|listed|given|noted|mentioned)\s+(?:in|by)|per|based\s+on)\s+(?:the|these|this)\s+(?:criteri(?:a|on)|guidelines)`
		asThe    = `as\s+the\s+(?:criteri(?:a|on)|rubric|reference(?:\s+(?:answer|solution))?|guidelines?|answer\s+key)\s+(?:states?|says?|requires?|notes?|specif(?:y|ies)|suggests?|demands?|asks?|puts\s+it|indicates?|mentions?|expects?)`
	)
	re := regexp.MustCompile(`(?i)\b(?:` + leadIn + det + object + `|` + weakLead + `|` + asThe + `)\b`)
	re.Longest()
	return re
})

// Leakage returns the phrases of response that refer to privileged
// context ("according to the rubric", "the reference answer", "the
// grading criteria", "as the criteria state", …), as byte spans in order,
// not overlapping, each with its text. It is a heuristic for a warning,
// not a verdict: it finds references, not copied content.
func Leakage(response string) []Span {
	if !mayLeak(response) {
		return nil
	}
	var out []Span
	for _, m := range leakage().FindAllStringIndex(response, -1) {
		out = append(out, Span{Start: m[0], End: m[1], Text: response[m[0]:m[1]]})
	}
	return out
}

// leakAnchors are words of which every match of leakage holds one (each
// alternative of the pattern names one), so text holding none cannot
// match and skips the regexp, the slow part of checking a long response.
var leakAnchors = []string{"rubric", "criteri", "guideline", "grading", "scoring", "evaluation", "marking",
	"assessment", "reference", "model", "gold", "key", "privileged"}

// mayLeak reports whether response might match leakage. Text with
// non-ASCII letters always may: (?i) folds Unicode case (the Kelvin sign
// K matches k), which a lower-casing check would miss.
func mayLeak(response string) bool {
	for i := 0; i < len(response); i++ {
		if response[i] >= 0x80 {
			return true
		}
	}
	lower := strings.ToLower(response)
	for _, a := range leakAnchors {
		if strings.Contains(lower, a) {
			return true
		}
	}
	return false
}

// CheckLeakage reports each phrase Leakage finds in response as a
// warning located by line and column (1-based, column in bytes) within
// the response.
func CheckLeakage(response string) diag.List {
	var dl diag.List
	for _, s := range Leakage(response) {
		line := 1 + strings.Count(response[:s.Start], "\n")
		col := s.Start - strings.LastIndexByte(response[:s.Start], '\n')
		d := diag.Warnf(CodeLeakage, "", "the response refers to privileged context: %s", strconv.Quote(s.Text))
		d.Hint = "the student never sees the rubric or the reference answer; a response that mentions them learned it from the teacher"
		d.Line, d.Column = line, col
		dl = append(dl, d)
	}
	return dl
}
