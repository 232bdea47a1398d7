package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/trace"
)

const logprobsHelp = `
Usage: rcsd logprobs [flags] ITEMS.jsonl|-

Score every response of every item under the student's context (the
question) and the teacher's (the question plus the rubric, as 'rcsd
teacher' shows it) and write one trace per response: the response's token
ids with both sides' log-probs and top-k alternatives, which 'rcsd loss'
reads. The response is tokenized once and the same ids are scored under
both contexts; nothing is sampled.

Backends (--backend):
  demo    the embedded teaching model: no server, no download (--chat plain).
          It knows whole distributions, so each side's top list is widened
          to the union of both sides' top k and every top-k support is exact.
  vllm    a vLLM OpenAI-compatible server: POST /tokenize, then
          /v1/completions with prompt_logprobs (--url, --model). Start vLLM
          with --max-logprobs at least --topk.
  sglang  an SGLang server: POST /generate with input log-probs (--url, --model).
The API key, when the server needs one, is read from RCSD_LOGPROBS_API_KEY.

With --attribution the completion is also scored under a teacher that sees
one criterion at a time, so 'rcsd loss' reports each criterion's share of
the signal (log T_c(y_t) − log S(y_t)).

Examples:
  rcsd logprobs --backend demo --chat plain -o traces.jsonl examples/science.jsonl
  rcsd logprobs --backend vllm --url http://127.0.0.1:8000 --model Qwen/Qwen3-8B \
                --chat qwen3 --topk 20 -o traces.jsonl items.jsonl
  rcsd logprobs --backend demo --chat plain --attribution examples/math.jsonl | rcsd loss --preset rcsd -

Exit codes: 0 every response scored; 1 some records or responses failed
(reported with their line and id); 2 usage error; 3 I/O failure.
`

func runLogprobs(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("logprobs", logprobsHelp, stderr)
	backend := fs.String("backend", "demo", "log-prob `backend`: demo, vllm or sglang")
	url := fs.String("url", "", "server base `URL` (vllm, sglang), e.g. http://127.0.0.1:8000")
	model := fs.String("model", "", "served model `name` (vllm, sglang)")
	var cfg api.LogprobsConfig
	variant := fs.String("variant", "rcsd", "teacher `variant`: rcsd, rgsd, opsd, feedback, single-criterion or none")
	chat := fs.String("chat", "", "chat `template` both contexts are rendered with: chatml, qwen3, llama3 or plain (required)")
	fs.BoolVar(&cfg.Prompt.Thinking, "thinking", false, "render with thinking on (qwen3)")
	fs.StringVar(&cfg.Prompt.Custom, "template", "", "custom composition with {prompt} and {privileged_context}")
	fs.StringVar(&cfg.Prompt.Criterion, "criterion", "", "criterion `id` for --variant single-criterion")
	fs.BoolVar(&cfg.ServerTemplate, "server-template", false, "tokenize the chat messages with the server's own template (vllm /tokenize)")
	fs.IntVar(&cfg.TopK, "topk", api.DefaultTopK, "alternatives per position and side (`k`)")
	fs.BoolVar(&cfg.Attribution, "attribution", false, "also score under a teacher per criterion (per-criterion attribution)")
	rubricFile := fs.String("rubric", "", "shared rubric `FILE` for items without their own")
	judgeKind := fs.String("judge", "auto", "`judge` whose verdicts the feedback variant shows")
	out := fs.String("o", "", "write traces to `FILE` (default standard output)")
	cfgFile := fs.String("config", "", "take the prompt section (and preset) of an rcsd config `FILE`; flags given win")
	concurrency := fs.Int("concurrency", 8, "items scored at once (requests in flight for a server)")
	timeout := fs.Duration("timeout", 120*time.Second, "per-request `timeout` for a server")
	retries := fs.Int("retries", remote.DefaultMaxRetries, "retries on timeouts, 429 and 5xx")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if !oneFile(files, "logprobs", "items", stderr) {
		return exitUsage
	}
	if cfg.TopK < 1 || cfg.TopK > api.MaxTopK {
		fmt.Fprintf(stderr, "rcsd logprobs: --topk %d: want 1 to %d alternatives per position (the demo model lists at most its vocabulary, %d)\n", cfg.TopK, api.MaxTopK, demoVocab())
		return exitUsage
	}
	cfg.Prompt.Variant, cfg.Prompt.Chat = prompt.Variant(*variant), prompt.ChatTemplate(*chat)
	if *cfgFile != "" {
		if code := applyPromptConfig(*cfgFile, fs, &cfg.Prompt, "logprobs", stderr); code != exitOK {
			return code
		}
		*chat = string(cfg.Prompt.Chat)
	}
	if *chat == "" {
		fmt.Fprintln(stderr, "rcsd logprobs: --chat is required: the chat template of the model you score with (plain for the demo model)")
		return exitUsage
	}
	if msg := checkPromptNames(cfg.Prompt); msg != "" {
		fmt.Fprintf(stderr, "rcsd logprobs: %s\n", msg)
		return exitUsage
	}
	scorer, msg := newScorer(*backend, *url, *model, *concurrency, *timeout, *retries)
	if msg != "" {
		fmt.Fprintf(stderr, "rcsd logprobs: %s\n", msg)
		return exitUsage
	}
	ecfg := api.EvalConfig{Judge: judge.Kind(*judgeKind)}
	if *rubricFile != "" {
		data, err := os.ReadFile(*rubricFile)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd logprobs: %v\n", err)
			return exitFailure
		}
		r, dl := rubric.Load(*rubricFile, data)
		for _, d := range dl {
			fmt.Fprintln(stderr, d.String())
		}
		if r == nil {
			return exitBadInput
		}
		ecfg.Rubric = r
	}
	ev, err := api.NewEvaluator(ecfg)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd logprobs: %v\n", err)
		return exitUsage
	}
	in, name := stdin, "-"
	if files[0] != "-" {
		fh, err := os.Open(files[0])
		if err != nil {
			fmt.Fprintf(stderr, "rcsd logprobs: %v\n", err)
			return exitFailure
		}
		defer fh.Close()
		in, name = fh, files[0]
	}
	w := stdout
	var outFile *os.File
	if *out != "" && *out != "-" {
		fh, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd logprobs: %v\n", err)
			return exitFailure
		}
		outFile, w = fh, fh
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	status := scoreItems(ctx, ev, scorer, cfg, in, name, w, stderr, max(*concurrency, 1), ecfg)
	if outFile != nil {
		if err := outFile.Close(); err != nil {
			fmt.Fprintf(stderr, "rcsd logprobs: %v\n", err)
			return exitFailure
		}
	}
	if ctx.Err() != nil && status != exitFailure {
		return exitInterrupted
	}
	return status
}

