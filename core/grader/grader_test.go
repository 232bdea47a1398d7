package grader

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lm"
)

// The endpoint rule, the request on the wire, the reply read, and the key
// kept out of every error (a server may echo it).
func TestChatter(t *testing.T) {
	var gotURL string
	var gotHeader map[string]string
	var gotBody []byte
	reply, status, postErr := `{"choices":[{"message":{"content":"{\"criteria_met\": true}"}}]}`, 200, error(nil)
	post := func(_ context.Context, url string, h map[string]string, body []byte) (int, []byte, error) {
		gotURL, gotHeader, gotBody = url, h, body
		return status, []byte(reply), postErr
	}
	for base, want := range map[string]string{
		"http://127.0.0.1:8000":                   "http://127.0.0.1:8000/v1/chat/completions",
		"https://api.example/v1/":                 "https://api.example/v1/chat/completions",
		"https://api.example/v1/chat/completions": "https://api.example/v1/chat/completions",
		" https://api.example/openai/v1 ":         "https://api.example/openai/v1/chat/completions",
	} {
		c, err := NewChatter(base, "m", "", post)
		if err != nil || c.Endpoint() != want {
			t.Errorf("%q: %v %v, want %s", base, c, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "https://user:pw@api.example/v1", "not a url"} {
		if _, err := NewChatter(bad, "m", "k", post); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c, err := NewChatter("https://api.example/v1", "grader-1", "sk-secret", post)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Chat(context.Background(), []lm.Message{{Role: "user", Content: "hi"}})
	if err != nil || out != `{"criteria_met": true}` {
		t.Fatalf("%q %v", out, err)
	}
	if gotURL != "https://api.example/v1/chat/completions" || gotHeader["Authorization"] != "Bearer sk-secret" {
		t.Errorf("request %s %v", gotURL, gotHeader)
	}
	if want := `{"model":"grader-1","messages":[{"role":"user","content":"hi"}],"temperature":0}`; string(gotBody) != want {
		t.Errorf("body %s\nwant %s", gotBody, want)
	}
	// The key never appears in an error, even when the server echoes it.
	status, reply = 401, `{"error": "bad key sk-secret"}`
	_, err = c.Chat(context.Background(), nil)
	if err == nil || strings.Contains(err.Error(), "sk-secret") || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("error %v", err)
	}
	status, postErr = 0, errors.New("network down for sk-secret")
	if _, err = c.Chat(context.Background(), nil); err == nil || strings.Contains(err.Error(), "sk-secret") {
		t.Errorf("error %v", err)
	}
	status, reply, postErr = 200, `{"choices": []}`, nil
	if _, err = c.Chat(context.Background(), nil); err == nil {
		t.Error("no choices accepted")
	}
}
