package prompt

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// Diff checks that student and teacher differ in nothing but the
// teacher's privileged block, and warns about the known pitfalls of
// self-distillation contexts (method notes §3 and §6):
//
//   - rendered with different chat templates or thinking flags (a model
//     scores a context it was not prompted with; with thinking on in one
//     and off in the other the first tokens' divergence spikes);
//   - a different system prompt, or different turns;
//   - the teacher missing the student's question or part of it, or its
//     context truncated from the left (a tokenizer with
//     truncation_side="left" and too small a max_length drops the
//     question first);
//   - any other difference outside the block, located by byte offset;
//   - a teacher with no privileged block, or a student whose context
//     holds the teacher's block;
//   - a reason-first teacher scored before its analysis, or whose context
//     ends inside the assistant turn where a thinking student opens with
//     <think> (a first-token spike).
//
// The block is found from teacher.Inserted (as Render sets it) or, when
// that is empty, from the first occurrence of teacher.Privileged in
// teacher.Text together with the whitespace before it (the separator of
// DefaultTemplate). Diff never panics, whatever the inputs.
func Diff(student, teacher Rendered) diag.List {
	var dl diag.List
	record := teacher.ID
	if record == "" {
		record = student.ID
	}
	add := func(d diag.Diagnostic) {
		d.Record = record
		dl = append(dl, d)
	}
	explained := false

	if student.Chat != teacher.Chat {
		add(diag.Errorf(CodeChatMismatch, "$.teacher.chat", "the student is rendered with the %s chat template and the teacher with %s", name(student.Chat), name(teacher.Chat)))
		explained = true
	}
	if student.Thinking != teacher.Thinking {
		msg := fmt.Sprintf("the student is rendered with thinking %s and the teacher with thinking %s", onOff(student.Thinking), onOff(teacher.Thinking))
		if hasThinkingSwitch(student.Chat) || hasThinkingSwitch(teacher.Chat) {
			add(diag.Errorf(CodeThinkingMismatch, "$.teacher.thinking", "%s: their generation prompts differ, and the context with thinking off does not expect the <think> the other opens with, so the divergence spikes at the first tokens", msg))
			explained = true
		} else {
			add(diag.Warnf(CodeThinkingMismatch, "$.teacher.thinking", "%s; the %s template ignores the flag, but the configurations disagree", msg, name(teacher.Chat)))
		}
	}

	if len(student.Messages) > 0 && len(teacher.Messages) > 0 {
		if diffMessages(student, teacher, add) {
			explained = true
		}
	}

	spans := teacher.Inserted
	if len(spans) == 0 && teacher.Privileged != "" {
		// No spans (a context built by hand, or kept as text only): take
		// the block's first occurrence and the separator before it.
		if i := strings.Index(teacher.Text, teacher.Privileged); i >= 0 {
			start := len(strings.TrimRightFunc(teacher.Text[:i], pyIsSpace))
			spans = []Span{{Start: start, End: i + len(teacher.Privileged)}}
		}
	}
	stripped, err := removeSpans(teacher.Text, spans)
	if err != nil {
		add(diag.Errorf(CodeBadSpans, "$.teacher.inserted", "%v", err))
		explained = true
	}
	if !explained && stripped != student.Text {
		diffText(student, teacher, stripped, add)
	}

	if teacher.Variant != None && teacher.Privileged == "" && len(teacher.Inserted) == 0 {
		add(diag.Warnf(CodeNoPrivileged, "$.teacher.privileged", "the teacher (variant %q) has no privileged block: it sees what the student sees, and the loss carries no signal", teacher.Variant))
	}
	if teacher.Privileged != "" && strings.Contains(student.Text, teacher.Privileged) {
		add(diag.Errorf(CodePrivilegedInStudent, "$.student.text", "the student's context contains the teacher's privileged block: the student sees the answer it is supposed to learn to produce"))
	}
	if teacher.NeedsAnalysis {
		add(diag.Warnf(CodeAnalysisPending, "$.teacher.needs_analysis", "the reason-first teacher has no analysis yet: its text is the prompt of the analysis pass; generate the analysis and call WithAnalysis before scoring"))
	}
	if teacher.Suffix != "" && teacher.Thinking && hasThinkingSwitch(teacher.Chat) {
		add(diag.Warnf(CodeFirstTokenSpike, "$.teacher.suffix", "the teacher's context continues inside the assistant turn (the reason-first analysis and transition), but with thinking on the student's completion opens with <think>, which the teacher does not expect there: the first tokens' divergence will spike; mask the completion up to </think> or skip its first tokens"))
	}
	return dl
}

