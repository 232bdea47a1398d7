package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/remote"
)

const serveHelp = `
Usage: rcsd serve [flags]

Serve the playground's files and the JSON API on this machine: the same
handler (core/httpapi) as the Cloudflare Worker, so both answer alike.

  POST /api/v1/validate   POST /api/v1/evaluate   POST /api/v1/loss
  POST /api/v1/contexts   POST /api/v1/playground POST /api/v1/export
  GET  /api/v1/version

Requests and replies are documented in docs/api.md. The first line on
standard output is the server's URL (with --addr 127.0.0.1:0 the port is
chosen free); then one line per request goes to standard error (-q stops
them). SIGINT (Ctrl-C) or SIGTERM stops it cleanly: requests in flight
finish, up to 10 s.

The server binds to 127.0.0.1 unless --addr says otherwise; it serves
anyone who can reach that address, without authentication. Files are
served from inside --dir only (no link leads out, no directory is
listed). A client gets 10 s for a request's headers, 60 s for the whole
request and 120 s idle between requests; one that reads none of a reply
for --write-timeout is dropped.

The llm judge is available when --judge-url (or RCSD_JUDGE_URL) and
--judge-model (or RCSD_JUDGE_MODEL) are set; the key is read only from
RCSD_JUDGE_API_KEY and never appears in a reply or a log line: replies
pass through a redactor that removes the key, any 8-byte piece of it and
any Bearer or Authorization value a grader echoes. The playground method
scores with the embedded demo model when no traces are given.

Cross-origin requests: a keyless server answers any web page
(Access-Control-Allow-Origin: *). A server holding RCSD_JUDGE_API_KEY
refuses, with 403 and before any work, every request whose Origin header
is neither its own (the playground it serves with --dir) nor given with
--allow-origin, so no other page can spend the key or read the verdicts;
clients that send no Origin (curl, scripts) are served. --allow-origin '*'
opens it to every page.

Each request's work is bounded (top-k, responses, tokens: docs/api.md
has the limits; past them 400 over-limit), at most max(2, cores)
requests compute at once, and a request still computing after
--compute-timeout, or whose client left, stops (503).

Examples:
  make site && rcsd serve --dir bin/site          # then open the URL printed
  rcsd serve --addr 127.0.0.1:0 -q                # API only, a free port
  curl -s http://127.0.0.1:8080/api/v1/version
  rcsd serve --judge-url http://127.0.0.1:8000 --judge-model m \
             --allow-origin https://playground.example   # with RCSD_JUDGE_API_KEY set

Exit codes: 0 stopped by a signal; 2 usage error; 3 the address or the
directory could not be used.
`

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", serveHelp, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `host:port` (port 0: a free port)")
	dir := fs.String("dir", "", "serve the static files of `DIR` (the playground, built by make site) at /")
	maxBody := fs.Int64("max-body", httpapi.DefaultMaxBodyBytes, "largest request body in `bytes` (413 beyond)")
	judgeURL := fs.String("judge-url", os.Getenv("RCSD_JUDGE_URL"), "OpenAI-compatible `URL` of the llm judge's grader (default $RCSD_JUDGE_URL)")
	judgeModel := fs.String("judge-model", os.Getenv("RCSD_JUDGE_MODEL"), "the grader's model `name` (default $RCSD_JUDGE_MODEL)")
	var allow originsFlag
	fs.Var(&allow, "allow-origin", "with a grader key, also answer web pages from `URL` (scheme://host[:port], or '*'; repeatable)")
	quiet := fs.Bool("q", false, "no log line per request")
	computeTimeout := fs.Duration("compute-timeout", api.DefaultComputeTimeout, "stop a request still computing after `duration` (503 compute-timeout)")
	writeStall := fs.Duration("write-timeout", serveWriteStall, "drop a client that reads none of a reply for this `duration`")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "rcsd serve: unexpected argument %q (rcsd serve -h)\n", rest[0])
		return exitUsage
	}
	if *writeStall <= 0 {
		fmt.Fprintf(stderr, "rcsd serve: --write-timeout %v: must be positive\n", *writeStall)
		return exitUsage
	}
	if *computeTimeout <= 0 {
		fmt.Fprintf(stderr, "rcsd serve: --compute-timeout %s: want a positive duration such as 30s\n", *computeTimeout)
		return exitUsage
	}
	opts := httpapi.Options{MaxBodyBytes: *maxBody, OnIdle: releaseMemory(), AllowOrigins: allow}
	opts.Host.Limits.ComputeTimeout = *computeTimeout
	if *dir != "" {
		st, err := os.Stat(*dir)
		if err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "rcsd serve: --dir %s: not a directory (make site builds bin/site)\n", *dir)
			return exitFailure
		}
		root, err := os.OpenRoot(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd serve: --dir %s: %v\n", *dir, err)
			return exitFailure
		}
		defer root.Close()
		opts.Files = newStaticFiles(root)
	}
	if *judgeURL != "" {
		if strings.TrimSpace(*judgeModel) == "" {
			fmt.Fprintln(stderr, "rcsd serve: --judge-url needs --judge-model (the grader's model name, as the server knows it)")
			return exitUsage
		}
		if _, err := remote.Endpoint(*judgeURL); err != nil {
			fmt.Fprintf(stderr, "rcsd serve: --judge-url: %v\n", err)
			return exitUsage
		}
		opts.Host.Grader = &remote.Client{
			BaseURL: *judgeURL, Model: *judgeModel,
			// The key goes into the Authorization header only; the client
			// redacts any echo of it from errors and replies, and with a
			// key the handler refuses other origins and redacts replies.
			APIKey:     os.Getenv("RCSD_JUDGE_API_KEY"),
			Limiter:    remote.NewLimiter(defaultLLMConcurrency),
			MaxRetries: 2,
			Timeout:    60 * time.Second,
		}
	}
	if m, err := demo.Load(); err == nil {
		opts.Host.Scorer = lm.Demo(m)
	}
	var logMu sync.Mutex
	if !*quiet {
		opts.Log = func(line string) {
			logMu.Lock()
			defer logMu.Unlock()
			fmt.Fprintln(stderr, line)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "rcsd serve: %v\n", err)
		return exitFailure
	}
	srv := &http.Server{
		Handler:           stallLimit(httpapi.New(opts), *writeStall),
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	fmt.Fprintf(stdout, "http://%s/\n", ln.Addr())
	what := "API only (no --dir)"
	if *dir != "" {
		what = "files from " + *dir
	}
	llm := "off"
	if opts.Host.Grader != nil {
		llm = "on (" + *judgeModel + ")"
	}
	fmt.Fprintf(stderr, "rcsd serve: %s; API under %s; llm judge %s; %s; Ctrl-C stops\n", what, httpapi.Prefix, llm, api.EngineVersion)

	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "rcsd serve: %v\n", err)
		return exitFailure
	case <-ctx.Done():
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "rcsd serve: shutdown: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(stderr, "rcsd serve: stopped")
	return exitOK
}
