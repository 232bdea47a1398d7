package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/remote"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, contentType string, body io.Reader) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// errBody is the whole body of an error reply with one diagnostic.
func errBody(diagnostic string) string {
	return `{"diagnostics":[` + diagnostic + `],"errors":1,"engine_version":"rcsd 0.1.0"}` + "\n"
}

// onlyReader hides a body's length so the request is sent chunked and
// the cap is met while reading, not from Content-Length.
type onlyReader struct{ io.Reader }

// Every reply of the API, good or bad, with its whole body: the HTTP
// layer's own errors (405, 413, 415, 404) and core/api's (400 with a
// located diagnostic), all as api.ErrorBody.
func TestAPI(t *testing.T) {
	h := httpapi.New(httpapi.Options{
		Host:         api.Host{Limits: api.Limits{MaxDepth: 6, MaxArray: 4, MaxRecords: 2}},
		MaxBodyBytes: 200,
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	const js = "application/json"
	big := `{"content": "` + strings.Repeat("x", 200) + `"}`
	cases := []struct {
		name, method, path, ctype string
		body                      io.Reader
		status                    int
		allow                     string
		want                      string
	}{
		{"version", "GET", "/api/v1/version", "", nil, 200, "",
			`{"engine_version":"rcsd 0.1.0","methods":["version","validate","evaluate","loss","contexts","playground","export"]}` + "\n"},
		{"version by POST", "POST", "/api/v1/version", js, strings.NewReader(`{}`), 405, "GET, OPTIONS",
			errBody(`{"severity":"error","code":"method-not-allowed","message":"POST is not allowed on /api/v1/version; use GET"}`)},
		{"validate by GET", "GET", "/api/v1/validate", "", nil, 405, "POST, OPTIONS",
			errBody(`{"severity":"error","code":"method-not-allowed","message":"GET is not allowed on /api/v1/validate; use POST"}`)},
		{"evaluate by PUT", "PUT", "/api/v1/evaluate", js, strings.NewReader(`{}`), 405, "POST, OPTIONS",
			errBody(`{"severity":"error","code":"method-not-allowed","message":"PUT is not allowed on /api/v1/evaluate; use POST"}`)},
		{"unknown method", "POST", "/api/v1/evalute", js, strings.NewReader(`{}`), 404, "",
			errBody(`{"severity":"error","code":"unknown-method","message":"unknown method \"evalute\" did you mean \"evaluate\"?"}`)},
		{"nested path", "POST", "/api/v1/validate/x", js, strings.NewReader(`{}`), 404, "",
			errBody(`{"severity":"error","code":"unknown-method","message":"unknown method \"validate/x\" did you mean \"validate\"?"}`)},
		{"outside the API", "GET", "/index.html", "", nil, 404, "",
			errBody(`{"severity":"error","code":"not-found","message":"no such path: the API is under /api/v1/ (GET /api/v1/version lists its methods)"}`)},
		{"too large, Content-Length", "POST", "/api/v1/validate", js, strings.NewReader(big), 413, "",
			errBody(`{"severity":"error","code":"request-too-large","message":"the request body is over 200 bytes"}`)},
		{"too large, chunked", "POST", "/api/v1/validate", js, onlyReader{strings.NewReader(big)}, 413, "",
			errBody(`{"severity":"error","code":"request-too-large","message":"the request body is over 200 bytes"}`)},
		{"not JSON", "POST", "/api/v1/validate", "application/x-www-form-urlencoded", strings.NewReader(`a=b`), 415, "",
			errBody(`{"severity":"error","code":"unsupported-media-type","message":"the body must be JSON (Content-Type: application/json), not \"application/x-www-form-urlencoded\""}`)},
		{"empty body", "POST", "/api/v1/validate", js, nil, 400, "",
			errBody(`{"severity":"error","code":"bad-request","message":"the request body is empty: send a JSON object","path":"$"}`)},
		{"malformed JSON", "POST", "/api/v1/validate", js, strings.NewReader("{\n  \"content\": \"x\",\n}"), 400, "",
			errBody(`{"severity":"error","code":"bad-request","message":"invalid JSON: invalid character '}' looking for beginning of object key string","line":3,"column":1,"path":"$"}`)},
		{"truncated JSON", "POST", "/api/v1/loss", "text/plain; charset=utf-8", strings.NewReader(`{"traces": "`), 400, "",
			errBody(`{"severity":"error","code":"bad-request","message":"invalid JSON: unexpected end of input","line":1,"column":13,"path":"$"}`)},
		{"wrong type", "POST", "/api/v1/validate", js, strings.NewReader(`{"content": 3}`), 400, "",
			errBody(`{"severity":"error","code":"bad-request","message":"expected a string, got JSON number","line":1,"column":14,"path":"$.content"}`)},
		{"unknown field", "POST", "/api/v1/evaluate", js, strings.NewReader(`{"itmes": ""}`), 400, "",
			errBody(`{"severity":"error","code":"bad-request","message":"unknown field \"itmes\" (see the method's request in docs/api.md)","line":1,"column":1,"path":"$"}`)},
		{"deep nesting", "POST", "/api/v1/loss", js, strings.NewReader(`{"a": [[[[[[1]]]]]]}`), 400, "",
			errBody(`{"severity":"error","code":"request-too-deep","message":"the request nests deeper than 6 levels","line":1,"column":12}`)},
		{"long array", "POST", "/api/v1/loss", js, strings.NewReader(`{"a": [1,2,3,4,5]}`), 400, "",
			errBody(`{"severity":"error","code":"request-too-long","message":"an array in the request has more than 4 elements","line":1,"column":13}`)},
		{"too many records", "POST", "/api/v1/evaluate", js, strings.NewReader(`{"items": "{}\n{}\n{}\n"}`), 400, "",
			errBody(`{"severity":"error","code":"request-too-long","message":"3 records; at most 2 per request","path":"$.items"}`)},
		{"llm without a grader", "POST", "/api/v1/evaluate", js, strings.NewReader(`{"config": {"judge": "llm"}, "items": "{}"}`), 400, "",
			errBody(`{"severity":"error","code":"llm-unavailable","message":"the llm judge is not configured on this host (it needs a grader URL and key set by the operator)","path":"$.config.judge"}`)},
		{"validate a rubric", "POST", "/api/v1/validate", js, strings.NewReader(`{"file": "r.yaml", "content": "schema_version: 1\ncriteria: []\n"}`), 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := do(t, c.method, srv.URL+c.path, c.ctype, c.body)
			want := c.want
			if c.name == "validate a rubric" {
				// The HTTP reply is api.Call's, byte for byte.
				r := api.Call(context.Background(), api.Host{}, "validate", []byte(`{"file": "r.yaml", "content": "schema_version: 1\ncriteria: []\n"}`))
				want = string(r.Body) + "\n"
			}
			if got.status != c.status || got.body != want {
				t.Errorf("%s %s: %d\n%s\nwant %d\n%s", c.method, c.path, got.status, got.body, c.status, want)
			}
			if a := got.header.Get("Allow"); a != c.allow {
				t.Errorf("Allow %q, want %q", a, c.allow)
			}
			for k, v := range map[string]string{
				"Content-Type":                "application/json; charset=utf-8",
				"X-Content-Type-Options":      "nosniff",
				"Cache-Control":               "no-store",
				"Access-Control-Allow-Origin": "*",
			} {
				if c.path == "/index.html" && k == "Access-Control-Allow-Origin" {
					v = "" // CORS is for the API only
				}
				if g := got.header.Get(k); g != v {
					t.Errorf("%s: %q, want %q", k, g, v)
				}
			}
			if got.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials must never be allowed")
			}
		})
	}
}

