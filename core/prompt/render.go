package prompt

import (
	"slices"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Render renders the student's and the teacher's contexts for one item.
//
// The student's context is the item's conversation (it.Prompt) with the
// chat template's generation prompt. The teacher's context is the same
// conversation with one change: its last user turn, the question, is
// replaced by the composition template (DefaultTemplate,
// "{prompt}\n\n{privileged_context}", unless Options.Custom says
// otherwise) filled with that turn and the variant's privileged block.
// Everything else — system prompt, earlier turns, chat template, thinking
// flag — is identical, so the two contexts differ only in the block, which
// Diff checks.
//
// verdicts are the judge's verdicts on a previous attempt, used by the
// Feedback variant only (matched to criteria by id).
//
// Render never panics and reports every problem it finds at once. When a
// diagnostic is an error, the context it concerns is the zero Rendered:
// both when the options or the conversation are unusable, the teacher
// alone when only its block cannot be built.
func Render(it *eval.Item, verdicts []judge.Verdict, o Options) (student, teacher Rendered, dl diag.List) {
	record := ""
	if it != nil {
		record = it.ID
	}
	add := func(d diag.Diagnostic) {
		d.Record = record
		dl = append(dl, d)
	}

	v := o.Variant
	if v == "" {
		v = RCSD
	}
	if !slices.Contains(Variants(), v) {
		d := diag.Errorf(CodeUnknownVariant, "$.variant", "unknown teacher variant %q (want %s)", v, joinVariants())
		d.Hint = diag.DidYouMean(string(v), variantNames())
		add(d)
	}
	spec := chatOption(o.Chat, add)

	pieces, _ := parseComposition(DefaultTemplate)
	if o.Custom != "" {
		if v == None {
			add(diag.Warnf(CodeOptionIgnored, "$.custom_template", "the none variant has no privileged block; custom_template is ignored"))
		} else {
			var pdl diag.List
			pieces, pdl = parseComposition(o.Custom)
			for _, d := range pdl {
				add(d)
			}
		}
	}
	if o.Criterion != "" && v != SingleCriterion && slices.Contains(Variants(), v) {
		add(diag.Warnf(CodeOptionIgnored, "$.criterion", "criterion %q is used by the single-criterion variant only; ignored for %s", o.Criterion, v))
	}

	turn := -1
	switch {
	case it == nil:
		add(diag.Errorf(CodeNoPrompt, "$", "no item"))
	default:
		for i, m := range it.Prompt {
			if m.Role == "user" {
				turn = i
			}
		}
		if turn < 0 {
			add(diag.Errorf(CodeNoPrompt, "$.prompt", "the prompt has no user turn to hold the question and the privileged block"))
		}
		if spec != nil && len(spec.Roles) > 0 {
			for i, m := range it.Prompt {
				if !slices.Contains(spec.Roles, m.Role) {
					d := diag.Errorf(CodeUnsupportedRole, "$.prompt["+strconv.Itoa(i)+"].role", "the %s chat template does not render role %q", spec.Name, m.Role)
					d.Hint = "roles: " + strings.Join(spec.Roles, ", ")
					add(d)
				}
			}
		}
	}
	if dl.HasErrors() {
		return Rendered{}, Rendered{}, dl
	}

	student = renderContext(spec, it, turn, None, o, it.Prompt, nil)
	if v == None {
		teacher = student
		teacher.Messages = slices.Clone(student.Messages)
		return student, teacher, dl
	}

	b, ok := buildBlock(v, it, verdicts, o, add)
	if !ok {
		return student, Rendered{}, dl
	}
	content, spans := compose(pieces, it.Prompt[turn].Content, b.block)
	msgs := slices.Clone(it.Prompt)
	msgs[turn].Content = content
	teacher = renderContext(spec, it, turn, v, o, msgs, spans)
	teacher.Privileged = b.block
	if o.ReasonFirst {
		teacher.NeedsAnalysis = true
		teacher.Transition = b.transition
	}
	return student, teacher, dl
}

// chatOption resolves Options.Chat, reporting an empty or unknown name.
func chatOption(c ChatTemplate, add func(diag.Diagnostic)) *chatSpec {
	names := make([]string, 0, 4)
	for _, t := range ChatTemplates() {
		names = append(names, string(t))
	}
	if c == "" {
		d := diag.Errorf(CodeUnknownChat, "$.chat", "no chat template: the student and the teacher must be rendered with the model's own (want %s)", strings.Join(names, ", "))
		add(d)
		return nil
	}
	if !slices.Contains(ChatTemplates(), c) {
		d := diag.Errorf(CodeUnknownChat, "$.chat", "unknown chat template %q (want %s)", c, strings.Join(names, ", "))
		d.Hint = diag.DidYouMean(string(c), names)
		add(d)
		return nil
	}
	spec, err := chatSpecFor(c)
	if err != nil {
		add(diag.Errorf(CodeInternal, "$.chat", "embedded chat template: %v", err))
		return nil
	}
	return spec
}

// renderContext applies the chat template to msgs and maps spans (byte
// ranges of msgs[turn].Content) into the rendered text.
func renderContext(spec *chatSpec, it *eval.Item, turn int, v Variant, o Options, msgs []Message, spans []Span) Rendered {
	text, pos := spec.render(msgs, o.Thinking)
	r := Rendered{ID: it.ID, Variant: v, Chat: o.Chat, Thinking: o.Thinking, Messages: slices.Clone(msgs), Text: text, Turn: turn}
	p := pos[turn]
	for _, s := range spans {
		a := max(s.Start, p.lead)
		b := min(s.End, p.lead+p.end-p.start)
		if a < b {
			r.Inserted = append(r.Inserted, Span{Start: p.start + a - p.lead, End: p.start + b - p.lead})
		}
	}
	return r
}

// built is a rendered block.
type built struct {
	block      string
	transition string
}

// buildBlock executes the variant's template for it.
func buildBlock(v Variant, it *eval.Item, verdicts []judge.Verdict, o Options, add func(diag.Diagnostic)) (built, bool) {
	tmpls, err := loadBlocks()
	if err != nil {
		add(diag.Errorf(CodeInternal, "$.variant", "embedded teacher template: %v", err))
		return built{}, false
	}
	t := tmpls[v]
	if o.ReasonFirst && (!t.lookup("analysis") || !t.lookup("transition")) {
		add(diag.Errorf(CodeReasonFirstUnsupported, "$.reason_first", "the %s variant has no reason-first analysis pass (only rcsd has one)", v))
		return built{}, false
	}
	data := blockData{Reference: it.ReferenceAnswer, ReasonFirst: o.ReasonFirst}
	r := it.Rubric
	hasRubric := r != nil && len(r.Criteria) > 0
	needRubric := func() bool {
		if !hasRubric {
			add(diag.Errorf(CodeNoRubric, "$.rubric", "the %s teacher needs a rubric with at least one criterion", v))
		}
		return hasRubric
	}
	switch v {
	case RCSD:
		if !needRubric() {
			return built{}, false
		}
		if strings.TrimSpace(it.ReferenceAnswer) == "" {
			add(diag.Warnf(CodeNoReference, "$.reference_answer", "no reference answer: the rcsd teacher sees the rubric only"))
			data.Reference = ""
		}
		data.Rubric = rubricJSON(r, allIndices(len(r.Criteria)))
	case RGSD:
		if !needRubric() {
			return built{}, false
		}
		for i := range r.Criteria {
			data.Criteria = append(data.Criteria, viewOf(r, i))
		}
	case OPSD:
		if strings.TrimSpace(it.ReferenceAnswer) == "" {
			add(diag.Errorf(CodeNoReference, "$.reference_answer", "the opsd teacher needs a reference answer"))
			return built{}, false
		}
	case SingleCriterion:
		if !needRubric() {
			return built{}, false
		}
		if o.Criterion == "" {
			add(diag.Errorf(CodeUnknownCriterion, "$.criterion", "the single-criterion teacher needs a criterion id"))
			return built{}, false
		}
		i := r.Index(o.Criterion)
		if i < 0 {
			ids := make([]string, len(r.Criteria))
			for k, c := range r.Criteria {
				ids[k] = c.ID
			}
			d := diag.Errorf(CodeUnknownCriterion, "$.criterion", "no criterion %q in the rubric", o.Criterion)
			d.Hint = diag.DidYouMean(o.Criterion, ids)
			d.Criterion = o.Criterion
			add(d)
			return built{}, false
		}
		data.Rubric = rubricJSON(r, []int{i})
	case Feedback:
		if !needRubric() {
			return built{}, false
		}
		if !feedbackLists(r, verdicts, &data, add) {
			return built{}, false
		}
	}
	block, err := t.execute("", data)
	if err != nil {
		add(diag.Errorf(CodeInternal, "$.variant", "teacher template %s: %v", v, err))
		return built{}, false
	}
	out := built{block: strings.TrimSpace(block)}
	if o.ReasonFirst {
		if out.transition, err = t.execute("transition", data); err != nil {
			add(diag.Errorf(CodeInternal, "$.variant", "teacher template %s: %v", v, err))
			return built{}, false
		}
	}
	return out, true
}

// feedbackLists sorts the rubric's criteria into met, missed and
// contained-pitfall by their verdicts. It reports criteria left out (no
// verdict, Met nil) and verdicts for unknown criteria, and fails when no
// criterion was judged.
func feedbackLists(r *rubric.Rubric, verdicts []judge.Verdict, data *blockData, add func(diag.Diagnostic)) bool {
	byID := make(map[string]*judge.Verdict, len(verdicts))
	for i := range verdicts {
		if _, dup := byID[verdicts[i].ID]; !dup {
			byID[verdicts[i].ID] = &verdicts[i]
		}
	}
	var unjudged, unknown []string
	judged := 0
	for i, c := range r.Criteria {
		vd := byID[c.ID]
		if vd == nil || vd.Met == nil {
			unjudged = append(unjudged, c.ID)
			continue
		}
		judged++
		view := viewOf(r, i)
		switch {
		case view.Negative && *vd.Met:
			data.Pitfalls = append(data.Pitfalls, view)
		case view.Negative:
			// A pitfall the attempt avoided: nothing to say.
		case *vd.Met:
			data.Met = append(data.Met, view)
		default:
			data.Missed = append(data.Missed, view)
		}
	}
	for _, vd := range verdicts {
		if r.Index(vd.ID) < 0 {
			unknown = append(unknown, vd.ID)
		}
	}
	if judged == 0 {
		add(diag.Errorf(CodeNoVerdicts, "$.verdicts", "the feedback teacher needs verdicts on a previous attempt; none of the %d criteria has one", len(r.Criteria)))
		return false
	}
	if len(unjudged) > 0 {
		add(diag.Warnf(CodeUnjudged, "$.verdicts", "feedback leaves out %d unjudged criteria: %s", len(unjudged), strings.Join(unjudged, ", ")))
	}
	if len(unknown) > 0 {
		add(diag.Warnf(CodeUnjudged, "$.verdicts", "feedback ignores %d verdicts for criteria not in the rubric: %s", len(unknown), strings.Join(unknown, ", ")))
	}
	return true
}

func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func variantNames() []string {
	var s []string
	for _, v := range Variants() {
		s = append(s, string(v))
	}
	return s
}

func joinVariants() string { return strings.Join(variantNames(), ", ") }
