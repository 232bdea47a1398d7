package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/trace"
)

const lossHelp = `
Usage: rcsd loss [flags] TRACES.jsonl|-

Compute the rubric-conditioned self-distillation loss of every trace: at
each token the student sampled, a divergence between the teacher's
next-token distribution (it saw the rubric) and the student's. Input: one
trace per line, as 'rcsd logprobs' writes them (docs/loss.md#traces):

  {"id": "q1#0", "student": [{"token_id": 17, "token": "The", "logprob": -0.12,
                              "top": [{"token_id": 17, "logprob": -0.12}, ...]}, ...],
   "teacher": [same tokens, the teacher's log-probs]}

Output: one JSON record per trace with its loss and, per token, the
divergence, the advantage A_t = log T(y_t) − log S(y_t), whether a clip
fired and both entropies; a batch summary on standard error.

Settings start from --preset or --config and are overridden by the flags
given. The released RCSD setting is --preset rcsd: forward KL (β 0), τ 1.2,
the teacher's top 20 renormalised, per-entry clip 0.05, token mean.

Divergence and β follow TRL: β 0 is forward KL(T‖S), β 1 is reverse
KL(S‖T), in between the generalised JSD; 0 and 1 are exact special cases.

Served log-probs hold each side's own top k only. A support that needs a
log-prob a trace lacks is an error for that trace (never a silent guess);
--missing floor fills it with the smallest listed value, an upper bound,
and marks the result "approximation": "floor".

A server (vLLM, SGLang) returns each side's own top k, so a teacher top-k
support usually lacks some student log-probs: use --missing floor (an
upper bound, marked), or the sampled-token estimators (--estimator), which
need only the sampled token's log-probs. The demo backend's traces are
exact for every top-k support.

Examples:
  rcsd logprobs --backend demo --chat plain examples/science.jsonl | rcsd loss --preset rcsd -
  rcsd loss --divergence jsd --beta 0.5 --support teacher-topk --topk 20 traces.jsonl
  rcsd loss --preset rcsd --missing floor vllm-traces.jsonl
  rcsd loss --estimator sampled-token vllm-traces.jsonl
  rcsd loss --preset rcsd --clip-entry 0 --format text traces.jsonl   # what the clip cuts
  rcsd loss --preset rcsd --dense student.npy,teacher.npy token-ids.txt

Exit codes: 0 every trace computed; 1 some traces had errors (reported
with their line, id and token position); 2 usage error; 3 I/O failure.
`

// lossFlags are the loss knobs as flags; set records which were given.
type lossFlags struct {
	o        distill.Options
	dense    string
	missing  string
	preset   string
	cfgFile  string
	out      string
	summary  string
	format   string
	workers  int
	noTokens bool
}

