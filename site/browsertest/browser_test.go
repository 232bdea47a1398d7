//go:build browser

// Package browsertest drives the playground (bin/site, built by make
// site) in headless Chromium with chromedp, served by `rcsd serve`. Run
// it with `make test-browser` (part of `make test`). The expected numbers
// come from the CLI (bin/rcsd eval, logprobs | loss) on the files the
// page exports, never from constants.
package browsertest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

const root = "../.."

var artifacts = filepath.Join(root, "testdata", "artifacts")

type session struct {
	t      *testing.T
	ctx    context.Context
	base   string
	served *servedLog
}

// servedLog counts what the server sent the browser (the page and its Web
// Worker alike), per path: the work of a page load, which the tests
// assert where a time would vary with the machine's load.
type servedLog struct {
	mu    sync.Mutex
	hits  map[string]int
	bytes map[string]int64
}

// snapshot returns the counts so far and starts new ones.
func (l *servedLog) snapshot() (hits map[string]int, bytes map[string]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hits, bytes = l.hits, l.bytes
	l.hits, l.bytes = map[string]int{}, map[string]int64{}
	return hits, bytes
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// countingProxy serves base through a reverse proxy that logs each
// request's path and body bytes.
func countingProxy(t *testing.T, base string) (string, *servedLog) {
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	log := &servedLog{hits: map[string]int{}, bytes: map[string]int64{}}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		rp.ServeHTTP(cw, r)
		log.mu.Lock()
		log.hits[r.URL.Path]++
		log.bytes[r.URL.Path] += cw.n
		log.mu.Unlock()
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL, log
}

func start(t *testing.T) *session {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("RCSD_REQUIRE_BROWSER") != "" {
			t.Fatalf("chromium is not installed and RCSD_REQUIRE_BROWSER is set (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed: skipping the browser tests (set RCSD_REQUIRE_BROWSER=1 to make this an error)")
	}
	for _, f := range []string{"bin/rcsd", "bin/site/rcsd.wasm", "bin/site/wasm_exec.js", "bin/site/index.html", "bin/site/demo-model.bin.gz"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s is missing: run make test-browser (it builds bin/rcsd and bin/site)", f)
		}
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// The native server, as `make serve` runs it, on a free port.
	srv := exec.Command(filepath.Join(root, "bin/rcsd"), "serve", "--addr", "127.0.0.1:0", "--dir", filepath.Join(root, "bin/site"), "-q")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("rcsd serve printed no URL: %v", err)
	}
	base, served := countingProxy(t, strings.TrimRight(strings.TrimSpace(line), "/"))

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return &session{t: t, ctx: ctx, base: base, served: served}
}

func (s *session) do(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		s.t.Fatal(err)
	}
}

func eval[T any](s *session, expr string) T {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// open loads url and waits until the page has computed its first result.
func (s *session) open(url string) float64 {
	s.t.Helper()
	s.do(chromedp.Navigate("about:blank"), chromedp.Navigate(url))
	s.waitFor(`document.body.dataset.ready === "true"`)
	return eval[float64](s, `window.rcsdPlayground.perf.load`)
}

func (s *session) waitFor(expr string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(5*time.Millisecond)))
		if err == nil {
			return
		}
		// A poll started while a navigation replaces the page loses its
		// execution context; poll again in the new one.
		if ctx.Err() == nil && (strings.Contains(err.Error(), "Cannot find context") || strings.Contains(err.Error(), "context was destroyed")) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		status := eval[string](s, `document.getElementById("status").textContent`)
		s.t.Fatalf("waiting for %s: %v (status: %s)", expr, err, status)
	}
}

// edit runs js (which changes controls and dispatches their events) and
// waits for the computation it starts to be drawn.
func (s *session) edit(js string) {
	s.t.Helper()
	gen := eval[int](s, `Number(document.body.dataset.generation || 0)`)
	eval[chromedp.Void](s, `(() => {`+js+`})()`)
	s.waitFor(fmt.Sprintf(`Number(document.body.dataset.generation || 0) > %d`, gen))
}

func (s *session) screenshot(name string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, name), buf, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func setValue(id, value string, event string) string {
	v, _ := json.Marshal(value)
	return fmt.Sprintf(`{const e = document.getElementById(%q); e.value = %s; e.dispatchEvent(new Event(%q));}`, id, v, event)
}

