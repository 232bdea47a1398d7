package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/prompt"
)

const teacherHelp = `
Usage: rcsd teacher [flags] ITEMS.jsonl|-

Print what the student and the teacher see for every item: the same
conversation rendered with one chat template, the teacher's with the
privileged block (rubric, reference answer, feedback …) added. The two
are checked to differ in nothing else (a different chat template,
thinking flag or a truncated question is the commonest RCSD bug).

Teacher variants (--variant):
  rcsd              question + reference answer + the rubric as a JSON array (default)
  rgsd              the rubric as numbered "(weight w) criterion" lines
  opsd              the reference solution only
  feedback          the judge's verdicts on each response, as a critique
  single-criterion  one criterion (--criterion ID), for attribution
  none              the student's own context (a check: the loss is 0)

Chat templates (--chat): chatml, qwen3 (--thinking on/off), llama3, plain
(the embedded demo model's). Pick the one of the model you train.

In the text format, the teacher's lines that the student does not have are
marked with '+' in the margin.

Examples:
  rcsd teacher --chat qwen3 examples/science.jsonl
  rcsd teacher --variant rgsd --chat llama3 --format json examples/math.jsonl | jq .
  rcsd teacher --variant feedback --chat plain examples/medical.jsonl

Exit codes: 0 every item rendered; 1 some records or pairs had errors; 2
usage error; 3 a file could not be read.
`

func runTeacher(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("teacher", teacherHelp, stderr)
	var o prompt.Options
	variant := fs.String("variant", "rcsd", "teacher `variant`: rcsd, rgsd, opsd, feedback, single-criterion or none")
	chat := fs.String("chat", "", "chat `template`: chatml, qwen3, llama3 or plain (required)")
	fs.BoolVar(&o.Thinking, "thinking", false, "render with thinking on (qwen3's enable_thinking)")
	fs.BoolVar(&o.ReasonFirst, "reason-first", false, "rcsd only: the teacher first analyses the rubric (prints the analysis prompt)")
	fs.StringVar(&o.Criterion, "criterion", "", "criterion `id` for --variant single-criterion")
	fs.StringVar(&o.Custom, "template", "", "custom composition, e.g. '{prompt}\\n\\n{privileged_context}' (TRL's teacher_prompt_template)")
	rubricFile := fs.String("rubric", "", "shared rubric `FILE` for items without their own")
	judgeKind := fs.String("judge", "auto", "`judge` whose verdicts the feedback variant shows")
	format := fs.String("format", "text", "output `format`: text or json (one pair per line)")
	cfgFile := fs.String("config", "", "take the prompt section (and preset) of an rcsd config `FILE`; flags given win")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if !oneFile(files, "teacher", "items", stderr) {
		return exitUsage
	}
	o.Variant, o.Chat = prompt.Variant(*variant), prompt.ChatTemplate(*chat)
	if *cfgFile != "" {
		if code := applyPromptConfig(*cfgFile, fs, &o, "teacher", stderr); code != exitOK {
			return code
		}
		*chat = string(o.Chat)
	}
	if *chat == "" {
		fmt.Fprintln(stderr, "rcsd teacher: --chat is required: chatml, qwen3, llama3 or plain (the model's own template; a guessed one is the bug this command exists to catch)")
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "rcsd teacher: --format %q: want text or json\n", *format)
		return exitUsage
	}
	if msg := checkPromptNames(o); msg != "" {
		fmt.Fprintf(stderr, "rcsd teacher: %s\n", msg)
		return exitUsage
	}
	req := api.ContextsRequest{Prompt: o, Judge: judge.Kind(*judgeKind), File: files[0]}
	data, err := readInput(files[0], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd teacher: %v\n", err)
		return exitFailure
	}
	req.Items = string(data)
	if *rubricFile != "" {
		b, err := os.ReadFile(*rubricFile)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd teacher: %v\n", err)
			return exitFailure
		}
		req.Rubric, req.RubricFile = string(b), *rubricFile
	}
	resp := api.Contexts(context.Background(), req)
	status := exitOK
	for _, d := range resp.Diagnostics {
		fmt.Fprintln(stderr, d.String())
	}
	if resp.Diagnostics.HasErrors() {
		status = exitBadInput
	}
	for _, p := range resp.Pairs {
		for _, d := range p.Diagnostics {
			fmt.Fprintln(stderr, d.String())
		}
		if p.Diagnostics.HasErrors() {
			status = exitBadInput
			continue
		}
		if *format == "json" {
			b, err := json.Marshal(p)
			if err != nil {
				fmt.Fprintf(stderr, "rcsd teacher: %v\n", err)
				return exitFailure
			}
			fmt.Fprintln(stdout, string(b))
			continue
		}
		writePair(stdout, p)
	}
	return status
}

// readInput reads a whole file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// writePair prints a pair for a person: the student's context, then the
// teacher's with '+' before every line holding inserted text.
func writePair(w io.Writer, p api.ContextPair) {
	title := p.ID
	if p.ResponseIndex >= 0 {
		title = fmt.Sprintf("%s, response %d", p.ID, p.ResponseIndex)
	}
	fmt.Fprintf(w, "━━ %s: student (%s%s)\n", title, p.Student.Chat, thinkingNote(p.Student))
	for _, line := range strings.Split(p.Student.Text, "\n") {
		fmt.Fprintf(w, "  │ %s\n", line)
	}
	fmt.Fprintf(w, "━━ %s: teacher (%s, %s%s)\n", title, p.Teacher.Variant, p.Teacher.Chat, thinkingNote(p.Teacher))
	start := 0
	for _, line := range strings.Split(p.Teacher.Text, "\n") {
		end := start + len(line)
		hi := max(end, start+1) // an empty line is its newline
		mark := " "
		for _, s := range p.Teacher.Inserted {
			if s.Start < hi && s.End > start {
				mark = "+"
				break
			}
		}
		fmt.Fprintf(w, "%s │ %s\n", mark, line)
		start = end + 1
	}
	fmt.Fprintln(w)
}

func thinkingNote(r prompt.Rendered) string {
	if r.Chat != prompt.Qwen3 {
		return ""
	}
	if r.Thinking {
		return ", thinking on"
	}
	return ", thinking off"
}

// checkPromptNames reports an unknown variant or chat template once, as a
// usage error, instead of once per record.
func checkPromptNames(o prompt.Options) string {
	var variants, chats []string
	for _, v := range prompt.Variants() {
		variants = append(variants, string(v))
	}
	for _, c := range prompt.ChatTemplates() {
		chats = append(chats, string(c))
	}
	if !contains(variants, string(o.Variant)) {
		return nameError("--variant", string(o.Variant), variants)
	}
	if !contains(chats, string(o.Chat)) {
		return nameError("--chat", string(o.Chat), chats)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nameError(flag, got string, valid []string) string {
	msg := fmt.Sprintf("%s %q: want %s", flag, got, strings.Join(valid, ", "))
	if s := suggest(got, valid); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}
