package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/report"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

const evalHelp = `
Usage: rcsd eval [flags] FILE|- [FILE...]

Judge every response of every item against its rubric, criterion by
criterion, and score it. Input: JSONL, one item per line:

  {"id": "q1", "prompt": "Why is the sky blue?",
   "rubric": [{"title": "...", "description": "Essential Criteria: ...", "weight": 5}],
   "responses": ["...", "..."], "labels": [[true, false], [true, true]]}

HealthBench rows (prompt_id, prompt messages, rubrics) are items as they
are. Output: one JSON record per (item, response) with its score, each
criterion's verdict (met, status, judge, evidence, error) and, for items
with several responses, the GRPO advantage.

A criterion's status is met, not_met, unjudged (the judge failed, e.g. the
grader is down; error says why) or not_applicable (the judge has no means
to decide it, e.g. --judge rules on a criterion without checks). A
response with an unjudged criterion scores null, not 0; not-applicable
criteria are left out of the score. --resume judges again exactly the
items with unjudged criteria and keeps the rest.

Judges (--judge):
  auto     labels where given, rules where a criterion has checks, else llm
           when --judge-url is set, else lexical (default)
  labels   the item's "labels" (human labels or an earlier run)
  rules    the criteria's machine checks (contains, regex, boxed answer, ...)
  lexical  offline key-term heuristic; its verdicts are marked heuristic
  llm      an OpenAI-compatible grader (--judge-url, --judge-model; the key
           comes only from the RCSD_JUDGE_API_KEY environment variable)

Scoring rules (--scoring): healthbench (Σ met points / Σ positive points),
rar (Σ w·met / Σ w), rar-category (Essential 1.0, Important 0.7, Optional
0.3, Pitfall 0.9), research (ResearchRubrics), weighted (positive criteria).
See docs/scoring.md.

Reliability: a malformed record is reported with its line and skipped
(--strict stops instead); an interrupted run never leaves a partial record
and continues with --resume; --shard i/n splits a big file across machines,
and 'rcsd merge' joins the parts. Outputs are checked before any work (an
output that is an input, under any name or link, is refused); -o is locked
for the run (OUT.lock) and gets a run record (OUT.run.json) that --resume
and merge check, so runs are never mixed. -o /dev/null and /dev/stdout work.

Settings can come from an rcsd config file (--config, docs/cli.md#config);
a flag given on the command line overrides the file.

Examples:
  rcsd eval --config examples/eval-config.yaml examples/medical.jsonl
  rcsd eval --judge labels --scoring healthbench -o out.jsonl --summary sum.json rows.jsonl
  rcsd eval --format text examples/math.jsonl
  rcsd eval --rubric rubric.yaml --judge llm --judge-url http://127.0.0.1:8000/v1 \
            --judge-model Qwen/Qwen3-8B -o out.jsonl --resume items.jsonl
  rcsd eval --shard 2/4 -o part2.jsonl big.jsonl && rcsd merge -o all.jsonl part*.jsonl

Exit codes: 0 all records evaluated; 1 some records skipped (or --strict
stopped); 2 usage error; 3 I/O failure (or -o locked by another run);
4 incomplete: every record was written but some criteria could not be
judged (use --resume to judge them); 130 interrupted (use --resume).
`

type evalOptions struct {
	judge, scoring, grpo, format string
	out, summary, reportFile     string
	rubricFile, configFile       string
	concurrency                  int
	resume, overwrite, strict    bool
	quiet, noProgress            bool
	shard                        shardFlag
	seed                         uint
	bootstrap                    int
	judgeURL, judgeModel         string
	judgeMode, judgeCache        string
	judgeTimeout                 time.Duration
	judgeRetries                 int
	reportK                      int
	maxRecord                    int
	cpuProfile                   string
}

