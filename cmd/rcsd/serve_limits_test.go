package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcsd-dev/rcsd/core/httpapi"
)

// vmRSS reads a field of /proc/PID/status in KiB (VmRSS: resident now;
// VmHWM: the peak).
func vmRSS(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// playgroundRequest is a playground body scoring the math example's item
// with its responses replaced, plus extra fields.
func playgroundRequest(t *testing.T, responses []string, extra string) string {
	t.Helper()
	var item map[string]any
	if err := json.Unmarshal([]byte(firstLineOf(t, "../../examples/math.jsonl")), &item); err != nil {
		t.Fatal(err)
	}
	delete(item, "labels")
	if responses != nil {
		item["responses"] = responses
	}
	ib, _ := json.Marshal(item)
	return `{"config": "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n", "item": ` + jsonString(string(ib)) + `, "compact": true` + extra + `}`
}

// 64 concurrent worst-case requests against the real `rcsd serve`: the
// hostile ones (top_k 1e9, which was a fatal out-of-memory of the whole
// server; alternatives 1e9; 65 responses) are refused with 400 at their
// path, the largest allowed ones (the whole vocabulary on ~300 tokens,
// just under the alternatives budget) are answered 200 or stopped at the
// compute limit with 503; any may find the server busy (503). Every request gets a JSON answer, the server
// keeps answering, its peak memory stays within the design bound, and its
// resident memory goes back near idle.
func TestServeBoundedUnderHostileLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and sends 64 large requests")
	}
	// 5 s: a request waits at most that for a slot and computes at most
	// that, so the test ends within seconds on a busy machine too (the
	// requests it stops answer 503, which the test accepts).
	s := startServe(t, nil, "-q", "--compute-timeout", "5s")
	pid := s.cmd.Process.Pid
	url := s.url + "api/v1/playground"
	if code, _, body := get(t, "POST", url, playgroundRequest(t, nil, "")); code != 200 {
		t.Fatalf("warm-up: %d %.300s", code, body)
	}
	idle := vmRSS(t, pid, "VmRSS")

	words := strings.Repeat("The sum of the multiples of three or five below one hundred follows by inclusion and exclusion. ", 8)
	worst := playgroundRequest(t, []string{words[:640]}, `, "top_k": 4096`)
	many := make([]string, 65)
	for i := range many {
		many[i] = "2418."
	}
	kinds := []struct {
		body string
		want []int
		code string
	}{
		{playgroundRequest(t, nil, `, "top_k": 1000000000`), []int{400}, `"path":"$.top_k"`},
		{playgroundRequest(t, nil, `, "alternatives": 1000000000`), []int{400}, `"path":"$.alternatives"`},
		{playgroundRequest(t, many, ``), []int{400}, `"message":"65 responses; at most 64 of one item are scored"`},
		{worst, []int{200, 503}, ``},
	}
	type answer struct {
		kind, code int
		body       string
		err        error
	}
	answers := make(chan answer, 64)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := i % len(kinds)
			resp, err := http.Post(url, "application/json", strings.NewReader(kinds[k].body))
			if err != nil {
				answers <- answer{kind: k, err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(io.LimitReader(resp.Body, httpapi.DefaultMaxBodyBytes+1))
			answers <- answer{k, resp.StatusCode, string(b), err}
		}()
	}
	wg.Wait()
	close(answers)
	counts := map[string]int{}
	for a := range answers {
		k := kinds[a.kind]
		if a.err != nil {
			t.Errorf("request %d: %v (the server died?)", a.kind, a.err)
			continue
		}
		counts[strconv.Itoa(a.kind)+":"+strconv.Itoa(a.code)]++
		// 503 server-busy is also an answer: while both slots compute the
		// largest requests, others wait at most the compute limit for one.
		ok := a.code == 503
		for _, c := range k.want {
			ok = ok || a.code == c && strings.Contains(a.body, k.code)
		}
		if !ok || !json.Valid([]byte(a.body)) {
			t.Errorf("kind %d: %d %.300s", a.kind, a.code, a.body)
		}
		// A 200 is bounded: the reply of the largest allowed request is
		// about 230 KB; the cap is the request body's.
		if a.code == 200 && len(a.body) > httpapi.DefaultMaxBodyBytes {
			t.Errorf("a %d-byte reply", len(a.body))
		}
		if a.code == 503 && !strings.Contains(a.body, `"code":"compute-timeout"`) && !strings.Contains(a.body, `"code":"server-busy"`) {
			t.Errorf("503 without a reason: %.300s", a.body)
		}
	}
	t.Logf("answers (kind:status → count): %v", counts)
	if code, _, _ := get(t, "GET", s.url+"api/v1/version", ""); code != 200 {
		t.Fatalf("the server stopped answering: %d", code)
	}
	// Alone, each hostile request gets its 400.
	for i, k := range kinds[:3] {
		if code, _, body := get(t, "POST", url, k.body); code != 400 || !strings.Contains(body, k.code) {
			t.Errorf("kind %d alone: %d %.300s", i, code, body)
		}
	}
	// The design bound: at most httpapi.DefaultMaxInFlight requests
	// compute at once (2 on this 2-core machine), each holding at most
	// api.MaxScoredAlternatives alternatives twice over (the sides while
	// scored, then the traces), measured at about 180 MB for the largest
	// allowed request, plus request bodies (4 MiB each) and garbage the
	// collector has not yet reclaimed (GOGC 100 lets the heap double).
	// 512 MiB a slot is that with room to spare; before the bounds one
	// request could ask for terabytes.
	peak := vmRSS(t, pid, "VmHWM")
	bound := idle + int64(httpapi.DefaultMaxInFlight)*512<<10
	t.Logf("RSS idle %d KiB, peak %d KiB (bound %d KiB)", idle, peak, bound)
	if peak > bound {
		t.Errorf("peak RSS %d KiB over the bound %d KiB", peak, bound)
	}
	// Back near idle: rcsd serve gives the heap back a second after the
	// last request (releaseMemory); Go's runtime keeps some of what it
	// mapped, so "near" is twice the idle size plus 64 MiB. Polled, at
	// most 480 times: a count, not a duration under test; on a loaded
	// machine the last computing request may take a while to finish
	// before the server is idle.
	if raceEnabled {
		t.Log("return to idle RSS not checked under -race (the detector's shadow memory stays mapped); the plain run checks it")
		return
	}
	var now int64
	for range 480 {
		if now = vmRSS(t, pid, "VmRSS"); now <= 2*idle+64<<10 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("RSS after the burst %d KiB", now)
	if now > 2*idle+64<<10 {
		t.Errorf("RSS %d KiB after the burst, idle was %d KiB", now, idle)
	}
}

