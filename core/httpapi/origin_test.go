package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

const originKey = "sk-origin-test-0123456789abcdef"

// send makes one request with the given headers (name, value, ...).
func send(t *testing.T, method, url, body string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

const llmEvaluate = `{"config": {"judge": "llm"}, "items": "{\"prompt\": \"Pain?\", \"response\": \"Take ibuprofen.\", \"rubric\": [{\"criterion\": \"Suggests \\\"ibuprofen\\\".\", \"points\": 5}]}"}`

// keyedServer is an API whose grader (a real local fake) holds a key, with
// allow listing the origins that may call it.
func keyedServer(t *testing.T, key string, allow ...string) (*httptest.Server, *remotetest.Server) {
	g := remotetest.NewServer(remotetest.Options{APIKey: key, EchoKey: true})
	t.Cleanup(g.Close)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Host:         api.Host{Grader: &remote.Client{BaseURL: g.URL, Model: "grader", APIKey: key}},
		AllowOrigins: allow,
	}))
	t.Cleanup(srv.Close)
	return srv, g
}

// TestOriginRefusedWithKey: with a key behind the server, a web page of
// another origin gets 403 before any work (no grader request), simple
// requests included; an allowed origin, the server's own pages and
// clients without an Origin are served.
func TestOriginRefusedWithKey(t *testing.T) {
	srv, g := keyedServer(t, originKey, "https://OK.example:443", "not an origin")
	const evil = "https://evil.example"
	wantRefused := `{"diagnostics":[{"severity":"error","code":"origin-not-allowed","message":"requests from the web page at \"https://evil.example\" are refused: this server spends its operator's grader key, so only its own pages and the origins its operator allows (rcsd serve --allow-origin, the Worker's RCSD_ALLOW_ORIGINS) may call it"}],"errors":1,"engine_version":"rcsd 0.1.0"}` + "\n"
	for _, tc := range []struct {
		name, method, path, ct, origin string
	}{
		{"simple text/plain POST", "POST", "/api/v1/evaluate", "text/plain", evil},
		{"JSON POST", "POST", "/api/v1/evaluate", "application/json", evil},
		{"preflight", "OPTIONS", "/api/v1/evaluate", "", evil},
		{"GET", "GET", "/api/v1/version", "", evil},
		{"null origin", "POST", "/api/v1/evaluate", "text/plain", "null"},
		{"other port of the same host", "POST", "/api/v1/evaluate", "text/plain", "http://" + strings.Split(strings.TrimPrefix(srv.URL, "http://"), ":")[0] + ":1"},
	} {
		r := send(t, tc.method, srv.URL+tc.path, llmEvaluate, "Content-Type", tc.ct, "Origin", tc.origin)
		want := strings.Replace(wantRefused, `\"https://evil.example\"`, strings.ReplaceAll(quoteGo(tc.origin), `"`, `\"`), 1)
		if r.status != 403 || r.body != want || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %q %s\nwant 403 %s", tc.name, r.status, r.header.Get("Access-Control-Allow-Origin"), r.body, want)
		}
	}
	if n := g.Requests(); n != 0 {
		t.Fatalf("refused requests reached the grader %d times", n)
	}

	ok := send(t, "POST", srv.URL+"/api/v1/evaluate", llmEvaluate, "Content-Type", "text/plain", "Origin", "https://ok.example")
	if ok.status != 200 || !strings.Contains(ok.body, `"met":true`) || ok.header.Get("Access-Control-Allow-Origin") != "https://ok.example" || ok.header.Get("Vary") != "Origin" {
		t.Errorf("allowed origin: %d %v %s", ok.status, ok.header, ok.body)
	}
	pre := send(t, "OPTIONS", srv.URL+"/api/v1/evaluate", "", "Origin", "https://ok.example", "Access-Control-Request-Method", "POST")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("allowed preflight: %d %v", pre.status, pre.header)
	}
	same := send(t, "POST", srv.URL+"/api/v1/evaluate", llmEvaluate, "Content-Type", "application/json", "Origin", srv.URL)
	if same.status != 200 || same.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("same origin: %d %v %s", same.status, same.header, same.body)
	}
	plain := send(t, "POST", srv.URL+"/api/v1/evaluate", llmEvaluate, "Content-Type", "application/json")
	if plain.status != 200 {
		t.Errorf("no Origin: %d %s", plain.status, plain.body)
	}
	if n := g.Requests(); n != 3 {
		t.Errorf("the grader got %d requests, want 3", n)
	}
	for _, r := range []reply{ok, same, plain} {
		if leak(r.body) != "" {
			t.Errorf("a reply holds part of the key: %s", r.body)
		}
	}
}

func quoteGo(s string) string { return `"` + s + `"` }

// TestOriginAllowAny: "*" lets every origin call a keyed server.
func TestOriginAllowAny(t *testing.T) {
	srv, _ := keyedServer(t, originKey, "*")
	r := send(t, "POST", srv.URL+"/api/v1/evaluate", llmEvaluate, "Content-Type", "text/plain", "Origin", "https://evil.example")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://evil.example" {
		t.Errorf("%d %v", r.status, r.header)
	}
}

// TestOriginOpenWithoutKey: a keyless server, grader or not, keeps the
// open policy.
func TestOriginOpenWithoutKey(t *testing.T) {
	srv, g := keyedServer(t, "")
	r := send(t, "POST", srv.URL+"/api/v1/evaluate", llmEvaluate, "Content-Type", "text/plain", "Origin", "https://evil.example")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.body, `"met":true`) || g.Requests() != 1 {
		t.Errorf("%d %v %s", r.status, r.header, r.body)
	}
}

// leak returns the first piece of originKey of redact.MinFragment bytes
// in s, or "".
func leak(s string) string {
	for i := 0; i+redact.MinFragment <= len(originKey); i++ {
		if f := originKey[i : i+redact.MinFragment]; strings.Contains(s, f) {
			return f
		}
	}
	return ""
}

// TestReplyRedacted: whatever reaches a reply of a keyed server (here a
// diagnostic quoting a field named after the key) leaves redacted.
func TestReplyRedacted(t *testing.T) {
	srv, _ := keyedServer(t, originKey)
	r := send(t, "POST", srv.URL+"/api/v1/evaluate", `{"items": "", "`+originKey[:12]+`": 1}`, "Content-Type", "application/json")
	if r.status != 400 || leak(r.body) != "" || !strings.Contains(r.body, "[redacted]") {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Play.Example":      "https://play.example",
		"https://play.example:443/": "https://play.example",
		"http://127.0.0.1:8080":     "http://127.0.0.1:8080",
		"ftp://x":                   "error",
		"https://x/path":            "error",
		"https://user:pw@x":         "error",
		"play.example":              "error",
		"https://play.example?a=1":  "error",
		"http://localhost:80":       "http://localhost",
	} {
		got, err := httpapi.ParseOrigin(in)
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("ParseOrigin(%q) = %q %v, want %q", in, got, err, want)
		}
	}
}
