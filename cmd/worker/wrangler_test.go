//go:build rcsd_wrangler

// The Worker under `wrangler dev` (make test-worker runs this with
// -tags rcsd_wrangler): it needs wrangler from npm (npm ci) and the
// playground in bin/site (make site), so plain `go test ./...` leaves it
// out. Without them it skips, unless RCSD_REQUIRE_WORKER=1 (CI).
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
	"github.com/rcsd-dev/rcsd/core/trace"
)

const root = "../.."

// need skips the test with why, or fails it when RCSD_REQUIRE_WORKER=1.
func need(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("RCSD_REQUIRE_WORKER") == "1" {
		t.Fatalf("%s (RCSD_REQUIRE_WORKER=1)", why)
	}
	t.Skip(why)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// buildWorker builds the Worker from the current sources into dir, as
// `make worker` does, so the test never runs a stale build.
func buildWorker(t *testing.T, dir string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", dir},
		{"build", "-trimpath", "-ldflags=-s -w", "-tags", "rcsd_stdjson,rcsd_nomodel", "-o", filepath.Join(dir, "app.wasm"), "."},
	} {
		cmd := exec.Command(goBin, args...)
		if args[0] == "build" {
			cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The free plan's limit, as a budget: the upload (the .wasm and its JS
	// glue), gzip, under 3 MB. `make worker-size` has wrangler's own count.
	total := 0
	for _, f := range []string{"app.wasm", "wasm_exec.js", "shim.mjs", "worker.mjs"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(b)
		w.Close()
		total += gz.Len()
	}
	if total > 3_000_000 {
		t.Errorf("the Worker is %d bytes gzip, over the free plan's 3 MB", total)
	}
}

// dev is the one `wrangler dev` the tests share (it takes about 2.5 s to
// start); TestMain stops it.
var dev struct {
	base   string
	stop   func()
	logs   bytes.Buffer
	err    string
	grader *remotetest.Server // the fake llm grader both hosts ask
}

// graderKey is the grader's API key, set as the Worker's secret; no reply
// may ever contain it.
const graderKey = "sk-worker-test-0123456789"

// graderEnv is the operator's settings, as the Worker's vars and secret.
func graderEnv() map[string]string {
	return map[string]string{envJudgeURL: dev.grader.URL, envJudgeModel: "grader-1", envJudgeKey: graderKey}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dev.grader != nil {
		defer dev.grader.Close()
	}
	if dev.stop != nil {
		dev.stop()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "wrangler dev output:\n%s", dev.logs.String())
		}
	}
	os.Exit(code)
}