func runEval(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o evalOptions
	fs := newFlagSet("eval", evalHelp, stderr)
	fs.StringVar(&o.judge, "judge", "auto", "`judge`: auto, labels, rules, lexical or llm")
	fs.StringVar(&o.scoring, "scoring", "healthbench", "scoring `rule`: healthbench, rar, rar-category, research or weighted")
	fs.StringVar(&o.grpo, "grpo", "trl", "GRPO advantage `convention` for items with several responses: trl (ε 1e-4, group std), trl-batch, trl-none, verl (ε 1e-6) or verl-nostd")
	fs.StringVar(&o.format, "format", "jsonl", "output `format`: jsonl (records) or text (feedback a person reads)")
	fs.StringVar(&o.out, "o", "", "write records to `FILE` (default standard output)")
	fs.StringVar(&o.summary, "summary", "", "write the aggregate in HealthBench's layout to `FILE` (JSON)")
	fs.StringVar(&o.reportFile, "report", "", "write a self-contained HTML report to `FILE`")
	fs.IntVar(&o.reportK, "report-lowest", 10, "how many lowest-scoring responses the report shows")
	fs.StringVar(&o.rubricFile, "rubric", "", "shared rubric `FILE` for items without an inline rubric")
	fs.StringVar(&o.configFile, "config", "", "read settings from an rcsd config `FILE` (YAML or JSON; flags given explicitly win)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "records (and, for llm, requests) in flight; default: CPU count, 16 with an llm judge")
	fs.BoolVar(&o.resume, "resume", false, "continue an interrupted or incomplete run: skip items already in -o FILE, judge again those with unjudged criteria")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace an existing non-empty -o FILE")
	fs.BoolVar(&o.strict, "strict", false, "stop at the first bad record instead of skipping it")
	fs.BoolVar(&o.quiet, "q", false, "print only errors on standard error (no warnings, no summary)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "never draw the progress bar")
	fs.Var(&o.shard, "shard", "process shard `i/n` of the records (by line number; 1 <= i <= n)")
	fs.UintVar(&o.seed, "seed", 0, "bootstrap `seed` (NumPy-compatible: np.random.seed(seed))")
	fs.IntVar(&o.bootstrap, "bootstrap", 1000, "bootstrap `samples` for the std of the means")
	fs.StringVar(&o.judgeURL, "judge-url", "", "OpenAI-compatible base `URL` of the llm grader, e.g. http://127.0.0.1:8000/v1")
	fs.StringVar(&o.judgeModel, "judge-model", "", "grader model `name`")
	fs.StringVar(&o.judgeMode, "judge-mode", "per-criterion", "llm `mode`: per-criterion (HealthBench) or per-response")
	fs.StringVar(&o.judgeCache, "judge-cache", "", "llm reply cache `FILE` (default: -o FILE + .cache when -o is set)")
	fs.DurationVar(&o.judgeTimeout, "judge-timeout", 60*time.Second, "per-attempt grader `timeout`")
	fs.IntVar(&o.judgeRetries, "judge-retries", 5, "grader retries on timeouts, 429 and 5xx")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (go tool pprof FILE), to see where time goes")
	fs.IntVar(&o.maxRecord, "max-record-bytes", eval.MaxLineBytes, "skip (and report) records longer than `N` bytes without holding them in memory")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if o.configFile != "" {
		if code := applyConfig(fs, &o, stderr); code != exitOK {
			return code
		}
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "rcsd eval: no input: give a JSONL file, or - for standard input (rcsd eval -h)")
		return exitUsage
	}
	if o.seed > math.MaxUint32 {
		fmt.Fprintf(stderr, "rcsd eval: --seed %d: NumPy seeds are 32-bit, want 0 to %d\n", o.seed, uint32(math.MaxUint32))
		return exitUsage
	}
	if o.resume && o.out == "" {
		fmt.Fprintln(stderr, "rcsd eval: --resume needs -o FILE (the output to continue)")
		return exitUsage
	}
	if o.format != "jsonl" && o.format != "text" {
		fmt.Fprintf(stderr, "rcsd eval: --format %q: want jsonl or text\n", o.format)
		return exitUsage
	}
	if o.resume && o.format != "jsonl" {
		fmt.Fprintln(stderr, "rcsd eval: --resume works with --format jsonl only")
		return exitUsage
	}

	if code := checkEvalPaths(&o, files, stdin, stderr); code != exitOK {
		return code
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd eval: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "rcsd eval: %v\n", err)
			return exitFailure
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &evalRun{opts: o, stdin: stdin, stdout: stdout, stderr: stderr}
	return r.run(ctx, files)
}

// evalRun is one `rcsd eval` invocation.
type evalRun struct {
	opts           evalOptions
	stdin          io.Reader
	stdout, stderr io.Writer

	ev      *api.Evaluator
	sum     *eval.Summary
	lowest  *report.LowestK
	done    map[uint64]bool // resume: ids already in the output
	claimed map[uint64]bool // resume: done ids an input record has matched
	seen    map[uint64]string
	seed    maphash.Seed
	skipped int
	resumed int
	diagOut *diagPrinter
	// legendDone: the text format's legend has been written.
	legendDone bool
	closers    []func() error

	// lock is held on -o for the whole run (released after closers).
	lock *outputLock
	// runRec is -o's run record (FILE.run.json), nil when -o is not a
	// regular JSONL file; digests are the inputs' sha256 hex ("" until
	// read), tee hashes the file being read when its digest is unknown.
	runRec   *eval.RunRecord
	settings eval.RunSettings
	digests  []string
	tee      hash.Hash
}

func (r *evalRun) run(ctx context.Context, files []string) (code int) {
	o := &r.opts
	r.seed = maphash.MakeSeed()
	r.sum = eval.NewSummary()
	r.lowest = report.NewLowestK(o.reportK)
	r.seen = map[uint64]string{}
	r.diagOut = &diagPrinter{w: r.stderr, quiet: o.quiet}
	defer func() {
		// Closing the output file or the judge's reply cache can fail
		// (a full disk); a run whose output may be incomplete says so.
		for _, c := range r.closers {
			if err := c(); err != nil {
				fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
				if code == exitOK || code == exitBadInput {
					code = exitFailure
				}
			}
		}
		if r.lock != nil {
			r.lock.release()
		}
	}()
	if o.out != "" && o.out != "-" && isRegularOrAbsent(o.out) {
		l, err := lockOutput(o.out, "rcsd eval")
		if err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
			return exitFailure
		}
		r.lock = l
	}

	cfg := api.EvalConfig{Judge: judge.Kind(o.judge), Scoring: o.scoring, GRPO: o.grpo}
	if o.rubricFile != "" {
		data, err := os.ReadFile(o.rubricFile)
		if err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
			return exitUsage
		}
		r.settings.Rubric = digestBytes(data)
		rb, diags := rubric.Load(o.rubricFile, data)
		r.diagOut.print(diags)
		if diags.HasErrors() {
			fmt.Fprintf(r.stderr, "rcsd eval: the rubric %s has errors\n", o.rubricFile)
			return exitBadInput
		}
		cfg.Rubric = rb
	}
	if o.concurrency <= 0 {
		o.concurrency = runtime.GOMAXPROCS(0)
		if o.judgeURL != "" {
			o.concurrency = 16
		}
	}
	llm, err := r.llmJudge()
	if err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return exitUsage
	}
	cfg.LLM = llm
	r.ev, err = api.NewEvaluator(cfg)
	if err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return exitUsage
	}

	r.settings.Engine, r.settings.Judge, r.settings.Scoring, r.settings.GRPO = api.EngineVersion, o.judge, o.scoring, o.grpo
	if o.judgeURL != "" {
		r.settings.JudgeModel, r.settings.JudgeMode = o.judgeModel, o.judgeMode
	}
	if code := r.digestInputs(files); code != exitOK {
		return code
	}
	out, code := r.openOutput()
	if out == nil {
		return code
	}

	start := time.Now()
	status := exitOK
	for i, file := range files {
		r.tee = nil
		if r.runRec != nil && r.digests[i] == "" {
			r.tee = sha256.New()
		}
		st := r.evalFile(ctx, file, out)
		if st > status {
			status = st
		}
		if status == exitInterrupted || status == exitFailure || (status == exitBadInput && o.strict) {
			break
		}
		// The whole file was read: its digest is known.
		if r.tee != nil {
			r.digests[i] = hex.EncodeToString(r.tee.Sum(nil))
		}
	}
	if err := out.flush(); err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: writing output: %v\n", err)
		return exitFailure
	}
	complete := status == exitOK || (status == exitBadInput && !o.strict)
	if err := r.finishRunRecord(out, complete); err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return exitFailure
	}
	elapsed := time.Since(start)
	if st := r.finish(elapsed, files); st > status {
		status = st
	}
	if status == exitOK && r.skipped > 0 {
		status = exitBadInput
	}
	if status == exitOK && r.sum.Unjudged > 0 {
		status = exitIncomplete
	}
	return status
}