// demoVocab is the demo model's vocabulary size (0 if it cannot load).
func demoVocab() int {
	m, err := demo.Load()
	if err != nil {
		return 0
	}
	return m.VocabSize()
}

// newScorer builds the backend; msg explains a bad setting.
func newScorer(backend, url, model string, concurrency int, timeout time.Duration, retries int) (lm.Scorer, string) {
	key := os.Getenv("RCSD_LOGPROBS_API_KEY")
	client := func() remote.Client {
		return remote.Client{BaseURL: url, Model: model, APIKey: key, Limiter: remote.NewLimiter(max(concurrency, 1)),
			HTTP: nil, MaxRetries: retries, Timeout: timeout}
	}
	switch backend {
	case "demo":
		if url != "" {
			return nil, "--url is for a server backend; the demo model is built in"
		}
		m, err := demo.Load()
		if err != nil {
			return nil, err.Error()
		}
		return lm.Demo(m), ""
	case "vllm", "sglang":
		if url == "" || model == "" {
			return nil, fmt.Sprintf("--backend %s needs --url (the server) and --model (the served model name)", backend)
		}
		if backend == "vllm" {
			return &remote.VLLM{Client: client()}, ""
		}
		return &remote.SGLang{Client: client()}, ""
	}
	return nil, nameError("--backend", backend, []string{"demo", "vllm", "sglang"})
}

// scored is one item's traces and what went wrong.
type scored struct {
	out    []byte
	diags  []string
	failed bool
}

// scoreItems scores items with n workers and writes the traces in input
// order.
func scoreItems(ctx context.Context, ev *api.Evaluator, s lm.Scorer, cfg api.LogprobsConfig, in io.Reader, name string, w io.Writer, stderr io.Writer, n int, ecfg api.EvalConfig) int {
	newWorker := func() func(record) scored {
		return func(r record) scored {
			var j scored
			if r.tooLong {
				j.failed = true
				j.diags = []string{fmt.Sprintf("%s:%d: error line-too-long: the record is longer than %d bytes and was skipped", name, r.lineNo, eval.MaxLineBytes)}
				return j
			}
			it, dl := eval.ParseItem(r.line, r.lineNo, eval.ParseOptions{File: name, Rubric: ecfg.Rubric})
			for _, d := range dl {
				j.diags = append(j.diags, d.String())
			}
			if it == nil {
				j.failed = true
				return j
			}
			trs, tdl := ev.Traces(ctx, s, it, cfg)
			for _, d := range tdl.WithFile(name) {
				j.diags = append(j.diags, d.String())
			}
			j.failed = tdl.HasErrors()
			for _, tr := range trs {
				j.out = trace.Append(j.out, tr)
				j.out = append(j.out, '\n')
			}
			return j
		}
	}
	bw := bufio.NewWriter(w)
	failed, traces := 0, 0
	status := exitOK
	var writeErr error
	err := pipeline(ctx, in, eval.MaxLineBytes, n, newWorker, func(j scored) bool {
		for _, d := range j.diags {
			fmt.Fprintln(stderr, d)
		}
		if j.failed {
			failed++
			status = exitBadInput
		}
		traces += strings.Count(string(j.out), "\n")
		_, writeErr = bw.Write(j.out)
		return writeErr == nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "rcsd logprobs: reading %s: %v\n", name, err)
		return exitFailure
	}
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "rcsd logprobs: %v\n", writeErr)
		return exitFailure
	}
	fmt.Fprintf(stderr, "%d trace(s) written; %d record(s) with errors\n", traces, failed)
	return status
}