func runLoss(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("loss", lossHelp, stderr)
	var f lossFlags
	div := fs.String("divergence", "", "`divergence`: forward (KL(T‖S), the default), reverse (KL(S‖T)) or jsd")
	fs.Float64Var(&f.o.Beta, "beta", 0, "JSD `β` in [0, 1] (TRL: 0 forward, 1 reverse); only with --divergence jsd")
	fs.Float64Var(&f.o.Temperature, "temperature", 0, "temperature `τ` dividing both sides' logits (default 1)")
	sup := fs.String("support", "", "`support`: full (the default), teacher-topk or student-topk")
	fs.IntVar(&f.o.TopK, "topk", 0, "`k` of a top-k support")
	fs.BoolVar(&f.o.Tail, "tail", false, "add one tail bucket log(1 − Σ top-k p) instead of renormalising (τ must be 1)")
	fs.Float64Var(&f.o.ClipEntry, "clip-entry", 0, "cap each (token, vocabulary entry) term at `c` before the vocabulary sum (RCSD: 0.05); 0 is off")
	fs.Float64Var(&f.o.ClipToken, "clip-token", 0, "cap each token's divergence at `c` after the sum; 0 is off")
	fs.BoolVar(&f.o.MaskThinking, "mask-thinking", false, "leave out everything up to and including the first </think> (a trace without one is dropped)")
	fs.IntVar(&f.o.ThinkEndToken, "think-end-token", 0, "the tokenizer's </think> `id`, when the traces do not say")
	fs.IntVar(&f.o.SkipFirst, "skip-first", 0, "leave the first `N` completion tokens out")
	red := fs.String("reduction", "", "`reduction`: token-mean (the default), sequence-mean, sum or batchmean")
	est := fs.String("estimator", "", "sampled-token `estimator`: sampled-token, k1, abs, k2, k3, tinker or rllm (default: the full divergence)")
	fs.Float64Var(&f.o.KLCoef, "kl-coef", 0, "tinker's `λ` (0 means 1)")
	fs.Float64Var(&f.o.Discount, "discount", 0, "tinker's discount `γ` for the future sum; 0 is off")
	fs.StringVar(&f.missing, "missing", "error", "a log-prob the support needs but a trace lacks: `error` or floor (an upper bound, marked)")
	fs.StringVar(&f.preset, "preset", "", "start from a published `setting`: "+strings.Join(config.PresetNames(), ", "))
	fs.StringVar(&f.cfgFile, "config", "", "start from the loss section of an rcsd config `FILE`")
	fs.StringVar(&f.out, "o", "", "write records to `FILE` (default standard output)")
	fs.StringVar(&f.summary, "summary", "", "write the batch summary to `FILE` (JSON)")
	fs.StringVar(&f.format, "format", "jsonl", "output `format`: jsonl or text (a token strip a person reads)")
	fs.IntVar(&f.workers, "concurrency", 0, "traces computed at once (default: CPU count)")
	fs.BoolVar(&f.noTokens, "no-tokens", false, "leave the per-token outputs out of the records")
	fs.StringVar(&f.dense, "dense", "", "dense input: `STUDENT.npy,TEACHER.npy` full-vocabulary logits [T, V] (float16/32/64), streamed row by row; the argument is then the completion's token ids (a file of whitespace- or comma-separated integers)")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if !oneFile(files, "loss", "traces", stderr) {
		return exitUsage
	}
	if f.format != "jsonl" && f.format != "text" && f.dense == "" {
		fmt.Fprintf(stderr, "rcsd loss: --format %q: want jsonl or text\n", f.format)
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	f.o.Divergence, f.o.Support = distill.Divergence(*div), distill.Support(*sup)
	f.o.Reduction, f.o.Estimator = distill.Reduction(*red), distill.Estimator(*est)
	cfg, code := lossConfig(&f, set, stderr)
	if code != exitOK {
		return code
	}
	_, dl := api.NewLossComputer(cfg)
	for _, d := range dl {
		// Warnings too: a </think> id given without mask-thinking, a JSD
		// at an endpoint β.
		fmt.Fprintf(stderr, "rcsd loss: %s: %s\n", d.Severity, flagDiag(d))
	}
	if dl.HasErrors() {
		return exitUsage
	}
	if f.dense != "" {
		return runDenseLoss(cfg, &f, files[0], stdin, stdout, stderr)
	}
	return runLossFile(cfg, &f, files[0], stdin, stdout, stderr)
}

// lossConfig builds the settings: preset or config first, then every
// flag given on the command line.
func lossConfig(f *lossFlags, set map[string]bool, stderr io.Writer) (api.LossConfig, int) {
	var base distill.Options
	cfg := api.LossConfig{}
	if f.cfgFile != "" {
		data, err := os.ReadFile(f.cfgFile)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
			return cfg, exitFailure
		}
		c, dl := config.Parse(f.cfgFile, data)
		for _, d := range dl {
			fmt.Fprintln(stderr, d.String())
		}
		if c == nil {
			return cfg, exitUsage
		}
		base, cfg.Trace = c.LossOptions(), c.Trace
	}
	if f.preset != "" {
		p, ok := config.LookupPreset(f.preset)
		if !ok {
			fmt.Fprintf(stderr, "rcsd loss: %s\n", nameError("--preset", f.preset, config.PresetNames()))
			return cfg, exitUsage
		}
		if f.cfgFile != "" {
			fmt.Fprintln(stderr, "rcsd loss: give --preset or --config, not both")
			return cfg, exitUsage
		}
		base = p.Loss
	}
	o := base
	pick := func(name string, apply func()) {
		if set[name] || f.cfgFile == "" && f.preset == "" {
			apply()
		}
	}
	pick("divergence", func() { o.Divergence = f.o.Divergence })
	pick("beta", func() { o.Beta = f.o.Beta })
	pick("temperature", func() { o.Temperature = f.o.Temperature })
	pick("support", func() { o.Support = f.o.Support })
	pick("topk", func() { o.TopK = f.o.TopK })
	pick("tail", func() { o.Tail = f.o.Tail })
	pick("clip-entry", func() { o.ClipEntry = f.o.ClipEntry })
	pick("clip-token", func() { o.ClipToken = f.o.ClipToken })
	pick("mask-thinking", func() { o.MaskThinking = f.o.MaskThinking })
	pick("think-end-token", func() { o.ThinkEndToken = f.o.ThinkEndToken })
	pick("skip-first", func() { o.SkipFirst = f.o.SkipFirst })
	pick("reduction", func() { o.Reduction = f.o.Reduction })
	pick("estimator", func() { o.Estimator = f.o.Estimator })
	pick("kl-coef", func() { o.KLCoef = f.o.KLCoef })
	pick("discount", func() { o.Discount = f.o.Discount })
	if set["missing"] || cfg.Trace.Missing == "" {
		cfg.Trace.Missing = trace.Missing(f.missing)
	}
	cfg.Loss = o
	return cfg, exitOK
}

