package remote_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

// keyFragment returns the first piece of secret of redact.MinFragment
// bytes found in s, or "".
func keyFragment(s string) string { return redact.Leak(secret, s) }

// TestEchoedKeyNeverReturned: a grader that repeats the key in its
// verdicts and in an error body cut across byte 200 gives back neither
// the key nor any 8-byte piece of it, in the reply or in the error.
func TestEchoedKeyNeverReturned(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{APIKey: secret, EchoKey: true, Schedule: []remotetest.Fault{remotetest.FaultEchoError}})
	defer s.Close()
	c := newClient(s)
	c.MaxRetries = 0
	var logs []string
	c.Log = func(l string) { logs = append(logs, l) }
	_, err := c.Chat(context.Background(), msgs())
	if err == nil {
		t.Fatal("an echo-error reply succeeded")
	}
	if f := keyFragment(err.Error()); f != "" {
		t.Errorf("the error keeps %q of the key: %v", f, err)
	}
	if !strings.Contains(err.Error(), "upstream refused") {
		t.Errorf("the error lost the server's message: %v", err)
	}
	reply, err := c.Chat(context.Background(), msgs())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply, `criteria_met": true`) || !strings.Contains(reply, "[redacted]") {
		t.Errorf("reply = %q, want a verdict with the echo redacted", reply)
	}
	if f := keyFragment(reply + strings.Join(logs, "\n")); f != "" {
		t.Errorf("the reply keeps %q of the key: %q", f, reply)
	}
}

// TestBearerAcrossTheCut: "Bearer <key>" straddling byte 200 of an error
// body, at every offset, leaves nothing of the key in the error.
func TestBearerAcrossTheCut(t *testing.T) {
	for start := 180; start <= 200; start++ {
		body := strings.Repeat("x", start) + "Bearer " + secret + `"}`
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, body, http.StatusUnauthorized)
		}))
		c := newClient(&remotetest.Server{URL: srv.URL})
		_, err := c.Chat(context.Background(), msgs())
		srv.Close()
		if err == nil {
			t.Fatal("a 401 succeeded")
		}
		if f := keyFragment(err.Error()); f != "" || strings.Contains(err.Error(), secret[:4]) {
			t.Fatalf("Bearer at byte %d: the error keeps part of the key: %v", start, err)
		}
	}
}