// llmJudge builds the llm grader when --judge-url is set.
func (r *evalRun) llmJudge() (judge.Judge, error) {
	o := &r.opts
	if o.judgeURL == "" {
		if o.judge == string(judge.KindLLM) {
			return nil, fmt.Errorf("--judge llm needs --judge-url (an OpenAI-compatible base URL) and --judge-model")
		}
		return nil, nil
	}
	cachePath := o.cachePath()
	j, closeFn, err := newLLMJudge(llmSettings{
		url: o.judgeURL, model: o.judgeModel, mode: o.judgeMode, cache: cachePath,
		key: os.Getenv("RCSD_JUDGE_API_KEY"), concurrency: o.concurrency,
		timeout: o.judgeTimeout, retries: o.judgeRetries,
	})
	if err != nil {
		return nil, err
	}
	if closeFn != nil {
		r.closers = append(r.closers, closeFn)
	}
	return j, nil
}

// chunk is a run of consecutive records handed to one worker.
type chunk struct {
	seq     int
	lines   [][]byte
	lineNos []int
	tooLong []bool
	outs    []lineOut
	// tainted is set when the run was cancelled while the chunk was
	// being judged: its verdicts may hold cancellation errors, so it is
	// not written (a --resume run judges it again).
	tainted bool
}

