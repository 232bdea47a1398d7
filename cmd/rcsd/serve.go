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
RCSD_JUDGE_API_KEY and never appears in a reply or a log line. The
playground method scores with the embedded demo model when no traces are
given.

Examples:
  make site && rcsd serve --dir bin/site          # then open the URL printed
  rcsd serve --addr 127.0.0.1:0 -q                # API only, a free port
  curl -s http://127.0.0.1:8080/api/v1/version

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
	quiet := fs.Bool("q", false, "no log line per request")
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
	opts := httpapi.Options{MaxBodyBytes: *maxBody}
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
			// redacts any echo of it from errors.
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
