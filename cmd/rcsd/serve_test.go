package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is `rcsd serve` running in a child process (the test binary
// with RCSD_TEST_MAIN=1), so signals reach a real process.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

func startServe(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "RCSD_TEST_MAIN=1"), env...)
	var errb syncBuffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &errb, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	select {
	case s.url = <-lines:
	case <-time.After(time.Minute): // a hang detector, not a budget
		cmd.Process.Kill()
		t.Fatalf("rcsd serve printed no URL in a minute; stderr:\n%s", errb.String())
	}
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || !strings.HasSuffix(s.url, "/") {
		cmd.Process.Kill()
		t.Fatalf("first line %q is not the URL; stderr:\n%s", s.url, errb.String())
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// stop sends sig and wants a clean exit 0 (a minute's wait detects a hang).
func (s *server) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("after %v: %v; stderr:\n%s", sig, err, s.stderr)
		}
	case <-time.After(time.Minute):
		s.cmd.Process.Kill()
		t.Fatalf("still running a minute after %v", sig)
	}
	if !strings.HasSuffix(s.stderr.String(), "rcsd serve: stopped\n") {
		t.Errorf("stderr does not end with the stop line:\n%s", s.stderr)
	}
}

func get(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// `rcsd serve --dir` serves the playground's files and the API, the
// playground method scores with the demo model, and SIGTERM stops it.
func TestServeFilesAndAPI(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.html", "<!doctype html><title>rcsd playground</title>\n")
	writeFile(t, dir, "rcsd.wasm", "\x00asm\x01\x00\x00\x00")
	s := startServe(t, nil, "--dir", dir)

	code, h, body := get(t, "GET", s.url, "")
	if code != 200 || body != "<!doctype html><title>rcsd playground</title>\n" || h.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /: %d %q %q", code, h.Get("Content-Type"), body)
	}
	if code, h, _ := get(t, "GET", s.url+"rcsd.wasm", ""); code != 200 || h.Get("Content-Type") != "application/wasm" {
		t.Errorf("GET /rcsd.wasm: %d %q", code, h.Get("Content-Type"))
	}
	code, _, body = get(t, "GET", s.url+"api/v1/version", "")
	if want := `{"engine_version":"rcsd 0.1.0","methods":["version","validate","evaluate","loss","contexts","playground","export"]}` + "\n"; code != 200 || body != want {
		t.Errorf("version: %d %s", code, body)
	}
	item := firstLineOf(t, "../../examples/math.jsonl")
	code, _, body = get(t, "POST", s.url+"api/v1/playground",
		`{"config": "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n", "item": `+jsonString(item)+`}`)
	var pg struct {
		Results []json.RawMessage
		Loss    *struct{ Source string }
	}
	if err := json.Unmarshal([]byte(body), &pg); code != 200 || err != nil || len(pg.Results) == 0 || pg.Loss == nil || pg.Loss.Source != "scorer" {
		t.Errorf("playground with the demo model: %d %v %.300s", code, err, body)
	}
	code, _, body = get(t, "POST", s.url+"api/v1/evaluate", `{"items": 1}`)
	if want := `{"diagnostics":[{"severity":"error","code":"bad-request","message":"expected a string, got JSON number","line":1,"column":12,"path":"$.items"}],"errors":1,"engine_version":"rcsd 0.1.0"}` + "\n"; code != 400 || body != want {
		t.Errorf("bad evaluate: %d %s", code, body)
	}
	s.stop(t, syscall.SIGTERM)
	for _, want := range []string{`GET "/" 200`, `GET "/api/v1/version" 200`, `POST "/api/v1/playground" 200`, `POST "/api/v1/evaluate" 400`, "llm judge off"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, s.stderr)
		}
	}
}

// With a grader configured the llm judge works; the key reaches the
// grader only, never a reply or the log; SIGINT stops the server.
func TestServeLLMJudgeKeepsTheKey(t *testing.T) {
	const key = "sk-serve-test-91be2"
	var mu sync.Mutex
	var auth []string
	grader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":"{\"explanation\": \"It names Paris.\", \"criteria_met\": true}"}}]}`)
	}))
	defer grader.Close()
	s := startServe(t, []string{"RCSD_JUDGE_URL=" + grader.URL, "RCSD_JUDGE_MODEL=grader-1", "RCSD_JUDGE_API_KEY=" + key})
	item := `{"id": "q1", "prompt": "Capital of France?", "response": "Paris.", "rubric": [{"criterion": "Names Paris.", "points": 5}]}`
	code, _, body := get(t, "POST", s.url+"api/v1/evaluate", `{"config": {"judge": "llm"}, "items": `+jsonString(item)+`}`)
	if code != 200 || !strings.Contains(body, `"judge":"llm"`) || !strings.Contains(body, `"score":1`) {
		t.Errorf("evaluate with the llm judge: %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) != 1 || auth[0] != "Bearer "+key {
		t.Errorf("the grader got Authorization %q", auth)
	}
	s.stop(t, os.Interrupt)
	for _, out := range []string{body, s.stderr.String()} {
		if strings.Contains(out, key) {
			t.Errorf("the key leaked: %s", out)
		}
	}
	if !strings.Contains(s.stderr.String(), "llm judge on (grader-1)") {
		t.Errorf("stderr:\n%s", s.stderr)
	}
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "f.txt", "x")
	cases := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{"argument", nil, []string{"serve", "x"}, exitUsage, "rcsd serve: unexpected argument \"x\" (rcsd serve -h)\n"},
		{"missing dir", nil, []string{"serve", "--dir", filepath.Join(dir, "nope")}, exitFailure, "rcsd serve: --dir " + filepath.Join(dir, "nope") + ": not a directory (make site builds bin/site)\n"},
		{"file as dir", nil, []string{"serve", "--dir", file}, exitFailure, "rcsd serve: --dir " + file + ": not a directory (make site builds bin/site)\n"},
		{"url without model", nil, []string{"serve", "--judge-url", "http://127.0.0.1:1"}, exitUsage, "rcsd serve: --judge-url needs --judge-model (the grader's model name, as the server knows it)\n"},
		{"bad url", nil, []string{"serve", "--judge-url", "ftp://x", "--judge-model", "m"}, exitUsage, "rcsd serve: --judge-url: remote: base URL \"ftp://x\": scheme must be http or https\n"},
		{"bad addr", nil, []string{"serve", "--addr", "127.0.0.1:99999"}, exitFailure, "rcsd serve: listen tcp: address 99999: invalid port\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := rcsd(t, "", c.args...)
			if code != c.code || errs != c.stderr || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q\nwant exit %d, stderr %q", code, out, errs, c.code, c.stderr)
			}
		})
	}
	out, _, code := rcsd(t, "", "help", "serve")
	if code != 0 || !strings.Contains(out, "Usage: rcsd serve") || !strings.Contains(out, "RCSD_JUDGE_API_KEY") {
		t.Errorf("help serve: %d %s", code, out)
	}
}

func firstLineOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}