// flagDiag rewrites an options diagnostic for the command line: the JSON
// path of the option becomes its flag.
func flagDiag(d diag.Diagnostic) string {
	p := d.Path
	for _, pre := range []string{"$.loss.", "$.trace.", "$."} {
		p = strings.TrimPrefix(p, pre)
	}
	msg := d.Message
	if p != "" && p != "$" {
		msg = "--" + strings.ReplaceAll(strings.ReplaceAll(p, "_", "-"), "top-k", "topk") + ": " + msg
	}
	if d.Hint != "" {
		msg += " (" + d.Hint + ")"
	}
	return msg
}

// runLossFile streams the traces through worker goroutines (each with its
// own kernel) and writes the results in input order.
func runLossFile(cfg api.LossConfig, f *lossFlags, file string, stdin io.Reader, stdout, stderr io.Writer) int {
	in := stdin
	name := "-"
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
			return exitFailure
		}
		defer fh.Close()
		in, name = fh, file
	}
	var w io.Writer = stdout
	var outFile *os.File
	if f.out != "" && f.out != "-" {
		fh, err := os.Create(f.out)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
			return exitFailure
		}
		outFile, w = fh, fh
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	workers := f.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	newWorker := func() func(record) api.LossLine {
		lc, _ := api.NewLossComputer(cfg) // cfg was checked by the caller
		return func(r record) api.LossLine {
			if r.tooLong {
				return api.LossLine{Diagnostics: diag.List{{Severity: diag.Error, Code: "line-too-long", File: name, Line: r.lineNo,
					Message: fmt.Sprintf("the record is longer than %d bytes and was skipped", maxTraceBytes)}}}
			}
			return lc.Line(r.line, r.lineNo, name)
		}
	}
	batch := trace.NewBatch(cfg.Loss.Reduction)
	failed := 0
	status := exitOK
	var writeErr error
	err := pipeline(context.Background(), in, maxTraceBytes, workers, newWorker, func(l api.LossLine) bool {
		for _, d := range l.Diagnostics {
			fmt.Fprintln(stderr, d.String())
		}
		if l.Result == nil {
			failed++
			status = exitBadInput
			return true
		}
		batch.Add(l.Result)
		writeErr = writeLossRecord(bw, &l, f)
		return writeErr == nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "rcsd loss: reading %s: %v\n", name, err)
		return exitFailure
	}
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	if writeErr == nil && outFile != nil {
		writeErr = outFile.Close()
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "rcsd loss: %v\n", writeErr)
		return exitFailure
	}
	sum := batch.Summary()
	if f.summary != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if err := writeFileAtomic(f.summary, append(b, '\n')); err != nil {
			fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
			return exitFailure
		}
	}
	printLossSummary(stderr, sum, failed, cfg)
	return status
}

// maxTraceBytes bounds one trace record (a 32k-token trace with top-20
// lists on both sides is about 60 MB).
const maxTraceBytes = 256 << 20

// lossRecord is one output line.
type lossRecord struct {
	*trace.Result
	EngineVersion string `json:"engine_version"`
}

