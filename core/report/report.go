package report

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Input is everything a report shows. The host computes it (the scores,
// the aggregate, the per-criterion tallies); Write only lays it out.
type Input struct {
	Title         string
	InputFile     string
	Judge         string
	Scoring       string
	EngineVersion string
	// Generated is shown as given (e.g. an RFC 3339 time) and omitted
	// when empty, so a fixed input renders to fixed bytes.
	Generated string

	// Summary is the aggregate in HealthBench order: the overall score
	// first, then the per-tag rows. The first row is shown as the overall.
	Summary []SummaryRow
	// Criteria are the per-criterion tallies; Write sorts them by pass
	// rate.
	Criteria []CriterionStat
	// MaxCriteria caps the rows of the criteria table (the lowest pass
	// rates are kept); 0 shows every criterion.
	MaxCriteria int
	// Scores holds every defined response score, for the histogram.
	Scores []float64
	// Bins is the number of histogram bins over [0, 1]; 0 means
	// DefaultBins.
	Bins int
	// Lowest are the responses to show in full, in the order given (see
	// LowestK).
	Lowest []Response
	Counts Counts
}

// SummaryRow is one aggregate metric: HealthBench's metric,
// metric:bootstrap_std and metric:n_samples. NaN shows as a dash.
type SummaryRow struct {
	Key   string
	Value float64
	Std   float64
	N     int
}

// CriterionStat tallies one criterion over the run.
type CriterionStat struct {
	ID          string
	Description string
	Weight      float64
	Category    rubric.Category
	// Polarity "" is read from the weight's sign.
	Polarity rubric.Polarity
	// Judged counts responses with a verdict (Met != nil), Met those met.
	Judged, Met int
	// Judges counts the verdicts by judge kind.
	Judges map[string]int
}

// Negative reports whether met means the bad behaviour is present.
func (c *CriterionStat) Negative() bool { return isNegative(c.Polarity, c.Weight) }

// Passed is the number of judged responses that went the good way: met
// for a positive criterion, not met for a negative one.
func (c *CriterionStat) Passed() int {
	if c.Negative() {
		return c.Judged - c.Met
	}
	return c.Met
}

// PassRate is Passed/Judged, NaN when nothing was judged.
func (c *CriterionStat) PassRate() float64 {
	if c.Judged == 0 {
		return math.NaN()
	}
	return float64(c.Passed()) / float64(c.Judged)
}

// Response is one judged response shown in full.
type Response struct {
	ItemID        string
	ResponseIndex int
	// Score is nil when the scoring rule is undefined for the rubric.
	Score    *float64
	Prompt   string
	Text     string
	Criteria []CriterionView
}

// CriterionView is one criterion with its verdict for a response.
type CriterionView struct {
	ID          string
	Description string
	Weight      float64
	// Polarity "" is read from the weight's sign.
	Polarity rubric.Polarity
	Verdict  judge.Verdict
}

// Counts are the run totals shown in the header.
type Counts struct {
	Items, Responses int
	// CriteriaJudged counts verdicts with Met != nil over all responses.
	CriteriaJudged int
	// Errors counts verdicts carrying an error; Unjudged those the judge
	// failed to decide (their responses have no score); NotApplicable
	// those it had no means to decide (left out of scores); Skipped the
	// input records not scored.
	Errors, Unjudged, NotApplicable, Skipped int
}

func isNegative(p rubric.Polarity, w float64) bool {
	switch p {
	case rubric.Negative:
		return true
	case rubric.Positive:
		return false
	}
	return w < 0
}

// FromResult builds the Response for res, a result of item: the response
// text, the prompt as "role: content" paragraphs and one view per verdict
// with the criterion's description, weight and polarity from the rubric.
// A verdict whose id is not in the rubric keeps just its id.
func FromResult(item *eval.Item, res *eval.Result) Response {
	r := Response{ItemID: res.ID, ResponseIndex: res.ResponseIndex, Score: res.Score}
	if item == nil {
		return r
	}
	if res.ResponseIndex >= 0 && res.ResponseIndex < len(item.Responses) {
		r.Text = item.Responses[res.ResponseIndex]
	}
	var p []string
	for _, m := range item.Prompt {
		p = append(p, m.Role+": "+m.Content)
	}
	r.Prompt = strings.Join(p, "\n\n")
	for _, v := range res.Criteria {
		cv := CriterionView{ID: v.ID, Verdict: v}
		if item.Rubric != nil {
			if i := item.Rubric.Index(v.ID); i >= 0 {
				c := item.Rubric.Criteria[i]
				cv.Description, cv.Weight, cv.Polarity = c.Description, c.Weight, c.Polarity
			}
		}
		r.Criteria = append(r.Criteria, cv)
	}
	return r
}

//go:embed report.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("report").Parse(pageTemplate))

// Write renders in as one self-contained HTML page: inline CSS and SVG, no
// external resource, a little optional JavaScript for sorting tables.
// Every string from in is HTML-escaped by html/template.
func Write(w io.Writer, in *Input) error {
	if in == nil {
		return errors.New("report: nil input")
	}
	p := buildPage(in)
	if err := tmpl.Execute(w, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// The view model: everything preformatted so the template only lays out.

type kv struct{ K, V string }

type summaryView struct {
	Key, Value, ValueSort, Std, StdSort, N string
	Overall                                bool
}

type critView struct {
	Rank                      int
	ID, Description, Category string
	Weight, WeightSort        string
	Judged, Met, Passed       int
	PassRate, PassSort        string
	BarWidth                  string
	Judged0                   bool
	Negative                  bool
	Judges                    string
}

type badge struct {
	Icon, Label, Class string
}

type segView struct {
	Text   string
	Marked bool
	Class  string
	Title  string
	Badges []badge
}

type verdictView struct {
	Icon, Word, Class  string
	ID, Description    string
	Weight             string
	Judge              string
	Heuristic          bool
	Confidence         string
	Evidence           string
	EvidenceNote       string
	Explanation, Error string
}

type respView struct {
	Anchor        string
	Rank          int
	ItemID        string
	ResponseIndex int
	Score         string
	Prompt        string
	Segments      []segView
	Criteria      []verdictView
	Marked        int
}

type page struct {
	Title          string
	Meta           []kv
	Summary        []summaryView
	Criteria       []critView
	CriteriaTotal  int
	CriteriaHidden int
	Histogram      template.HTML
	ScoresN        int
	Lowest         []respView
}

func buildPage(in *Input) *page {
	p := &page{Title: in.Title}
	if p.Title == "" {
		p.Title = "rcsd eval report"
	}
	add := func(k, v string) {
		if v != "" {
			p.Meta = append(p.Meta, kv{k, v})
		}
	}
	add("Input file", in.InputFile)
	add("Judge", in.Judge)
	add("Scoring rule", in.Scoring)
	add("Engine version", in.EngineVersion)
	add("Generated", in.Generated)
	c := in.Counts
	for _, e := range []kv{
		{"Items", strconv.Itoa(c.Items)},
		{"Responses", strconv.Itoa(c.Responses)},
		{"Criteria judged", strconv.Itoa(c.CriteriaJudged)},
		{"Errors", strconv.Itoa(c.Errors)},
		{"Unjudged", strconv.Itoa(c.Unjudged)},
		{"Not applicable", strconv.Itoa(c.NotApplicable)},
		{"Skipped records", strconv.Itoa(c.Skipped)},
	} {
		p.Meta = append(p.Meta, e)
	}

	for i, r := range in.Summary {
		p.Summary = append(p.Summary, summaryView{
			Key: r.Key, Value: fixed(r.Value, 4), ValueSort: sortKey(r.Value),
			Std: fixed(r.Std, 4), StdSort: sortKey(r.Std), N: strconv.Itoa(r.N),
			Overall: i == 0,
		})
	}

	crit := make([]CriterionStat, len(in.Criteria))
	copy(crit, in.Criteria)
	sort.SliceStable(crit, func(i, j int) bool {
		a, b := crit[i].PassRate(), crit[j].PassRate()
		if math.IsNaN(a) != math.IsNaN(b) {
			return !math.IsNaN(a)
		}
		if a != b && !math.IsNaN(a) {
			return a < b
		}
		if crit[i].ID != crit[j].ID {
			return crit[i].ID < crit[j].ID
		}
		return crit[i].Description < crit[j].Description
	})
	p.CriteriaTotal = len(crit)
	if in.MaxCriteria > 0 && len(crit) > in.MaxCriteria {
		p.CriteriaHidden = len(crit) - in.MaxCriteria
		crit = crit[:in.MaxCriteria]
	}
	for i := range crit {
		cs := &crit[i]
		rate := cs.PassRate()
		cv := critView{
			Rank: i + 1, ID: cs.ID, Description: cs.Description, Category: string(cs.Category),
			Weight: fnum(cs.Weight), WeightSort: sortKey(cs.Weight),
			Judged: cs.Judged, Met: cs.Met, Passed: cs.Passed(),
			PassRate: percent(rate), PassSort: sortKey(rate),
			Judged0: cs.Judged == 0, Negative: cs.Negative(),
			Judges: judgeList(cs.Judges),
		}
		if !math.IsNaN(rate) {
			cv.BarWidth = f1(rate * barWidth)
		}
		p.Criteria = append(p.Criteria, cv)
	}

	p.ScoresN = len(in.Scores)
	p.Histogram = Histogram(in.Scores, in.Bins, 720, 320)

	for i, r := range in.Lowest {
		p.Lowest = append(p.Lowest, buildResponse(i, &r))
	}
	return p
}

// barWidth is the width in pixels of a full pass-rate bar.
const barWidth = 120

func buildResponse(i int, r *Response) respView {
	v := respView{
		Anchor: "response-" + strconv.Itoa(i+1), Rank: i + 1,
		ItemID: r.ItemID, ResponseIndex: r.ResponseIndex,
		Score: "undefined", Prompt: r.Prompt,
	}
	if r.Score != nil {
		v.Score = fixed(*r.Score, 4)
	}
	var spans []Span
	spanOf := make([]int, len(r.Criteria)) // criterion -> span index, -1 when none
	for j, c := range r.Criteria {
		spanOf[j] = -1
		kind, ok := markKind(&c)
		if !ok {
			continue
		}
		start, end, found := EvidenceSpan(r.Text, c.Verdict.Evidence)
		if !found {
			continue
		}
		spanOf[j] = len(spans)
		spans = append(spans, Span{Start: start, End: end, Kind: kind, Label: c.ID})
	}
	segs, ignored := Highlight(r.Text, spans)
	dropped := make(map[int]bool, len(ignored))
	for _, s := range ignored {
		dropped[s] = true
	}
	for _, s := range segs {
		sv := segView{Text: s.Display()}
		if len(s.Spans) > 0 {
			sv.Marked = true
			top := spans[s.Spans[0]].Kind
			var titles []string
			for _, k := range s.Spans {
				if spans[k].Kind.severity() > top.severity() {
					top = spans[k].Kind
				}
				titles = append(titles, describeSpan(spans[k]))
			}
			sv.Class = "k-" + string(top)
			if len(s.Spans) > 1 {
				sv.Class += " multi"
			}
			sv.Title = strings.Join(titles, "; ")
			for _, k := range s.Opens {
				sv.Badges = append(sv.Badges, badge{Icon: spans[k].Kind.Icon(), Label: spans[k].Label, Class: "k-" + string(spans[k].Kind)})
			}
		}
		v.Segments = append(v.Segments, sv)
	}
	v.Marked = len(spans) - len(ignored)
	for j, c := range r.Criteria {
		vv := verdictView{
			ID: c.ID, Description: c.Description, Weight: fnum(c.Weight),
			Judge: string(c.Verdict.Judge), Heuristic: c.Verdict.Heuristic,
			Explanation: c.Verdict.Explanation, Error: c.Verdict.Error,
		}
		vv.Icon, vv.Word, vv.Class = verdictWords(&c)
		if c.Verdict.Confidence != nil {
			vv.Confidence = fixed(*c.Verdict.Confidence, 2)
		}
		if ev := c.Verdict.Evidence; ev != nil {
			switch {
			case spanOf[j] >= 0 && !dropped[spanOf[j]]:
				sp := spans[spanOf[j]]
				vv.Evidence = strings.ToValidUTF8(r.Text[sp.Start:sp.End], "\uFFFD")
			case spanOf[j] < 0 && markable(&c):
				vv.EvidenceNote = fmt.Sprintf("evidence span [%d, %d) is outside the response (%d bytes); not highlighted", ev.Start, ev.End, len(r.Text))
				if ev.Text != "" {
					vv.Evidence = strings.ToValidUTF8(ev.Text, "\uFFFD")
				}
			default:
				if ev.Text != "" {
					vv.Evidence = strings.ToValidUTF8(ev.Text, "\uFFFD")
				}
			}
		}
		v.Criteria = append(v.Criteria, vv)
	}
	return v
}

// markable reports whether c's verdict is decided, so its evidence can be
// highlighted.
func markable(c *CriterionView) bool { _, ok := markKind(c); return ok }

// markKind is the highlight kind of c's evidence; ok is false for an
// unjudged criterion.
func markKind(c *CriterionView) (Kind, bool) {
	if c.Verdict.Met == nil {
		return "", false
	}
	if !*c.Verdict.Met {
		return KindNotMet, true
	}
	if isNegative(c.Polarity, c.Weight) {
		return KindPitfall, true
	}
	return KindMet, true
}

// verdictWords is the icon, words and CSS class of c's verdict in the
// criteria list. A negative criterion not met is good news and says so.
func verdictWords(c *CriterionView) (icon, word, class string) {
	neg := isNegative(c.Polarity, c.Weight)
	switch {
	case c.Verdict.State() == judge.StatusNotApplicable:
		return "–", "not applicable", "k-unjudged"
	case c.Verdict.Met == nil:
		return "?", "unjudged", "k-unjudged"
	case *c.Verdict.Met && neg:
		return KindPitfall.Icon(), KindPitfall.Label(), "k-" + string(KindPitfall)
	case *c.Verdict.Met:
		return KindMet.Icon(), KindMet.Label(), "k-" + string(KindMet)
	case neg:
		return "✓", "pitfall absent", "k-absent"
	default:
		return KindNotMet.Icon(), KindNotMet.Label(), "k-" + string(KindNotMet)
	}
}

func judgeList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}

// fixed formats v with d decimals; NaN and ±Inf show as a dash.
func fixed(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

// percent formats a rate in [0, 1] as a percentage with one decimal.
func percent(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

// sortKey is the data-v value the sorting script reads: full precision,
// empty for NaN (sorted last).
func sortKey(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