// diffMessages compares the turns; it reports whether it found a
// difference (which then explains any difference of the texts).
func diffMessages(student, teacher Rendered, add func(diag.Diagnostic)) bool {
	if len(student.Messages) != len(teacher.Messages) {
		add(diag.Errorf(CodeTurnMismatch, "$.teacher.messages", "the student has %d turns and the teacher %d", len(student.Messages), len(teacher.Messages)))
		return true
	}
	if student.Turn != teacher.Turn {
		add(diag.Errorf(CodeTurnMismatch, "$.teacher.turn", "the question is turn %d for the student and turn %d for the teacher", student.Turn, teacher.Turn))
		return true
	}
	found := false
	for i := range student.Messages {
		s, t := student.Messages[i], teacher.Messages[i]
		path := "$.teacher.messages[" + strconv.Itoa(i) + "]"
		switch {
		case s.Role != t.Role:
			add(diag.Errorf(CodeTurnMismatch, path+".role", "turn %d is %q for the student and %q for the teacher", i, s.Role, t.Role))
			found = true
		case s.Content == t.Content:
		case i == teacher.Turn:
			if !strings.Contains(t.Content, s.Content) {
				add(diag.Errorf(CodeQuestionDropped, path+".content", "the teacher's turn %d does not contain the student's question in full (%s): the teacher grades an answer to a question it has not seen", i, snippet(s.Content, 0)))
				found = true
			}
		case s.Role == "system":
			add(diag.Errorf(CodeSystemPromptMismatch, path+".content", "the system prompts differ: %s for the student, %s for the teacher", snippet(s.Content, 0), snippet(t.Content, 0)))
			found = true
		default:
			add(diag.Errorf(CodeTurnMismatch, path+".content", "turn %d (%s) differs: %s for the student, %s for the teacher", i, s.Role, snippet(s.Content, 0), snippet(t.Content, 0)))
			found = true
		}
	}
	return found
}

// diffText explains why the teacher's text without its block differs
// from the student's text.
func diffText(student, teacher Rendered, stripped string, add func(diag.Diagnostic)) {
	if len(stripped) < len(student.Text) && strings.HasSuffix(student.Text, stripped) {
		k := len(student.Text) - len(stripped)
		add(diag.Errorf(CodeTruncatedLeft, "$.teacher.text", "the teacher's context lacks the first %d bytes of the student's (%s): it was truncated from the left, which drops the system prompt and the question first", k, snippet(student.Text[:k], 0)))
		return
	}
	if q := question(student); q != "" && !strings.Contains(teacher.Text, q) {
		add(diag.Errorf(CodeQuestionDropped, "$.teacher.text", "the teacher's context does not contain the student's question in full (%s)", snippet(q, 0)))
		return
	}
	if noSpace(stripped) == noSpace(student.Text) {
		add(diag.Warnf(CodeWhitespaceMismatch, "$.teacher.text", "outside the privileged block the contexts differ in whitespace only, from byte %d of the student's: the tokens around the question differ slightly (a trimming chat template such as llama3 does this to a question that ends in whitespace)", firstDiff(student.Text, stripped)))
		return
	}
	i := firstDiff(student.Text, stripped)
	add(diag.Errorf(CodeContextMismatch, "$.teacher.text", "outside the privileged block the contexts differ from byte %d of the student's: %s for the student, %s for the teacher", i, snippet(student.Text, i), snippet(stripped, i)))
}

// question returns the student's question as a chat template shows it
// (trimmed, since some templates trim turns).
func question(r Rendered) string {
	if r.Turn < 0 || r.Turn >= len(r.Messages) {
		return ""
	}
	q, _ := pyStrip(r.Messages[r.Turn].Content)
	return q
}

// removeSpans returns s without the spans, which must be in order, not
// overlapping and within s.
func removeSpans(s string, spans []Span) (string, error) {
	var b strings.Builder
	prev := 0
	for i, sp := range spans {
		if sp.Start < prev || sp.End < sp.Start || sp.End > len(s) {
			return "", fmt.Errorf("inserted span %d [%d, %d) is out of order or outside the teacher's text (%d bytes)", i, sp.Start, sp.End, len(s))
		}
		b.WriteString(s[prev:sp.Start])
		prev = sp.End
	}
	b.WriteString(s[prev:])
	return b.String(), nil
}

func firstDiff(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if pyIsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// snippet quotes up to 40 bytes of s from byte i (cut back to a rune
// boundary), with "…" when there is more.
func snippet(s string, i int) string {
	if i >= len(s) {
		return "(end)"
	}
	const n = 40
	end := min(len(s), i+n)
	for end < len(s) && end > i && !runeStart(s[end]) {
		end--
	}
	q := strconv.Quote(s[i:end])
	if end < len(s) {
		q += "…"
	}
	return q
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }

func hasThinkingSwitch(c ChatTemplate) bool {
	s, err := chatSpecFor(c)
	return err == nil && s.ThinkingSwitch
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// name quotes an empty name so that messages stay readable.
func name(c ChatTemplate) string {
	if c == "" {
		return `""`
	}
	if strings.IndexFunc(string(c), unicode.IsSpace) >= 0 {
		return strconv.Quote(string(c))
	}
	return string(c)
}
