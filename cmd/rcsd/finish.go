package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/report"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// finish writes the summary file and the report and prints the table.
func (r *evalRun) finish(elapsed time.Duration, files []string) int {
	o := &r.opts
	status := exitOK
	// The bootstrap is the costly part of the aggregate: compute it once
	// for the summary file, the report and the table.
	stats := aggregate(r.sum, uint32(o.seed), o.bootstrap)
	if err := writeSummaryFile(o.summary, stats); err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		status = exitFailure
	}
	if o.reportFile != "" {
		if err := r.writeReport(files, stats); err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: report: %v\n", err)
			status = exitFailure
		}
	}
	if !o.quiet {
		printSummary(r.stderr, r.sum, stats, elapsed)
		if r.resumed > 0 {
			fmt.Fprintf(r.stderr, "resumed: %d record(s) were already done and not judged again\n", r.resumed)
		}
		if r.skipped > 0 {
			fmt.Fprintf(r.stderr, "skipped: %d record(s) with errors (see the diagnostics above)\n", r.skipped)
		}
	}
	if r.sum.Unjudged > 0 {
		// Said even with -q: the run is incomplete.
		fmt.Fprintf(r.stderr, "rcsd eval: incomplete: %d criteria in %d response(s) could not be judged (their scores are null); %s\n",
			r.sum.Unjudged, r.sum.UnjudgedResponses, resumeHint(o))
	}
	return status
}

// resumeHint says how to judge the unjudged criteria again.
func resumeHint(o *evalOptions) string {
	if o.out == "" || o.out == "-" || o.format != "jsonl" {
		return "run again with -o FILE, then --resume judges only those"
	}
	return "rerun with --resume to judge only those"
}

// aggregate computes the run's aggregate statistics, nil when no
// response has a score.
func aggregate(sum *eval.Summary, seed uint32, resamples int) []api.NamedStats {
	if len(sum.Scores()) == 0 {
		return nil
	}
	return api.AggregateStats(sum, seed, bootstrapArg(resamples))
}

