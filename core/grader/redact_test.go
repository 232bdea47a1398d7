package grader

import (
	"context"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

const echoKey = "sk-grader-0123456789abcdef"

// keyFragment returns the first piece of echoKey of redact.MinFragment
// bytes found in s, or "".
func keyFragment(s string) string { return redact.Leak(echoKey, s) }

// TestChatterEchoedKey: a real local grader that repeats the key in its
// verdicts, and in an error body across byte 200, gives back no piece of
// it of 8 bytes or more.
func TestChatterEchoedKey(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{APIKey: echoKey, EchoKey: true, Schedule: []remotetest.Fault{remotetest.FaultEchoError}})
	defer s.Close()
	c, err := NewChatter(s.URL, "grader-1", echoKey, remotetest.Post)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []lm.Message{{Role: "user", Content: "# Conversation\nuser: pain?\n\nassistant: Take ibuprofen.\n\n# Rubric item\n[5] Mentions \"ibuprofen\"\n\n# Instructions\nReturn json."}}
	_, err = c.Chat(context.Background(), msgs)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("error %v, want HTTP 500", err)
	}
	if f := keyFragment(err.Error()); f != "" {
		t.Errorf("the error keeps %q: %v", f, err)
	}
	out, err := c.Chat(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if f := keyFragment(out); f != "" || !strings.Contains(out, `"criteria_met": true`) {
		t.Errorf("reply %q: keeps %q of the key, or lost the verdict", out, f)
	}
}

// TestChatterBearerAcrossTheCut: "Bearer <key>" at every offset around
// byte 200 of an error body leaves nothing of the key.
func TestChatterBearerAcrossTheCut(t *testing.T) {
	var body string
	post := func(context.Context, string, map[string]string, []byte) (int, []byte, error) {
		return 401, []byte(body), nil
	}
	c, err := NewChatter("http://127.0.0.1:1/v1", "m", echoKey, post)
	if err != nil {
		t.Fatal(err)
	}
	for start := 180; start <= 200; start++ {
		body = strings.Repeat("x", start) + "Bearer " + echoKey + `"}`
		_, err := c.Chat(context.Background(), nil)
		if err == nil || keyFragment(err.Error()) != "" || strings.Contains(err.Error(), echoKey[:4]) {
			t.Fatalf("Bearer at byte %d: %v", start, err)
		}
	}
}
