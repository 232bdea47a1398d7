// Command worker is a bounded load run against the Worker under
// `wrangler dev` on loopback: it starts wrangler with the repository's
// wrangler.jsonc (build/worker and bin/site, from make worker site),
// sends a fixed mix of typical requests from a fixed number of clients
// for a fixed time, stops wrangler, and reports p50 and p99 latency and
// the error count. `make worker-load` runs it from the repository root.
//
// The numbers are wall-clock latency through wrangler's proxy and
// workerd on this machine, with a new Go instance per request, not the
// Worker's CPU time (bench/worker/cpu.mjs measures that).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

type request struct {
	name, method, path string
	body               []byte
	status             int
}

func main() {
	wrangler := flag.String("wrangler", "node_modules/.bin/wrangler", "the wrangler `binary`")
	conc := flag.Int("concurrency", 8, "clients sending requests one after another")
	dur := flag.Duration("duration", 30*time.Second, "how long to send")
	flag.Parse()
	if err := run(*wrangler, *conc, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "bench/worker:", err)
		os.Exit(1)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func mix() ([]request, error) {
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	math, rubric := read("examples/math.jsonl"), read("examples/rubrics/photosynthesis.rar.json")
	if math == "" || rubric == "" {
		return nil, fmt.Errorf("run from the repository root (examples/ not found)")
	}
	return []request{
		{"version", "GET", "/api/v1/version", nil, 200},
		{"validate", "POST", "/api/v1/validate", mustJSON(map[string]string{"file": "r.json", "content": rubric}), 200},
		{"evaluate", "POST", "/api/v1/evaluate", mustJSON(map[string]any{"items": math}), 200},
		{"evaluate-lexical", "POST", "/api/v1/evaluate", mustJSON(map[string]any{"items": read("examples/science.jsonl"), "config": map[string]string{"judge": "lexical"}}), 200},
		{"bad-request", "POST", "/api/v1/validate", []byte(`{"contnet": 1}`), 400},
	}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func run(wrangler string, conc int, dur time.Duration) error {
	reqs, err := mix()
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	insp, err := freePort()
	if err != nil {
		return err
	}
	state, err := os.MkdirTemp("", "rcsd-worker-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	cmd := exec.Command(wrangler, "dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(port), "--inspector-port", fmt.Sprint(insp),
		"--persist-to", state, "--show-interactive-dev-session=false", "--log-level", "warn")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDFLARE_API_TOKEN=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "WRANGLER_SEND_METRICS=false", "CI=1")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	start := time.Now()
	for {
		resp, err := http.Get(base + "/api/v1/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			return fmt.Errorf("wrangler dev exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 3*time.Minute { // a hang detector, not a budget
			return fmt.Errorf("wrangler dev did not answer within 3 minutes\n%s", logs.String())
		}
	}
	fmt.Printf("wrangler dev ready in %v; %d clients for %v on %s\n", time.Since(start).Round(10*time.Millisecond), conc, dur, base)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 30 * time.Second}
	type sample struct {
		kind int
		d    time.Duration
		ok   bool
	}
	var mu sync.Mutex
	var samples []sample
	var firstErr string
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for c := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Now().Before(deadline); i++ {
				r := reqs[i%len(reqs)]
				var body io.Reader
				if r.body != nil {
					body = bytes.NewReader(r.body)
				}
				req, _ := http.NewRequest(r.method, base+r.path, body)
				if r.body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				ok := err == nil
				msg := ""
				if err != nil {
					msg = err.Error()
				} else {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = err == nil && resp.StatusCode == r.status
					if !ok {
						msg = fmt.Sprintf("%s: status %d", r.name, resp.StatusCode)
					}
				}
				d := time.Since(t0)
				mu.Lock()
				samples = append(samples, sample{i % len(reqs), d, ok})
				if !ok && firstErr == "" {
					firstErr = msg
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	report := func(name string, keep func(sample) bool) {
		var ds []time.Duration
		errs := 0
		for _, s := range samples {
			if keep(s) {
				ds = append(ds, s.d)
				if !s.ok {
					errs++
				}
			}
		}
		if len(ds) == 0 {
			return
		}
		slices.Sort(ds)
		q := func(p float64) time.Duration {
			return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(100 * time.Microsecond)
		}
		fmt.Printf("%-17s %6d requests  p50 %8v  p99 %8v  max %8v  errors %d\n", name, len(ds), q(0.5), q(0.99), ds[len(ds)-1].Round(100*time.Microsecond), errs)
	}
	report("all", func(sample) bool { return true })
	for k, r := range reqs {
		report(r.name, func(s sample) bool { return s.kind == k })
	}
	fmt.Printf("throughput %.1f requests/s\n", float64(len(samples))/dur.Seconds())
	if firstErr != "" {
		fmt.Println("first error:", firstErr)
		return fmt.Errorf("some requests failed (first: %s)", firstErr)
	}
	return nil
}