// A request still computing at --compute-timeout gets a 503 JSON error
// naming the limit, and the server goes on answering.
func TestServeComputeTimeout(t *testing.T) {
	s := startServe(t, nil, "-q", "--compute-timeout", "1ms")
	code, _, body := get(t, "POST", s.url+"api/v1/playground", playgroundRequest(t, nil, `, "attribution": true`))
	if code != 503 || !strings.Contains(body, `"code":"compute-timeout","message":"the request was still computing after 1ms, this host's compute limit per request;`) {
		t.Errorf("%d %s", code, body)
	}
	if code, _, _ := get(t, "GET", s.url+"api/v1/version", ""); code != 200 {
		t.Errorf("version after: %d", code)
	}
}

func TestLimitFlags(t *testing.T) {
	dir := t.TempDir()
	items := writeFile(t, dir, "items.jsonl", firstLineOf(t, "../../examples/math.jsonl")+"\n")
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"logprobs", "--chat", "plain", "--topk", "1000000000", items}, exitUsage,
			"rcsd logprobs: --topk 1000000000: want 1 to 4096 alternatives per position (the demo model lists at most its vocabulary, 3392)\n"},
		{[]string{"logprobs", "--chat", "plain", "--topk", "-5", items}, exitUsage,
			"rcsd logprobs: --topk -5: want 1 to 4096 alternatives per position (the demo model lists at most its vocabulary, 3392)\n"},
		{[]string{"serve", "--compute-timeout", "0s"}, exitUsage, "rcsd serve: --compute-timeout 0s: want a positive duration such as 30s\n"},
	}
	for _, c := range cases {
		out, errs, code := rcsd(t, "", c.args...)
		if code != c.code || errs != c.stderr || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant exit %d, stderr %q", c.args, code, out, errs, c.code, c.stderr)
		}
	}
	// --topk 4096 on the demo model: clamped to its vocabulary, and an
	// item past the alternatives budget is a located error (exit 1).
	_, errs, code := rcsd(t, "", "logprobs", "--chat", "plain", "--topk", "4096", items)
	if code != exitBadInput || !strings.Contains(errs, "items.jsonl:1: error over-limit: $.responses: scoring needs 3,215,616 alternatives (474 response tokens × 2 contexts × top-k 3392); at most 2,097,152 per item") {
		t.Errorf("exit %d, stderr %s", code, errs)
	}
}