// A browser's preflight gets what it may send, and no body.
func TestPreflight(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.Options{}))
	defer srv.Close()
	req, _ := http.NewRequest("OPTIONS", srv.URL+"/api/v1/evaluate", nil)
	req.Header.Set("Origin", "https://example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := map[string]string{"status": resp.Status, "body": string(b)}
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Allow-Credentials", "Allow"} {
		got[k] = resp.Header.Get(k)
	}
	want := map[string]string{
		"status": "204 No Content", "body": "",
		"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
		"Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400",
		"Access-Control-Allow-Credentials": "", "Allow": "POST, OPTIONS",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("preflight (-want +got)\n%s", d)
	}
}

// Static files natively: index.html at /, .wasm as application/wasm,
// other methods 405, the API still routed.
func TestStatic(t *testing.T) {
	files := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>rcsd</title>")},
		"rcsd.wasm":     {Data: []byte("\x00asm\x01\x00\x00\x00")},
		"app/script.js": {Data: []byte("export {}")},
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Files: http.FileServerFS(files)}))
	defer srv.Close()
	cases := []struct {
		method, path  string
		status        int
		ctype, prefix string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "<!doctype html>"},
		{"GET", "/rcsd.wasm", 200, "application/wasm", "\x00asm"},
		{"GET", "/app/script.js", 200, "text/javascript; charset=utf-8", "export"},
		{"GET", "/missing.js", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"POST", "/", 405, "application/json; charset=utf-8", `{"diagnostics":[{"severity":"error","code":"method-not-allowed","message":"POST is not allowed on /; use GET"}]`},
		{"GET", "/api/v1/version", 200, "application/json; charset=utf-8", `{"engine_version":"rcsd 0.1.0"`},
	}
	for _, c := range cases {
		got := do(t, c.method, srv.URL+c.path, "", nil)
		if got.status != c.status || got.header.Get("Content-Type") != c.ctype || !strings.HasPrefix(got.body, c.prefix) {
			t.Errorf("%s %s: %d %q %q\nwant %d %q %q…", c.method, c.path, got.status, got.header.Get("Content-Type"), got.body, c.status, c.ctype, c.prefix)
		}
		if got.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", c.method, c.path)
		}
	}
}