type lineOut struct {
	res     api.LineResult
	enc     []byte
	id      string
	resumed bool
}

const (
	chunkLines = 128
	chunkBytes = 4 << 20
)

func (r *evalRun) evalFile(parent context.Context, file string, out *output) int {
	o := &r.opts
	var in io.Reader
	var size int64
	name := file
	if file == "-" {
		in, name = r.stdin, "<stdin>"
	} else {
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	if r.tee != nil {
		in = io.TeeReader(in, r.tee)
	}
	lr := newLineReader(in, o.maxRecord)
	bar := newProgress(r.stderr, name, size, !o.noProgress && !o.quiet)
	defer bar.done()

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	todo := make(chan *chunk, o.concurrency)
	doneCh := make(chan *chunk, o.concurrency)
	var readErr error
	readerDone := make(chan struct{})
	go func() { // reader
		defer func() { close(readerDone); close(todo) }()
		seq := 0
		for ctx.Err() == nil {
			c := &chunk{seq: seq}
			size := 0
			for len(c.lines) < chunkLines && size < chunkBytes {
				line, n, tooLong, err := lr.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					readErr = err
					break
				}
				if !o.shard.keep(n) || (!tooLong && len(trimSpace(line)) == 0) {
					continue
				}
				c.lines = append(c.lines, append([]byte(nil), line...))
				c.lineNos = append(c.lineNos, n)
				c.tooLong = append(c.tooLong, tooLong)
				size += len(line)
			}
			bar.set(lr.n)
			if len(c.lines) == 0 {
				return
			}
			select {
			case todo <- c:
			case <-ctx.Done():
				return
			}
			seq++
			if readErr != nil {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// Stop on cancellation without waiting for the reader: it
				// may be blocked on input that never comes (a terminal, an
				// idle pipe), and a stopped run writes nothing more.
				var c *chunk
				select {
				case c = <-todo:
				case <-ctx.Done():
					return
				}
				if c == nil {
					return
				}
				r.work(ctx, name, c)
				doneCh <- c
			}
		}()
	}
	go func() { wg.Wait(); close(doneCh) }()

	// Writer: in input order, so output order is deterministic.
	status := exitOK
	pending := map[int]*chunk{}
	next := 0
	stopped := false
	for c := range doneCh {
		if stopped {
			continue
		}
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if c.tainted {
				stopped = true
				break
			}
			st := r.write(name, c, out)
			if st != exitOK {
				status = st
				if st == exitFailure || o.strict {
					stopped = true
					cancel()
					break
				}
			}
		}
		if stopped {
			cancel()
		}
	}
	bar.done()
	if parent.Err() != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: interrupted; every record written is complete; rerun with --resume to continue\n")
		return exitInterrupted
	}
	select {
	case <-readerDone: // readErr is safe to read
		if readErr != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: reading %s: %v\n", name, readErr)
			return exitFailure
		}
	default: // stopped early (--strict, a write error); the reader may still be blocked
	}
	return status
}