// writeSummaryFile writes the aggregate as a JSON object (HealthBench's
// layout, keys sorted) to path, atomically (temp file, then rename).
func writeSummaryFile(path string, stats []api.NamedStats) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(api.MetricsOf(stats), "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// bootstrapArg maps the --bootstrap flag to api.Aggregate's argument: 0
// turns the bootstrap off.
func bootstrapArg(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// writeFileAtomic replaces the file at path with data through a
// temporary file in its folder and a rename, so a reader never sees half
// of it. A symlink is followed (the file it names is replaced, the link
// kept); a device or a pipe (/dev/null, /dev/stdout) is written as it is.
func writeFileAtomic(path string, data []byte) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if err1 := f.Close(); err == nil {
			err = err1
		}
		return err
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	// CreateTemp makes the file 0600; an output file is as readable as
	// one os.Create would make.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// printSummary prints the end-of-run table: counts, the aggregate, a
// score histogram, the criteria with the lowest pass rates and the judges.
func printSummary(w io.Writer, sum *eval.Summary, stats []api.NamedStats, elapsed time.Duration) {
	fmt.Fprintf(w, "\n%d item(s), %d response(s) scored", sum.Items, sum.Responses)
	if elapsed > 0 {
		fmt.Fprintf(w, " in %s (%.1f items/s)", elapsed.Round(time.Millisecond), float64(sum.Items)/elapsed.Seconds())
	}
	fmt.Fprintf(w, "\ncriterion errors: %d   unjudged: %d (in %d response(s))   not applicable: %d   undefined scores: %d\n",
		sum.CriterionErrors, sum.Unjudged, sum.UnjudgedResponses, sum.NotApplicable, sum.Undefined)
	scores := sum.Scores()
	if len(scores) == 0 {
		return
	}
	m := api.MetricsOf(stats)
	mean, _ := m.Get("overall_score")
	std, _ := m.Get("overall_score:bootstrap_std")
	fmt.Fprintf(w, "overall score %.4f ± %.4f (clipped mean, bootstrap std, n=%d)\n", mean, std, len(scores))

	// Histogram over [min(0, lowest), 1] in 10 bins.
	lo, hi := 0.0, 1.0
	for _, s := range scores {
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	const bins = 10
	counts := make([]int, bins)
	for _, s := range scores {
		k := int((s - lo) / (hi - lo) * bins)
		counts[min(max(k, 0), bins-1)]++
	}
	peak := 1
	for _, c := range counts {
		peak = max(peak, c)
	}
	fmt.Fprintln(w, "score distribution:")
	for k, c := range counts {
		a := lo + (hi-lo)*float64(k)/bins
		b := lo + (hi-lo)*float64(k+1)/bins
		closeB := ")"
		if k == bins-1 {
			closeB = "]"
		}
		fmt.Fprintf(w, "  [%5.2f, %5.2f%s %-30s %d\n", a, b, closeB, strings.Repeat("█", c*30/peak), c)
	}

	crit := sum.Criteria()
	sort.SliceStable(crit, func(i, j int) bool { return passRate(crit[i]) < passRate(crit[j]) })
	if len(crit) > 0 {
		fmt.Fprintln(w, "criteria, lowest pass rate first (pass = met for positive criteria, not met for negative ones):")
		for i, c := range crit {
			if i == 12 {
				fmt.Fprintf(w, "  … %d more\n", len(crit)-i)
				break
			}
			desc := c.Description
			if c.Varies {
				desc = "(differs across items: per-item rubrics)"
			}
			fmt.Fprintf(w, "  %-8s %5.1f%%  %4d judged  %3d err  %s\n", clip(c.ID, 8), 100*passRate(c), c.Judged, c.Errors, clip(desc, 60))
		}
	}
	var judges []string
	for k, n := range sum.Judges() {
		judges = append(judges, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(judges)
	fmt.Fprintf(w, "verdicts by judge: %s\n", strings.Join(judges, ", "))
}

// passRate counts a verdict as passing when it goes the good way.
func passRate(c *eval.CriterionStat) float64 {
	if c.Judged == 0 {
		return math.Inf(1)
	}
	if c.Weight < 0 {
		return float64(c.Judged-c.Met) / float64(c.Judged)
	}
	return float64(c.Met) / float64(c.Judged)
}

func reportResponse(it *eval.Item, res eval.Result) report.Response {
	rr := report.Response{ItemID: it.ID, ResponseIndex: res.ResponseIndex, Score: res.Score,
		Prompt: eval.RenderPrompt(it.Prompt), Text: it.Responses[res.ResponseIndex]}
	for k, v := range res.Criteria {
		cv := report.CriterionView{ID: v.ID, Verdict: v}
		if k < len(it.Rubric.Criteria) {
			c := it.Rubric.Criteria[k]
			cv.Description, cv.Weight, cv.Polarity = c.Description, c.Weight, c.Polarity
		}
		rr.Criteria = append(rr.Criteria, cv)
	}
	return rr
}

func (r *evalRun) writeReport(files []string, stats []api.NamedStats) error {
	o := &r.opts
	in := &report.Input{
		Title:         "rcsd eval report",
		InputFile:     strings.Join(files, ", "),
		Judge:         o.judge,
		Scoring:       o.scoring,
		EngineVersion: api.EngineVersion,
		Generated:     time.Now().UTC().Format(time.RFC3339),
		Scores:        r.sum.Scores(),
		Lowest:        r.lowest.Items(),
		MaxCriteria:   200,
		Counts: report.Counts{Items: r.sum.Items, Responses: r.sum.Responses, Errors: r.sum.CriterionErrors,
			Unjudged: r.sum.Unjudged, NotApplicable: r.sum.NotApplicable, Skipped: r.skipped},
	}
	for _, st := range stats {
		in.Summary = append(in.Summary, report.SummaryRow{Key: st.Name, Value: st.Mean, Std: st.BootstrapStd, N: st.N})
	}
	for _, c := range r.sum.Criteria() {
		desc := c.Description
		if c.Varies {
			desc += " (differs across items)"
		}
		in.Criteria = append(in.Criteria, report.CriterionStat{ID: c.ID, Description: desc, Weight: c.Weight,
			Category: rubric.Category(c.Category), Judged: c.Judged, Met: c.Met, Judges: c.Judges})
		in.Counts.CriteriaJudged += c.Judged
	}
	// The verdicts were redacted by the judge; this pass also covers
	// records of an older run read back by --resume.
	var buf bytes.Buffer
	if err := report.Write(&buf, in); err != nil {
		return err
	}
	page := buf.Bytes()
	if key := os.Getenv("RCSD_JUDGE_API_KEY"); key != "" {
		page = redact.New(key).Bytes(page)
	}
	f, err := os.Create(o.reportFile)
	if err != nil {
		return err
	}
	if _, err := f.Write(page); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