const secret = "sk-test-7f3a9c1e5b"

// panicScorer panics with a value that must never reach a client.
type panicScorer struct{}

func (panicScorer) Tokenize(context.Context, string) ([]int, error) {
	panic("boom: " + secret + " /home/user/secret/path.go:12")
}
func (panicScorer) Score(context.Context, []int, []int, int) ([]lm.Position, error) {
	panic("boom")
}

// No secret in any reply or log line: the grader's key is sent to the
// grader only; a grader that echoes it back in an error is redacted; a
// panic becomes a 500 that says nothing of its value; the log has no
// query, header or body.
func TestNoSecretLeaks(t *testing.T) {
	var authMu sync.Mutex
	var gotAuth string
	grader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authMu.Lock()
		gotAuth = r.Header.Get("Authorization")
		authMu.Unlock()
		// A badly behaved grader that echoes the credentials.
		http.Error(w, "invalid key: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	defer grader.Close()
	var mu sync.Mutex
	var lines []string
	h := httpapi.New(httpapi.Options{
		Host: api.Host{
			Grader: &remote.Client{BaseURL: grader.URL, Model: "grader", APIKey: secret},
			Scorer: panicScorer{},
		},
		Log: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() },
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	item := `{"prompt": "Capital of France?", "response": "Paris.", "rubric": [{"criterion": "Names Paris.", "points": 5}]}`
	ev := do(t, "POST", srv.URL+"/api/v1/evaluate?key="+secret, "application/json",
		strings.NewReader(`{"config": {"judge": "llm"}, "items": `+quote(item)+`}`))
	authMu.Lock()
	defer authMu.Unlock()
	if gotAuth != "Bearer "+secret {
		t.Fatalf("the grader got Authorization %q", gotAuth)
	}
	if ev.status != 200 || !strings.Contains(ev.body, `401`) {
		t.Errorf("evaluate with a failing grader: %d %s", ev.status, ev.body)
	}
	pg := do(t, "POST", srv.URL+"/api/v1/playground", "application/json",
		strings.NewReader(`{"config": "schema_version: 1\nprompt:\n  chat: plain\n", "item": `+quote(item)+`}`))
	wantPanic := errBody(`{"severity":"error","code":"internal-error","message":"internal error in playground; please report it with the request that caused it"}`)
	if pg.status != 500 || pg.body != wantPanic {
		t.Errorf("a panic: %d %s\nwant 500 %s", pg.status, pg.body, wantPanic)
	}
	mu.Lock()
	defer mu.Unlock()
	wantLines := []string{`POST "/api/v1/evaluate" 200`, `POST "/api/v1/playground" 500`}
	if len(lines) != len(wantLines) {
		t.Fatalf("log lines %q", lines)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, wantLines[i]) {
			t.Errorf("log line %q, want %q…", l, wantLines[i])
		}
	}
	for _, s := range append(lines, ev.body, pg.body) {
		for _, leak := range []string{secret, "boom", "/home/user", "goroutine"} {
			if strings.Contains(s, leak) {
				t.Errorf("%q leaked: %s", leak, s)
			}
		}
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