// startWrangler runs `wrangler dev` on 127.0.0.1 with the repository's
// wrangler.jsonc (its assets, bin/site) and the Worker built from the
// current sources, once, and returns its URL once it answers.
func startWrangler(t *testing.T) string {
	t.Helper()
	wrangler, _ := filepath.Abs(filepath.Join(root, "node_modules", ".bin", "wrangler"))
	need(t, exists(wrangler), "wrangler is not installed: run `npm ci` at the repository root (make test-worker does)")
	out, _ := exec.Command("node", "-p", "process.versions.node.split('.')[0]").Output()
	major, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	need(t, major >= 20, "wrangler 4.86.0 needs Node 20.3 or newer, found "+strings.TrimSpace(string(out)))
	need(t, exists(filepath.Join(root, "bin", "site", "index.html")), "no playground in bin/site: run `make site` (make test-worker does)")
	if dev.err != "" {
		t.Fatal(dev.err)
	}
	if dev.base != "" {
		return dev.base
	}
	dir, err := os.MkdirTemp("", "rcsd-worker-test-")
	if err != nil {
		t.Fatal(err)
	}
	buildWorker(t, filepath.Join(dir, "worker"))
	port := freePort(t)
	dev.grader = remotetest.NewServer(remotetest.Options{APIKey: graderKey})
	args := []string{"dev", filepath.Join(dir, "worker", "worker.mjs"),
		"--config", "wrangler.jsonc", "--ip", "127.0.0.1", "--port", fmt.Sprint(port),
		"--inspector-port", fmt.Sprint(freePort(t)), "--persist-to", filepath.Join(dir, "state"),
		"--show-interactive-dev-session=false", "--log-level", "warn"}
	for k, v := range graderEnv() { // the operator's vars and secret
		args = append(args, "--var", k+":"+v)
	}
	cmd := exec.Command(wrangler, args...)
	cmd.Dir = root
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDFLARE_API_TOKEN=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "WRANGLER_SEND_METRICS=false", "CI=1")
	cmd.Stdout, cmd.Stderr = &dev.logs, &dev.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	dev.stop = func() {
		// wrangler, node and workerd: the process group this test started.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		os.RemoveAll(dir)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(3 * time.Minute) // a hang detector: wrangler dev starts in ~2.5 s idle, far slower on a loaded machine
	for {
		resp, err := http.Get(base + "/api/v1/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				dev.base = base
				return base
			}
		}
		select {
		case err := <-done:
			dev.err = fmt.Sprintf("wrangler dev exited: %v\n%s", err, dev.logs.String())
			t.Fatal(dev.err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			dev.err = "wrangler dev did not answer within 3 minutes\n" + dev.logs.String()
			t.Fatal(dev.err)
		}
	}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, base, method, path, ctype string, body []byte) reply {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// demoTraces are the traces `rcsd logprobs --backend demo --chat plain`
// writes for the first item of file: real loss input for /api/v1/loss.
func demoTraces(t *testing.T, file string) string {
	t.Helper()
	line, _, _ := strings.Cut(readFile(t, file), "\n")
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := api.NewEvaluator(api.EvalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	it, dl := eval.ParseItem([]byte(line), 1, eval.ParseOptions{File: "item"})
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	trs, dl := e.Traces(context.Background(), lm.Demo(m), it, api.LogprobsConfig{Prompt: prompt.Options{Chat: "plain"}})
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	var sb strings.Builder
	for _, tr := range trs {
		sb.Write(trace.Encode(tr))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// mustContain shows that a good request did the work (not just
// diagnostics), and that a bad one says what is wrong.
var mustContain = map[string]string{
	"version":                   `"methods":["version","validate","evaluate","loss","contexts","playground","export"]`,
	"validate a rubric":         `"kind":"rubric","format":"rar"`,
	"validate a bad rubric":     `unknown field \"wieght\" in a criterion`,
	"evaluate":                  `"advantage":`,
	"evaluate lexical":          `"judge":"lexical"`,
	"evaluate shared rubric":    `"score":`,
	"evaluate llm":              `"judge":"llm"`,
	"loss":                      `"results":[{"id":`,
	"contexts":                  `\u003c|im_start|\u003euser`,
	"playground with traces":    `"source":"traces"`,
	"export":                    `"name":"sdft_config.yaml"`,
	"playground without traces": `"diagnostics":[`,
	"deep nesting":              `"code":"request-too-deep"`,
	"long array":                `"code":"request-too-long"`,
	"too many records":          `"message":"10001 records; at most 10000 per request"`,
	"too large":                 `"code":"request-too-large"`,
	"unknown method":            `did you mean \"evaluate\"?`,
}

// timings are measured per run; they are the one part of a reply that
// may differ between two runs of the same request.
var timings = regexp.MustCompile(`"timings":\{[^}]*\}`)

// The Worker under wrangler dev answers every endpoint, good and bad
// input, exactly as the native handler does (status, body byte for byte,
// the headers that matter), and serves the playground's files.
func TestWorkerMatchesNative(t *testing.T) {
	base := startWrangler(t)
	native := httptest.NewServer(httpapi.New(workerOptions(func(k string) string { return graderEnv()[k] }, remotetest.Post)))
	defer native.Close()

	const js = "application/json"
	traces := demoTraces(t, "examples/math.jsonl")
	mathItems := readFile(t, "examples/math.jsonl")
	cases := []struct {
		name, method, path, ctype string
		body                      []byte
		status                    int
	}{
		{"version", "GET", "/api/v1/version", "", nil, 200},
		{"validate a rubric", "POST", "/api/v1/validate", js, jsonBody(t, map[string]string{"file": "photosynthesis.rar.json", "content": readFile(t, "examples/rubrics/photosynthesis.rar.json")}), 200},
		{"validate a bad rubric", "POST", "/api/v1/validate", js, jsonBody(t, map[string]string{"file": "r.yaml", "content": "schema_version: 1\ncriteria:\n  - id: a\n    description: Names Paris.\n    wieght: 5\n"}), 200},
		{"validate items", "POST", "/api/v1/validate", js, jsonBody(t, map[string]string{"file": "medical.jsonl", "content": readFile(t, "examples/medical.jsonl")}), 200},
		{"evaluate", "POST", "/api/v1/evaluate", js, jsonBody(t, map[string]any{"items": mathItems, "config": map[string]string{"grpo": "trl"}}), 200},
		{"evaluate lexical", "POST", "/api/v1/evaluate", js, jsonBody(t, map[string]any{"items": readFile(t, "examples/science.jsonl"), "config": map[string]string{"judge": "lexical", "scoring": "rar"}}), 200},
		{"evaluate shared rubric", "POST", "/api/v1/evaluate", js, jsonBody(t, map[string]any{"items": readFile(t, "examples/items-shared-rubric.jsonl"), "rubric": readFile(t, "examples/rubrics/answer-format.yaml")}), 200},
		{"evaluate llm", "POST", "/api/v1/evaluate", js, jsonBody(t, map[string]any{"items": readFile(t, "examples/science.jsonl"), "config": map[string]string{"judge": "llm"}}), 200},
		{"loss", "POST", "/api/v1/loss", js, jsonBody(t, map[string]any{"traces": traces, "config": map[string]any{"loss": map[string]any{"divergence": "forward", "support": "teacher-topk", "top_k": 20}}}), 200},
		{"loss bad trace", "POST", "/api/v1/loss", js, jsonBody(t, map[string]any{"traces": "{\"id\": 3}\n"}), 200},
		{"contexts", "POST", "/api/v1/contexts", js, jsonBody(t, map[string]any{"items": mathItems, "prompt": map[string]string{"chat": "qwen3"}}), 200},
		{"playground with traces", "POST", "/api/v1/playground", js, jsonBody(t, map[string]any{"config": "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n", "item": strings.SplitN(mathItems, "\n", 2)[0], "traces": traces}), 200},
		{"playground without traces", "POST", "/api/v1/playground", js, jsonBody(t, map[string]any{"config": "schema_version: 1\nprompt:\n  chat: plain\n", "item": strings.SplitN(mathItems, "\n", 2)[0]}), 200},
		{"export", "POST", "/api/v1/export", js, jsonBody(t, map[string]any{"target": "trl-sdft", "config": readFile(t, "examples/rcsd-train.yaml"), "config_file": "rcsd-train.yaml", "items": mathItems}), 200},
		{"export bad target", "POST", "/api/v1/export", js, jsonBody(t, map[string]any{"target": "trl-sfdt", "config": "schema_version: 1\n"}), 200},
		{"malformed JSON", "POST", "/api/v1/evaluate", js, []byte("{\"items\": \"x\",\n}"), 400},
		{"unknown field", "POST", "/api/v1/validate", js, []byte(`{"contnet": "x"}`), 400},
		{"wrong type", "POST", "/api/v1/loss", js, []byte(`{"traces": []}`), 400},
		{"empty body", "POST", "/api/v1/validate", js, nil, 400},
		{"deep nesting", "POST", "/api/v1/evaluate", js, []byte(`{"items": ` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`), 400},
		{"long array", "POST", "/api/v1/evaluate", js, []byte(`{"items": [` + strings.Repeat("0,", 100_000) + `0]}`), 400},
		{"too many records", "POST", "/api/v1/evaluate", js, jsonBody(t, map[string]string{"items": strings.Repeat("{}\n", 10_001)}), 400},
		{"too large", "POST", "/api/v1/validate", js, jsonBody(t, map[string]string{"content": strings.Repeat("x", httpapi.DefaultMaxBodyBytes)}), 413},
		{"not JSON", "POST", "/api/v1/validate", "text/html", []byte(`{}`), 415},
		{"validate by GET", "GET", "/api/v1/validate", "", nil, 405},
		{"version by POST", "POST", "/api/v1/version", js, []byte(`{}`), 405},
		{"unknown method", "POST", "/api/v1/evalute", js, []byte(`{}`), 404},
		{"other API version", "GET", "/api/v2/version", "", nil, 404},
		{"preflight", "OPTIONS", "/api/v1/evaluate", "", nil, 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := send(t, base, c.method, c.path, c.ctype, c.body)
			n := send(t, native.URL, c.method, c.path, c.ctype, c.body)
			if w.status != c.status || n.status != c.status {
				t.Errorf("status: worker %d, native %d, want %d\nworker: %.400s", w.status, n.status, c.status, w.body)
			}
			wb, nb := w.body, n.body
			if strings.HasPrefix(c.name, "playground") {
				wb, nb = timings.ReplaceAll(wb, []byte(`"timings":{}`)), timings.ReplaceAll(nb, []byte(`"timings":{}`))
			}
			if !bytes.Equal(wb, nb) {
				t.Errorf("bodies differ\nworker: %.2000s\nnative: %.2000s", wb, nb)
			}
			if want, ok := mustContain[c.name]; ok && !bytes.Contains(w.body, []byte(want)) {
				t.Errorf("the reply lacks %s: %.600s", want, w.body)
			}
			if bytes.Contains(w.body, []byte(graderKey)) || bytes.Contains(n.body, []byte(graderKey)) {
				t.Errorf("a reply holds the grader's key")
			}
			if c.status != 204 && !json.Valid(w.body) {
				t.Errorf("not JSON: %.300s", w.body)
			}
			for _, k := range []string{"Content-Type", "Allow", "Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "X-Content-Type-Options", "Cache-Control", "Content-Security-Policy"} {
				if w.header.Get(k) != n.header.Get(k) {
					t.Errorf("%s: worker %q, native %q", k, w.header.Get(k), n.header.Get(k))
				}
			}
		})
	}
}

// The playground's files come from the assets configuration, byte for
// byte, with the right media types; the API paths are the Worker's.
func TestWorkerServesThePlayground(t *testing.T) {
	base := startWrangler(t)
	site := filepath.Join(root, "bin", "site")
	n := 0
	err := filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(site, p)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got := send(t, base, "GET", "/"+filepath.ToSlash(rel), "", nil)
		if got.status != 200 || !bytes.Equal(got.body, want) {
			t.Errorf("GET /%s: %d, %d bytes, want 200 and the file's %d bytes", rel, got.status, len(got.body), len(want))
		}
		if strings.HasSuffix(rel, ".wasm") && got.header.Get("Content-Type") != "application/wasm" {
			t.Errorf("GET /%s: Content-Type %q", rel, got.header.Get("Content-Type"))
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	index := send(t, base, "GET", "/", "", nil)
	if want := readFile(t, "bin/site/index.html"); index.status != 200 || string(index.body) != want || !strings.HasPrefix(index.header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /: %d %q, %d bytes", index.status, index.header.Get("Content-Type"), len(index.body))
	}
	t.Logf("%d files of bin/site served", n)
}