// work parses, judges and encodes the records of c.
func (r *evalRun) work(ctx context.Context, file string, c *chunk) {
	c.outs = make([]lineOut, len(c.lines))
	for i, line := range c.lines {
		lo := &c.outs[i]
		if c.tooLong[i] {
			lo.res.Diagnostics = diag.List{{Severity: diag.Error, Code: "line-too-long", File: file, Line: c.lineNos[i],
				Message: fmt.Sprintf("the record is longer than %d bytes (--max-record-bytes) and was skipped", r.opts.maxRecord)}}
			continue
		}
		if r.done != nil {
			// Resume: records already in the output are not judged again.
			if id, ok := api.RecordID(line, c.lineNos[i]); ok && r.done[r.hash(id)] {
				lo.resumed, lo.id = true, id
				continue
			}
		}
		lo.res = r.ev.Line(ctx, line, c.lineNos[i], file)
		if lo.res.Item == nil {
			continue
		}
		lo.id = lo.res.Item.ID
		if r.opts.format == "jsonl" {
			for k := range lo.res.Results {
				b, err := json.Marshal(&lo.res.Results[k])
				if err != nil { // cannot happen for these types; keep the record out rather than write half
					lo.res.Diagnostics = append(lo.res.Diagnostics, diag.Diagnostic{Severity: diag.Error, Code: "internal",
						File: file, Line: c.lineNos[i], Message: "encoding the result: " + err.Error()})
					lo.res.Item, lo.enc = nil, nil
					break
				}
				lo.enc = append(lo.enc, b...)
				lo.enc = append(lo.enc, '\n')
			}
		}
	}
	c.lines = nil
	if ctx.Err() != nil {
		c.tainted = true
	}
}

func (r *evalRun) hash(id string) uint64 { return maphash.String(r.seed, id) }

// skip counts a record left out (bad input) and reports whether --strict
// stops the run there, saying so.
func (r *evalRun) skip(file string, line int) (stop bool) {
	r.skipped++
	if r.opts.strict {
		fmt.Fprintf(r.stderr, "rcsd eval: stopping at %s:%d (--strict)\n", file, line)
	}
	return r.opts.strict
}

// write handles one chunk in order: diagnostics, duplicate ids, output,
// summary.
func (r *evalRun) write(file string, c *chunk, out *output) int {
	status := exitOK
	for i := range c.outs {
		lo := &c.outs[i]
		if lo.resumed {
			h := r.hash(lo.id)
			if !r.claimed[h] {
				r.claimed[h] = true
				r.resumed++
				continue
			}
			// A second input record with a done id: the duplicate an
			// uninterrupted run reports.
			r.diagOut.print(diag.List{dupDiag(file, c.lineNos[i], lo.id)})
			if r.skip(file, c.lineNos[i]) {
				return exitBadInput
			}
			status = exitBadInput
			continue
		}
		r.diagOut.print(lo.res.Diagnostics)
		it := lo.res.Item
		if it == nil {
			if r.skip(file, c.lineNos[i]) {
				return exitBadInput
			}
			status = exitBadInput
			continue
		}
		h := r.hash(it.ID)
		if prev, dup := r.seen[h]; dup && prev == it.ID {
			r.diagOut.print(diag.List{dupDiag(file, c.lineNos[i], it.ID)})
			if r.skip(file, c.lineNos[i]) {
				return exitBadInput
			}
			status = exitBadInput
			continue
		}
		r.seen[h] = it.ID
		if r.opts.format == "text" {
			if !r.legendDone {
				out.buf = append(out.buf, feedbackLegend...)
				r.legendDone = true
			}
			writeFeedback(&out.buf, it, lo.res.Results)
		} else {
			out.buf = append(out.buf, lo.enc...)
		}
		r.sum.Add(it, lo.res.Results)
		r.offerLowest(it, lo.res.Results)
	}
	if err := out.flushIfLarge(); err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: writing output: %v\n", err)
		return exitFailure
	}
	return status
}

func dupDiag(file string, line int, id string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Code: "duplicate-id", File: file, Line: line, Path: "$.id",
		Message: fmt.Sprintf("the id %q was already used by an earlier record; this record is skipped", id),
		Hint:    "ids must be unique so results can be joined and resumed"}
}

