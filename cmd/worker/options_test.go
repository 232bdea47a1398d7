package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

const workerKey = "sk-worker-native-0123456789abcdef"

func workerKeyFragment(s string) string { return redact.Leak(workerKey, s) }

const workerItem = `{"config": {"judge": "llm"}, "items": "{\"id\": \"q1\", \"prompt\": \"Pain?\", \"response\": \"Take ibuprofen.\", \"rubric\": [{\"criterion\": \"Suggests \\\"ibuprofen\\\".\", \"points\": 5}]}"}`

func workerPost(t *testing.T, url, origin string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(workerItem))
	req.Header.Set("Content-Type", "text/plain")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestWorkerKeyAndOrigins runs the Worker's configuration (vars, secret,
// RCSD_ALLOW_ORIGINS) natively against a grader that echoes the key in
// its verdicts and in an error body cut across byte 200: another page's
// simple POST gets 403 and never reaches the grader, an allowed page gets
// the verdicts with CORS headers, and no reply holds any 8-byte piece of
// the key.
func TestWorkerKeyAndOrigins(t *testing.T) {
	g := remotetest.NewServer(remotetest.Options{APIKey: workerKey, EchoKey: true, Schedule: []remotetest.Fault{remotetest.FaultEchoError}})
	defer g.Close()
	env := map[string]string{envJudgeURL: g.URL, envJudgeModel: "grader-1", envJudgeKey: workerKey,
		envAllowOrigins: "https://ok.example, https://other.example"}
	srv := httptest.NewServer(workerOptionsHandler(env))
	defer srv.Close()
	api := srv.URL + "/api/v1/evaluate"

	code, h, body := workerPost(t, api, "https://evil.example")
	if code != 403 || !strings.Contains(body, `"code":"origin-not-allowed"`) || h.Get("Access-Control-Allow-Origin") != "" || g.Requests() != 0 {
		t.Fatalf("evil origin: %d %v %s (grader requests %d)", code, h, body, g.Requests())
	}
	var bodies []string
	for _, origin := range []string{"https://ok.example", "https://other.example"} {
		code, h, body = workerPost(t, api, origin)
		if code != 200 || h.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("%s: %d %v %s", origin, code, h, body)
		}
		bodies = append(bodies, body)
	}
	all := strings.Join(bodies, "\n")
	if !strings.Contains(all, "HTTP 500") || !strings.Contains(all, "[redacted]") {
		t.Errorf("want the echo error and a redacted verdict in:\n%s", all)
	}
	if f := workerKeyFragment(all); f != "" {
		t.Errorf("%q of the key in a reply:\n%s", f, all)
	}

	// Without a key the Worker stays open to every page.
	delete(env, envJudgeKey)
	open := httptest.NewServer(workerOptionsHandler(env))
	defer open.Close()
	if code, h, _ := workerPost(t, open.URL+"/api/v1/version", "https://evil.example"); code != 405 || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("keyless: %d %v", code, h)
	}
}

func workerOptionsHandler(env map[string]string) http.Handler {
	return httpapi.New(workerOptions(func(k string) string { return env[k] }, remotetest.Post))
}
