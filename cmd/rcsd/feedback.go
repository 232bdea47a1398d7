package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// feedbackLegend opens the text format, once per run.
const feedbackLegend = `marks: ✓ met   ✗ not met   ⚠ pitfall present (a negative criterion met)   · pitfall avoided   ? unjudged   – not applicable
responses are numbered as response_index in the JSONL output; "lexical" verdicts are a heuristic

`

// writeFeedback renders an item's results for a person: per response its
// score and advantage, then one line per criterion with a mark, the
// weight, the criterion's id and description, the judge, and the
// evidence (for a criterion not met, what the judge looked at instead).
func writeFeedback(buf *[]byte, it *eval.Item, rs []eval.Result) {
	var b strings.Builder
	prompt := ""
	if len(it.Prompt) > 0 {
		prompt = it.Prompt[len(it.Prompt)-1].Content
	}
	fmt.Fprintf(&b, "━━ %s: %s\n", it.ID, clip(oneLine(prompt), 90))
	idWidth := 0
	for _, c := range it.Rubric.Criteria {
		idWidth = max(idWidth, min(utf8.RuneCountInString(c.ID), 16))
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "  response %d: score %s", r.ResponseIndex, fmtScore(r.Score))
		if r.Score == nil && r.Note != "" {
			fmt.Fprintf(&b, " (%s)", r.Note)
		}
		if r.Advantage != nil {
			fmt.Fprintf(&b, "   GRPO advantage %+.3f", *r.Advantage)
		}
		if r.Unjudged > 0 {
			fmt.Fprintf(&b, "   (%d unjudged)", r.Unjudged)
		}
		if r.NotApplicable > 0 {
			fmt.Fprintf(&b, "   (%d not applicable)", r.NotApplicable)
		}
		b.WriteString("\n")
		if r.ResponseIndex < len(it.Responses) {
			fmt.Fprintf(&b, "    %s\n", quote(clip(oneLine(it.Responses[r.ResponseIndex]), 100)))
		}
		for k, v := range r.Criteria {
			var c rubric.Criterion
			if k < len(it.Rubric.Criteria) {
				c = it.Rubric.Criteria[k]
			}
			fmt.Fprintf(&b, "    %s %+5.4g  %s  %s  %s\n", mark(c, v), c.Weight, pad(clip(c.ID, 16), idWidth), pad(clip(oneLine(c.Description), 56), 56), judgeNote(v))
			if v.Evidence != nil && v.Evidence.Text != "" {
				label := "evidence:"
				if v.Met != nil && !*v.Met {
					label = "saw instead:"
				}
				fmt.Fprintf(&b, "%*s%s %s\n", 15+idWidth, "", label, quote(clip(oneLine(v.Evidence.Text), 80)))
			}
			if v.Error != "" {
				fmt.Fprintf(&b, "%*serror: %s\n", 15+idWidth, "", v.Error)
			}
		}
	}
	b.WriteString("\n")
	*buf = append(*buf, b.String()...)
}

// quote wraps s in quotes without escaping it, so LaTeX such as \boxed{}
// reads as written.
func quote(s string) string { return "“" + s + "”" }

// pad right-pads s with spaces to n runes.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
}

func mark(c rubric.Criterion, v judge.Verdict) string {
	neg := c.Weight < 0 || c.Polarity == rubric.Negative
	switch {
	case v.State() == judge.StatusNotApplicable:
		return "–"
	case v.Met == nil:
		return "?"
	case *v.Met && neg:
		return "⚠"
	case *v.Met:
		return "✓"
	case neg:
		return "·"
	default:
		return "✗"
	}
}

func judgeNote(v judge.Verdict) string {
	s := string(v.Judge)
	if v.Heuristic {
		s += " heuristic"
	}
	if v.Confidence != nil {
		s += fmt.Sprintf(" (conf %.2f)", *v.Confidence)
	}
	return s
}

func fmtScore(s *float64) string {
	if s == nil {
		return "undefined"
	}
	return fmt.Sprintf("%.3f", *s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