func (r *evalRun) offerLowest(it *eval.Item, rs []eval.Result) {
	if r.opts.reportFile == "" {
		return
	}
	for _, res := range rs {
		if res.Score == nil {
			continue
		}
		r.lowest.Offer(*res.Score, reportResponse(it, res))
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// output writes whole records only: records are gathered in buf and
// written with one write call each time, so a kill never leaves half a
// record behind (a torn tail from a crash mid-write is cut by --resume).
type output struct {
	f   *os.File
	w   io.Writer
	buf []byte
}

func (o *output) flushIfLarge() error {
	if len(o.buf) < 1<<20 {
		return nil
	}
	return o.flush()
}

func (o *output) flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	_, err := o.w.Write(o.buf)
	o.buf = o.buf[:0]
	return err
}

// openOutput opens -o (or stdout). With --resume it reads what is there,
// cuts a torn final line, and loads the finished ids and their results.
func (r *evalRun) openOutput() (*output, int) {
	o := &r.opts
	if o.out == "" || o.out == "-" {
		return &output{w: r.stdout}, exitOK
	}
	if !isRegularOrAbsent(o.out) {
		// A device or a pipe (/dev/null, /dev/stdout): written as it is,
		// never truncated, resumed or locked.
		if o.resume {
			fmt.Fprintf(r.stderr, "rcsd eval: --resume needs -o to be a regular file; %s is not\n", o.out)
			return nil, exitUsage
		}
		f, err := os.OpenFile(o.out, os.O_WRONLY, 0)
		if err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
			return nil, exitFailure
		}
		r.closers = append(r.closers, f.Close)
		return &output{f: f, w: f}, exitOK
	}
	flags := os.O_RDWR | os.O_CREATE
	f, err := os.OpenFile(o.out, flags, 0o644)
	if err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return nil, exitFailure
	}
	r.closers = append(r.closers, f.Close)
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return nil, exitFailure
	}
	switch {
	case o.resume:
		if code := r.checkResumeRecord(); code != exitOK {
			return nil, code
		}
		if err := r.loadResume(f); err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: --resume: %v\n", err)
			return nil, exitFailure
		}
	case st.Size() > 0 && !o.overwrite:
		fmt.Fprintf(r.stderr, "rcsd eval: %s already holds results; use --resume to continue that run or --overwrite to replace it\n", o.out)
		return nil, exitUsage
	default:
		if err := f.Truncate(0); err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
			return nil, exitFailure
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return nil, exitFailure
	}
	if err := r.writeRunRecord(); err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
		return nil, exitFailure
	}
	return &output{f: f, w: f}, exitOK
}

// loadResume reads an earlier run's output: every complete record counts
// as done; a final line with no newline (a write cut by a crash) is cut
// off. A complete line that is not a record means the file is not an rcsd
// output, and nothing is touched. The records of an item with any
// unjudged criterion are taken out of the file (retryUnjudged) so the item
// is judged again whole: its advantages need every response's score, and
// the judge's reply cache keeps the criteria already judged from being
// asked again.
func (r *evalRun) loadResume(f *os.File) error {
	r.done = map[uint64]bool{}
	r.claimed = map[uint64]bool{}
	br := bufio.NewReaderSize(f, 1<<20)
	var good, groupStart int64 // groupStart: offset of the last item's first record
	lineNo := 0
	var group []eval.Result
	groupUnjudged := false
	var drop []span // byte ranges of items to judge again
	retryRecords := 0
	flush := func() {
		if len(group) == 0 {
			return
		}
		if groupUnjudged {
			h := r.hash(group[0].ID)
			delete(r.done, h)
			delete(r.seen, h)
			drop = append(drop, span{groupStart, good})
			retryRecords += len(group)
		} else {
			r.sum.Add(nil, group)
		}
		group, groupUnjudged = group[:0], false
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			lineNo++
			var res eval.Result
			if e := json.Unmarshal(line, &res); e != nil || res.ID == "" {
				return fmt.Errorf("%s:%d is not an rcsd eval record; refusing to resume into it", r.opts.out, lineNo)
			}
			if len(group) > 0 && group[0].ID != res.ID {
				flush()
				groupStart = good
			}
			group = append(group, res)
			groupUnjudged = groupUnjudged || hasUnjudged(&res)
			r.done[r.hash(res.ID)] = true
			r.seen[r.hash(res.ID)] = res.ID
			good += int64(len(line))
		} else if len(line) > 0 {
			fmt.Fprintf(r.stderr, "rcsd eval: --resume: cut a partial record at the end of %s (line %d)\n", r.opts.out, lineNo+1)
			if len(group) > 0 {
				// The cut write may have ended inside the last item's
				// records (one per response): cut them too, so that item
				// is judged again whole rather than left incomplete.
				fmt.Fprintf(r.stderr, "rcsd eval: --resume: cut the %d record(s) of %q before it, which may be incomplete\n", len(group), group[0].ID)
				h := r.hash(group[0].ID)
				delete(r.done, h)
				delete(r.seen, h)
				group, groupUnjudged = group[:0], false
				good = groupStart
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	flush()
	if len(drop) == 0 {
		return f.Truncate(good)
	}
	fmt.Fprintf(r.stderr, "rcsd eval: --resume: judging again %d item(s) (%d record(s)) with unjudged criteria\n", len(drop), retryRecords)
	return r.retryUnjudged(f, good, drop)
}