func writeLossRecord(w *bufio.Writer, l *api.LossLine, f *lossFlags) error {
	r := l.Result
	if f.format == "text" {
		writeTokenStrip(w, r, l.Text)
		return nil
	}
	rec := *r
	if f.noTokens {
		rec.Tokens = nil
		for i := range rec.Criteria {
			rec.Criteria[i].Tokens = nil
		}
	}
	b, err := json.Marshal(lossRecord{Result: &rec, EngineVersion: api.EngineVersion})
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

func printLossSummary(w io.Writer, s trace.Summary, failed int, cfg api.LossConfig) {
	o := cfg.Loss
	fmt.Fprintf(w, "\n%d trace(s), %d valid token(s), %d failed; loss %.6g (%s", s.Traces, s.ValidTokens, failed, s.Loss, s.Reduction)
	div := string(o.Divergence)
	if div == "" {
		div = "forward"
	}
	if o.Divergence == distill.JSD {
		div += fmt.Sprintf(" β %g", o.Beta)
	}
	fmt.Fprintf(w, ", %s", div)
	if o.Temperature != 0 && o.Temperature != 1 {
		fmt.Fprintf(w, ", τ %g", o.Temperature)
	}
	if o.Support != "" && o.Support != distill.Full {
		fmt.Fprintf(w, ", %s %d", o.Support, o.TopK)
	}
	if o.ClipEntry > 0 {
		fmt.Fprintf(w, ", clip/entry %g", o.ClipEntry)
	}
	if o.ClipToken > 0 {
		fmt.Fprintf(w, ", clip/token %g", o.ClipToken)
	}
	fmt.Fprintln(w, ")")
	if s.ValidTokens > 0 {
		fmt.Fprintf(w, "clipped tokens %d (%.1f%%)   entropy student %.3f teacher %.3f\n",
			s.ClippedTokens, 100*float64(s.ClippedTokens)/float64(s.ValidTokens), s.MeanEntropyStudent, s.MeanEntropyTeacher)
		fmt.Fprintf(w, "mean advantage log T − log S at τ: %s\n", advantageNote(s.MeanAdvantage, s.AdvantageTokens))
	}
	if s.Approximation != "" {
		fmt.Fprintf(w, "approximation: %s (%d log-probs filled)\n", s.Approximation, s.Filled)
	}
	if len(s.Criteria) > 0 {
		fmt.Fprintln(w, "per-criterion attribution (loss against the teacher that saw one criterion; mean log T_c − log S):")
		for _, c := range s.Criteria {
			adv := "n/a at τ ≠ 1"
			if c.AdvantageTokens > 0 {
				adv = advantageNote(c.MeanAdvantage, c.AdvantageTokens)
			}
			fmt.Fprintf(w, "  %-16s loss %.6g   advantage %s\n", c.ID, c.Loss, adv)
		}
	}
}

// writeTokenStrip prints one trace for a person: its loss, the
// completion with each token's divergence as a shade (░▒▓█, darker is
// larger), and the tokens with the largest divergence, with how much more
// (or less) likely the teacher finds them.
func writeTokenStrip(w *bufio.Writer, r *trace.Result, text []string) {
	fmt.Fprintf(w, "━━ %s: loss %.6g over %d token(s)", r.ID, r.Loss, r.ValidTokens)
	if r.Approximation != "" {
		fmt.Fprintf(w, " (approximation: %s)", r.Approximation)
	}
	w.WriteString("\n")
	maxD := 0.0
	for _, t := range r.Tokens {
		if t.Valid {
			maxD = math.Max(maxD, t.Divergence)
		}
	}
	shades := []string{"·", "░", "▒", "▓", "█"}
	shade := func(t trace.Token) string {
		if !t.Valid || maxD <= 0 {
			return " "
		}
		return shades[min(len(shades)-1, int(math.Max(t.Divergence, 0)/maxD*float64(len(shades)-1)+0.5))]
	}
	// The completion wrapped at about 100 columns, each token followed by
	// its shade in a line below.
	var top, bottom strings.Builder
	flush := func() {
		if top.Len() > 0 {
			fmt.Fprintf(w, "  %s\n  %s\n", top.String(), bottom.String())
			top.Reset()
			bottom.Reset()
		}
	}
	width := 0
	for _, u := range displayUnits(r.Tokens, text) {
		s := strings.NewReplacer("\n", "⏎", "\t", "⇥").Replace(u.text)
		n := utf8.RuneCountInString(s)
		if width+n > 100 {
			flush()
			width = 0
		}
		if n == 0 {
			s, n = " ", 1
		}
		top.WriteString(s)
		bottom.WriteString(strings.Repeat(shade(u.tok), n))
		width += n
	}
	flush()
	type tok struct {
		i int
		d float64
	}
	var ranked []tok
	for i, t := range r.Tokens {
		if t.Valid {
			ranked = append(ranked, tok{i, t.Divergence})
		}
	}
	sort.Slice(ranked, func(a, b int) bool { return ranked[a].d > ranked[b].d })
	if len(ranked) > 0 {
		w.WriteString("  largest divergence (log T − log S of the sampled token):")
		for _, k := range ranked[:min(5, len(ranked))] {
			t := r.Tokens[k.i]
			s := fmt.Sprintf("#%d", t.TokenID)
			if k.i < len(text) && text[k.i] != "" {
				s = text[k.i]
			}
			fmt.Fprintf(w, "  %q %.3g (%+.2f)", s, k.d, t.LogProbTeacher-t.LogProbStudent)
		}
		w.WriteString("\n")
	}
	for _, c := range r.Criteria {
		fmt.Fprintf(w, "  criterion %-14s loss %.6g\n", c.ID, c.Loss)
	}
	w.WriteString("\n")
}

// displayUnit is one or more tokens shown together: byte-fallback tokens
// that only form a character together (a "λ" split into its two UTF-8
// bytes) are joined, and shaded by the largest divergence among them.
type displayUnit struct {
	text string
	tok  trace.Token
}

func displayUnits(toks []trace.Token, text []string) []displayUnit {
	var out []displayUnit
	var cur displayUnit
	open := false
	for i, t := range toks {
		s := fmt.Sprintf("#%d", t.TokenID)
		if i < len(text) && text[i] != "" {
			s = text[i]
		}
		if !open {
			cur = displayUnit{text: s, tok: t}
		} else {
			cur.text += s
			if t.Valid && (!cur.tok.Valid || t.Divergence > cur.tok.Divergence) {
				cur.tok = t
			}
		}
		open = !utf8.ValidString(cur.text) && len(cur.text) < 8
		if !open {
			out = append(out, cur)
		}
	}
	if open {
		out = append(out, cur)
	}
	return out
}

// advantageNote prints a mean advantage, or why it is unknown: at τ ≠ 1
// the sampled token's log-prob needs the full normaliser, which top-k
// log-probs do not give (the per-token logprob_student/teacher at τ 1 are
// in the records).
func advantageNote(mean float64, n int) string {
	if n == 0 {
		return "unknown (top-k log-probs give it at τ = 1 only; see logprob_teacher − logprob_student per token)"
	}
	return fmt.Sprintf("%+.4f over %d tokens", mean, n)
}

// runDenseLoss computes the loss of one completion from two .npy logit
// files, one row of each in memory at a time.
func runDenseLoss(cfg api.LossConfig, f *lossFlags, tokensFile string, stdin io.Reader, stdout, stderr io.Writer) int {
	paths := strings.Split(f.dense, ",")
	if len(paths) != 2 || paths[0] == "" || paths[1] == "" {
		fmt.Fprintln(stderr, "rcsd loss: --dense wants STUDENT.npy,TEACHER.npy")
		return exitUsage
	}
	raw, err := readInput(tokensFile, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
		return exitFailure
	}
	var tokens []int
	for i, field := range strings.FieldsFunc(string(raw), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '[' || r == ']'
	}) {
		id, err := strconv.Atoi(field)
		if err != nil || id < 0 {
			fmt.Fprintf(stderr, "%s: error dense-bad-token: token %d is %q, not a token id (a non-negative integer)\n", tokensFile, i, field)
			return exitBadInput
		}
		tokens = append(tokens, id)
	}
	var readers [2]*trace.NPYReader
	for i, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
			return exitFailure
		}
		defer fh.Close()
		r, err := trace.NewNPYReader(bufio.NewReaderSize(fh, 1<<20))
		if err != nil {
			fmt.Fprintf(stderr, "%s: error dense-bad-npy: %v\n", p, err)
			return exitBadInput
		}
		readers[i] = r
	}
	k, err := distill.NewKernel(cfg.Loss)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
		return exitUsage
	}
	res, err := trace.DenseLoss(k, readers[0], readers[1], tokens, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error dense-loss: %v\n", f.dense, err)
		return exitBadInput
	}
	if f.noTokens {
		res.Tokens = nil
	}
	b, err := json.Marshal(struct {
		distill.Result
		EngineVersion string `json:"engine_version"`
	}{res, api.EngineVersion})
	if err != nil {
		fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
		return exitFailure
	}
	w := stdout
	if f.out != "" && f.out != "-" {
		if err := os.WriteFile(f.out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "rcsd loss: %v\n", err)
			return exitFailure
		}
	} else {
		fmt.Fprintln(w, string(b))
	}
	fmt.Fprintf(stderr, "dense: %d token(s), %d valid, loss %.6g (%s)\n", len(tokens), res.ValidTokens, res.Loss, cfg.Loss.Reduction)
	return exitOK
}