type exportsJS struct {
	Config     string `json:"config"`
	Rubric     string `json:"rubric"`
	RubricFile string `json:"rubricFile"`
	Item       string `json:"item"`
}

// cli writes the page's exports to a folder and runs bin/rcsd on them.
type cliResult struct {
	Eval []struct {
		ResponseIndex int      `json:"response_index"`
		Score         *float64 `json:"score"`
		Advantage     *float64 `json:"advantage"`
		Criteria      []struct {
			ID  string `json:"id"`
			Met *bool  `json:"met"`
		} `json:"criteria"`
	}
	Loss []struct {
		ID     string  `json:"id"`
		Loss   float64 `json:"loss"`
		Tokens []struct {
			Divergence float64 `json:"divergence"`
		} `json:"tokens"`
	}
}

func runCLI(t *testing.T, ex exportsJS, topK int) cliResult {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"rcsd-config.yaml": ex.Config, ex.RubricFile: ex.Rubric, "item.jsonl": ex.Item} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rcsd, _ := filepath.Abs(filepath.Join(root, "bin/rcsd"))
	run := func(stdin []byte, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(rcsd, args...)
		cmd.Dir = dir
		cmd.Stdin = bytes.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("rcsd %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	run(nil, "validate", "--werror", "rcsd-config.yaml", ex.RubricFile)
	var r cliResult
	for _, line := range bytes.Split(bytes.TrimSpace(run(nil, "eval", "--config", "rcsd-config.yaml", "--no-progress", "item.jsonl")), []byte("\n")) {
		var rec = struct {
			ResponseIndex int      `json:"response_index"`
			Score         *float64 `json:"score"`
			Advantage     *float64 `json:"advantage"`
			Criteria      []struct {
				ID  string `json:"id"`
				Met *bool  `json:"met"`
			} `json:"criteria"`
		}{}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		r.Eval = append(r.Eval, rec)
	}
	traces := run(nil, "logprobs", "--backend", "demo", "--config", "rcsd-config.yaml", "--rubric", ex.RubricFile, "--topk", fmt.Sprint(topK), "item.jsonl")
	for _, line := range bytes.Split(bytes.TrimSpace(run(traces, "loss", "--config", "rcsd-config.yaml", "-")), []byte("\n")) {
		var rec = struct {
			ID     string  `json:"id"`
			Loss   float64 `json:"loss"`
			Tokens []struct {
				Divergence float64 `json:"divergence"`
			} `json:"tokens"`
		}{}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		r.Loss = append(r.Loss, rec)
	}
	return r
}

func close(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// checkAgainstCLI compares what the page shows for response 0 with the
// CLI's numbers on the page's own exports.
func checkAgainstCLI(t *testing.T, s *session, name string) {
	ex := eval[exportsJS](s, `window.rcsdPlayground.exports()`)
	topK := eval[int](s, `window.rcsdPlayground.request().top_k`)
	want := runCLI(t, ex, topK)
	if len(want.Eval) == 0 || len(want.Loss) == 0 {
		t.Fatalf("%s: the CLI gave no records", name)
	}
	rule := eval[string](s, `document.getElementById("scoring").value`)
	scores := eval[[]string](s, fmt.Sprintf(`[...document.querySelectorAll('#scores tr[data-rule=%q] td')].map(td => td.dataset.value)`, rule))
	advs := eval[[]string](s, `[...document.querySelectorAll('#scores tr[data-rule="advantage"] td')].map(td => td.dataset.value)`)
	for _, rec := range want.Eval {
		i := rec.ResponseIndex
		if i >= len(scores) {
			t.Fatalf("%s: the page shows %d scores, the CLI has response %d", name, len(scores), i)
		}
		if !sameNumber(scores[i], rec.Score) {
			t.Errorf("%s: response %d: page score %q, rcsd eval %v", name, i, scores[i], deref(rec.Score))
		}
		if !sameNumber(advs[i], rec.Advantage) {
			t.Errorf("%s: response %d: page advantage %q, rcsd eval %v", name, i, advs[i], deref(rec.Advantage))
		}
	}
	// Verdicts of the shown response.
	sel := eval[int](s, `window.rcsdPlayground.state().selected`)
	met := eval[map[string]string](s, `Object.fromEntries([...document.querySelectorAll('#criteria tr[data-criterion]')].map(tr => [tr.dataset.criterion, tr.querySelector('.verdict').dataset.met]))`)
	for _, c := range want.Eval[sel].Criteria {
		w := "null"
		if c.Met != nil {
			w = fmt.Sprint(*c.Met)
		}
		if met[c.ID] != w {
			t.Errorf("%s: criterion %s: page %q, rcsd eval %s", name, c.ID, met[c.ID], w)
		}
	}
	// The heatmap: every token's divergence, and the loss.
	eval[chromedp.Void](s, setValue("view", "divergence", "change"))
	divs := eval[[]string](s, `[...document.querySelectorAll('#heatmap .tok')].map(e => e.dataset.value)`)
	l0 := want.Loss[sel]
	if !strings.HasSuffix(l0.ID, fmt.Sprintf("#%d", sel)) {
		t.Fatalf("%s: rcsd loss record %d is %s", name, sel, l0.ID)
	}
	if len(divs) != len(l0.Tokens) {
		t.Fatalf("%s: heatmap has %d tokens, rcsd loss %d", name, len(divs), len(l0.Tokens))
	}
	for i, tok := range l0.Tokens {
		if !sameNumber(divs[i], &tok.Divergence) {
			t.Fatalf("%s: token %d: page divergence %s, rcsd loss %v", name, i, divs[i], tok.Divergence)
		}
	}
	if lv := eval[string](s, `document.getElementById("loss-value").dataset.value`); !sameNumber(lv, &l0.Loss) {
		t.Errorf("%s: page loss %s, rcsd loss %v", name, lv, l0.Loss)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func sameNumber(text string, want *float64) bool {
	if want == nil {
		return text == ""
	}
	var got float64
	if _, err := fmt.Sscan(text, &got); err != nil {
		return false
	}
	return close(got, *want)
}

func TestPlayground(t *testing.T) {
	s := start(t)
	load := s.open(s.base + "/")
	t.Logf("cold load to interactive (first result drawn): %.0f ms", load)
	perf := map[string]any{"cold_load_ms": load}
	coldLoadWork(t, s, perf)

	// Every control is labelled (keyboard and screen-reader users).
	unlabelled := eval[[]string](s, `[...document.querySelectorAll('input, select, textarea, button')].filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim())).map(e => e.id || e.outerHTML.slice(0, 60))`)
	if len(unlabelled) > 0 {
		t.Errorf("unlabelled controls: %q", unlabelled)
	}

	for _, name := range []string{"science", "medical", "math"} {
		s.edit(setValue("example", name, "change"))
		if got := eval[string](s, `window.rcsdPlayground.state().example`); got != name {
			t.Fatalf("example %s not loaded: %s", name, got)
		}
		if n := eval[int](s, `document.querySelectorAll('#criteria tr[data-criterion]').length`); n == 0 {
			t.Errorf("%s: no criteria rows", name)
		}
		checkAgainstCLI(t, s, name)
		s.screenshot("playground-" + name + ".png")
	}

	// Settings change through the controls and the numbers still agree
	// with the CLI reading the exported config.
	s.edit(setValue("divergence", "jsd", "change") + setValue("beta", "0.3", "input") + setValue("scoring", "rar", "change") + setValue("grpo", "verl", "change"))
	checkAgainstCLI(t, s, "math with jsd β 0.3, rar, verl")

	// The training-framework export from the page gives the files the CLI
	// writes from the page's exported config and item.
	checkExport(t, s, "trl-sdft")

	// Advantage view and the hover details of a token.
	// The alternatives come from the Worker on demand.
	eval[chromedp.Void](s, setValue("view", "advantage", "change")+`document.querySelectorAll('#heatmap .tok')[3].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));`)
	s.waitFor(`document.querySelectorAll('#token-details .alts-row[data-ready="true"] table[data-side="teacher"] tr').length > 2`)
	if d := eval[string](s, `document.getElementById("token-details").textContent`); !strings.Contains(d, "Token 4 of") || !strings.Contains(d, "Teacher's top alternatives") {
		t.Errorf("token details: %q", d)
	}
	s.screenshot("playground-advantage.png")

	// A rubric edit shows a diagnostic at its line.
	rubric := eval[string](s, `document.getElementById("rubric").value`)
	bad := strings.Replace(rubric, `"weight": 7`, `"wieght": 7`, 1)
	if bad == rubric {
		t.Fatal("the math rubric has no weight 7 to misspell")
	}
	line := strings.Count(bad[:strings.Index(bad, `"wieght"`)], "\n") + 1
	s.edit(setValue("rubric", bad, "input"))
	s.waitFor(fmt.Sprintf(`document.querySelector('#rubric-gutter .ln.error[data-line="%d"]') !== null`, line))
	if txt := eval[string](s, fmt.Sprintf(`document.querySelector('#diagnostics li.error[data-line="%d"]')?.textContent || ""`, line)); !strings.Contains(txt, "rubric.json:") || !strings.Contains(txt, "wieght") {
		t.Errorf("diagnostic at line %d: %q", line, txt)
	}
	s.screenshot("playground-diagnostic.png")
	s.edit(setValue("rubric", rubric, "input"))

	// The share link restores the exact state.
	s.edit(setValue("response-1", "An edited response: 2418, by inclusion–exclusion.", "input") + `document.getElementById("pick-1").click();` + setValue("clip-entry", "0.1", "input"))
	before := eval[string](s, `JSON.stringify(window.rcsdPlayground.state())`)
	link := eval[string](s, `window.rcsdPlayground.shareLink()`)
	if !strings.Contains(link, "#s=") || strings.Contains(link, "?") {
		t.Fatalf("share link %q", link)
	}
	s.open(link)
	if after := eval[string](s, `JSON.stringify(window.rcsdPlayground.state())`); after != before {
		t.Errorf("the share link did not restore the state\nbefore %s\nafter  %s", before, after)
	}
	checkAgainstCLI(t, s, "restored share link")

	// Script in a response or a rubric is shown as text, never run.
	xss := `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> \boxed{2418}`
	rub := eval[string](s, `document.getElementById("rubric").value`)
	rub = strings.Replace(rub, `"The boxed final answer is 2418."`, `"The boxed final answer is 2418. <img src=x onerror=\"window.__pwned = 3\">"`, 1)
	s.edit(setValue("response-0", xss, "input") + setValue("rubric", rub, "input") + `document.getElementById("pick-0").click();`)
	if p := eval[any](s, `window.__pwned === undefined ? null : window.__pwned`); p != nil {
		t.Errorf("injected script ran: %v", p)
	}
	if n := eval[int](s, `document.querySelectorAll('img, script:not([src])').length`); n != 0 {
		t.Errorf("%d injected elements in the page", n)
	}
	if txt := eval[string](s, `document.getElementById("evidence").textContent + document.getElementById("criteria").textContent`); !strings.Contains(txt, "<script>") || !strings.Contains(txt, "onerror=") {
		t.Errorf("the injected text is not shown as text: %q", txt)
	}

	// The phone width: no sideways scrolling of the page.
	s.do(chromedp.EmulateViewport(390, 844))
	time.Sleep(200 * time.Millisecond)
	if w := eval[int](s, `document.documentElement.scrollWidth`); w > 392 {
		wide := eval[[]string](s, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392 && !e.closest('.scroll, .heatmap, .ctx, .diags, .editor')).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("at 390 px the page is %d px wide: %q", w, wide)
	}
	s.screenshot("playground-390.png")
	s.do(chromedp.EmulateViewport(1280, 900))

	latency(t, s, perf)
	sizes(t, perf)
	b, _ := json.MarshalIndent(perf, "", "  ")
	_ = os.WriteFile(filepath.Join(artifacts, "playground-perf.json"), b, 0o644)
	t.Logf("numbers: %s", b)
}

// coldLoadWork checks what the cold load did, where its time (1.5 s on
// an idle machine, in the perf artifact) varies with the machine's load:
// each file came from the server once and whole, nothing outside bin/site
// was asked for, the files besides rcsd.wasm stay within a byte budget
// (the .wasm has its own, in sizes), rcsd.wasm was compiled while it
// downloaded (not after, from a second fetch the browser's cache may
// answer), and the first result took one pass of the core.
func coldLoadWork(t *testing.T, s *session, perf map[string]any) {
	t.Helper()
	hits, bytes := s.served.snapshot()
	var total int64
	for path, n := range hits {
		total += bytes[path]
		name := strings.TrimPrefix(path, "/")
		if name == "" {
			name = "index.html"
		}
		st, err := os.Stat(filepath.Join(root, "bin/site", name))
		switch {
		case err != nil && path == "/favicon.ico": // the browser asks; there is none
		case err != nil:
			t.Errorf("cold load: asked for %s, which is not in bin/site", path)
		case n != 1:
			t.Errorf("cold load: %s served %d times, want once", path, n)
		case bytes[path] != st.Size():
			t.Errorf("cold load: %s served as %d bytes, the file has %d", path, bytes[path], st.Size())
		}
	}
	for _, f := range []string{"/", "/rcsd.wasm", "/wasm_exec.js", "/demo-model.bin.gz", "/app.js", "/worker.js"} {
		if hits[f] == 0 {
			t.Errorf("cold load: %s never served (%v)", f, hits)
		}
	}
	// 488,442 bytes on 2026-12-04, 385,422 of them the demo model.
	if rest := total - bytes["/rcsd.wasm"]; rest > 600_000 {
		t.Errorf("cold load: %d bytes besides rcsd.wasm, over the 600,000-byte budget (%v)", rest, bytes)
	}
	if !eval[bool](s, `window.rcsdPlayground.engine().wasm_streamed === true`) {
		t.Error("cold load: rcsd.wasm was not compiled while it downloaded (WebAssembly.instantiateStreaming failed; is it served as application/wasm?)")
	}
	passes := eval[int](s, `window.rcsdPlayground.perf.steps.length`)
	if passes != 1 {
		t.Errorf("cold load: %d passes of the core before the first result, want 1", passes)
	}
	perf["cold_load_requests"], perf["cold_load_bytes"], perf["cold_load_core_passes"] = len(hits), total, passes
	t.Logf("cold load: %d requests, %d bytes, %d core pass", len(hits), total, passes)
}

// latency measures edits on a 20-criterion rubric and a 2,000-token
// response: a loss-setting change (the log-probs come from the cache), a
// rubric edit's first pass (verdicts and scores) and its full pass (the
// demo model scores the teacher's new context).
func latency(t *testing.T, s *session, perf map[string]any) {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	sentences := []string{
		"Photosynthesis converts light energy into chemical energy stored in glucose.",
		"The light reactions split water and release oxygen in the thylakoid membranes.",
		"The Calvin cycle fixes carbon dioxide using ATP and NADPH in the stroma.",
		"Chlorophyll absorbs mostly red and blue light and reflects green light.",
	}
	var sb strings.Builder
	for i := 0; len(m.Encode(sb.String())) < 2000; i++ {
		sb.WriteString(sentences[i%len(sentences)] + " ")
	}
	resp := strings.TrimSpace(sb.String())
	ntok := len(m.Encode(resp))
	var crit []map[string]any
	words := []string{"light", "water", "oxygen", "glucose", "carbon", "ATP", "NADPH", "chlorophyll", "stroma", "thylakoid"}
	for i := 0; i < 20; i++ {
		crit = append(crit, map[string]any{"id": fmt.Sprintf("c%d", i+1), "title": fmt.Sprintf("Criterion %d", i+1),
			"description": fmt.Sprintf("Mentions %s in the explanation of photosynthesis (%d).", words[i%len(words)], i+1),
			"weight":      1 + i%5, "category": "important", "checks": []map[string]any{{"kind": "any", "terms": []string{words[i%len(words)]}}}})
	}
	rb, _ := json.MarshalIndent(map[string]any{"schema_version": 1, "criteria": crit}, "", "  ")
	s.edit(setValue("example", "science", "change"))
	s.edit(setValue("rubric", string(rb), "input") + setValue("response-0", resp, "input") + setValue("judge", "rules", "change") + `document.getElementById("pick-0").click();`)
	if n := eval[int](s, `document.querySelectorAll('#heatmap .tok').length`); n != ntok {
		t.Fatalf("heatmap has %d tokens, want %d", n, ntok)
	}
	if n := eval[int](s, `document.querySelectorAll('#criteria tr[data-criterion]').length`); n != 20 {
		t.Fatalf("%d criteria rows, want 20", n)
	}
	s.screenshot("playground-2000-tokens.png")
	median := func(key string) float64 {
		v := eval[[]float64](s, `window.rcsdPlayground.perf.`+key)
		v = v[len(v)-5:]
		sort.Float64s(v)
		return v[len(v)/2]
	}
	for i := 0; i < 5; i++ {
		s.edit(setValue("clip-entry", fmt.Sprint(0.05+0.01*float64(i+1)), "input"))
	}
	lossOnly := median("lossOnly")
	for i := 0; i < 5; i++ {
		edited := strings.Replace(string(rb), "photosynthesis (1).", fmt.Sprintf("photosynthesis (1, edit %d).", i), 1)
		if edited == string(rb) {
			t.Fatal("the rubric edit changed nothing")
		}
		s.edit(setValue("rubric", edited, "input"))
	}
	table, full := median("table"), median("full")
	t.Logf("%d-token response, 20 criteria: loss-setting edit (cached log-probs) %.1f ms; rubric edit: verdicts and scores %.1f ms, with the demo model re-scoring %.1f ms (medians of 5)", ntok, lossOnly, table, full)
	perf["response_tokens"], perf["criteria"] = ntok, 20
	perf["loss_setting_edit_ms"], perf["rubric_edit_table_ms"], perf["rubric_edit_rescore_ms"] = lossOnly, table, full
	// Where the time of the measured full passes goes (ms): the Worker's
	// call (the core and its JSON reply), the page's JSON.parse, drawing,
	// layout; the core's stages (timings) and the reply's size.
	perf["steps"] = eval[[]map[string]any](s, `window.rcsdPlayground.perf.steps.slice(-10)`)
	if cached := eval[bool](s, `window.rcsdPlayground.last().loss.cached === true`); cached {
		t.Error("a rubric edit was answered from the trace cache")
	}
}

func sizes(t *testing.T, perf map[string]any) {
	b, err := os.ReadFile(filepath.Join(root, "bin/site/rcsd.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(b)
	w.Close()
	perf["wasm_bytes"], perf["wasm_gzip_bytes"] = len(b), gz.Len()
	// The budget, deterministic (unlike the latencies, which are
	// measured and reported): the .wasm is at most 2 MB gzip.
	if gz.Len() > 2_000_000 {
		t.Errorf("rcsd.wasm is %d bytes gzip, over the 2,000,000-byte budget (see WASM_FLAGS in the Makefile)", gz.Len())
	}
	// Brotli: Go's standard library has none; Node's zlib does.
	if node, err := exec.LookPath("node"); err == nil {
		out, err := exec.Command(node, "-e", `const z=require("zlib"),fs=require("fs");process.stdout.write(String(z.brotliCompressSync(fs.readFileSync(process.argv[1]),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))`, filepath.Join(root, "bin/site/rcsd.wasm")).Output()
		if err == nil {
			perf["wasm_brotli_bytes"] = strings.TrimSpace(string(out))
		}
	}
	t.Logf("rcsd.wasm: %d bytes, %d gzip -9, %v brotli -q 11", len(b), gz.Len(), perf["wasm_brotli_bytes"])
}

// checkExport presses the page's export button for target and compares
// every file it offers (and the bytes behind its download link) with
// `rcsd export --target target` run on the page's config, rubric and item.
func checkExport(t *testing.T, s *session, target string) {
	t.Helper()
	eval[chromedp.Void](s, fmt.Sprintf(`document.getElementById("export-%s").click()`, target))
	s.waitFor(fmt.Sprintf(`document.getElementById("export-panel").dataset.target === %q`, target))
	type file struct{ Name, Content string }
	got := eval[struct {
		Status      int
		Files       []file
		Diagnostics []map[string]any
	}](s, `window.rcsdPlayground.lastExport()`)
	if got.Status != 200 || len(got.Files) == 0 {
		t.Fatalf("export %s: status %d, %d files, %v", target, got.Status, len(got.Files), got.Diagnostics)
	}
	// The download links carry exactly the files.
	links := eval[map[string]string](s, `window.rcsdPlayground.exportLinks()`)
	req := eval[struct {
		Config     string `json:"config"`
		ConfigFile string `json:"config_file"`
		Items      string `json:"items"`
		ItemsFile  string `json:"items_file"`
		Rubric     string `json:"rubric"`
		RubricFile string `json:"rubric_file"`
	}](s, fmt.Sprintf(`window.rcsdPlayground.exportRequest(%q)`, target))
	dir := t.TempDir()
	for name, text := range map[string]string{req.ConfigFile: req.Config, req.RubricFile: req.Rubric, req.ItemsFile: req.Items} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rcsd, _ := filepath.Abs(filepath.Join(root, "bin/rcsd"))
	cmd := exec.Command(rcsd, "export", "--target", target, "--config", req.ConfigFile, "--data", req.ItemsFile, "--out", "out")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rcsd export: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var pageNames []string
	for _, f := range got.Files {
		pageNames = append(pageNames, f.Name)
		want, err := os.ReadFile(filepath.Join(dir, "out", f.Name))
		if err != nil {
			t.Errorf("export %s: the page offers %s, the CLI wrote %q", target, f.Name, names)
			continue
		}
		if f.Content != string(want) {
			t.Errorf("export %s: %s differs from rcsd export's\npage: %.600s\ncli:  %.600s", target, f.Name, f.Content, want)
		}
		if links[f.Name] != f.Content {
			t.Errorf("export %s: the download link of %s gives other bytes", target, f.Name)
		}
	}
	sort.Strings(pageNames)
	if strings.Join(pageNames, " ") != strings.Join(names, " ") {
		t.Errorf("export %s: page files %q, CLI files %q", target, pageNames, names)
	}
	if n := eval[int](s, `document.querySelectorAll('#export-panel .export-warnings li').length`); n == 0 {
		t.Logf("export %s: no warnings shown", target)
	}
	s.screenshot("playground-export-" + target + ".png")
}

// The llm judge from the page: the grader's URL, model and key typed in,
// requests sent by the Web Worker's fetch to a real local grader (the
// fake of core/remote/remotetest, behind a CORS proxy as a grader serving
// browsers must be), the verdicts equal to `rcsd eval` with the same
// grader on the page's exports, and the key in none of the page's share
// link, exports or storage.
func TestPlaygroundLLMJudge(t *testing.T) {
	const key = "sk-browser-test-4242"
	grader := remotetest.NewServer(remotetest.Options{APIKey: key})
	defer grader.Close()
	target, err := url.Parse(grader.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	var asked atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		asked.Add(1)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	t.Setenv("RCSD_JUDGE_API_KEY", key) // for the CLI run on the exports

	s := start(t)
	s.open(s.base + "/")
	s.edit(setValue("example", "science", "change"))
	s.edit(setValue("judge", "llm", "change"))
	if txt := eval[string](s, `document.getElementById("diagnostics").textContent`); !strings.Contains(txt, "llm") {
		t.Errorf("no grader set, yet no diagnostic about the llm judge: %q", txt)
	}
	s.edit(setValue("llm-url", proxy.URL+"/v1", "input") + setValue("llm-model", "grader-1", "input") +
		`document.getElementById("llm-key").value = "` + key + `"; document.getElementById("llm-apply").click();`)
	s.waitFor(`[...document.querySelectorAll('#criteria tr[data-criterion] .verdict')].some(v => v.dataset.met === "true" || v.dataset.met === "false")`)
	if asked.Load() == 0 {
		t.Fatal("the grader was never asked")
	}
	if judges := eval[[]string](s, `[...document.querySelectorAll('#criteria tr[data-criterion]')].map(tr => tr.children[5].textContent.trim())`); len(judges) == 0 || judges[0] != "llm" {
		t.Errorf("judge column: %q", judges)
	}
	checkAgainstCLI(t, s, "science with the llm judge")
	s.screenshot("playground-llm.png")

	// The key stays in the Worker's memory.
	link := eval[string](s, `window.rcsdPlayground.shareLink()`)
	ex := eval[exportsJS](s, `window.rcsdPlayground.exports()`)
	storage := eval[string](s, `JSON.stringify(Object.assign({}, localStorage, sessionStorage))`)
	for what, text := range map[string]string{"share link": link, "config export": ex.Config, "item export": ex.Item, "storage": storage} {
		if strings.Contains(text, key) {
			t.Errorf("the %s holds the grader's key", what)
		}
	}
	// A share link carries the grader's URL but not its key: opened, the
	// llm judge asks for the key again instead of grading.
	n := asked.Load()
	s.open(link)
	if asked.Load() != n {
		t.Error("a shared link graded with a key it should not have")
	}
}
