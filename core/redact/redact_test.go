package redact

import (
	"errors"
	"io"
	"strings"
	"testing"
)

const key = "sk-test-9f8e7d6c5b4a39281706"

// leaks returns the first fragment of secret of MinFragment bytes or more
// found in s, or "".
func leaks(s, secret string) string {
	for i := 0; i+MinFragment <= len(secret); i++ {
		if f := secret[i : i+MinFragment]; strings.Contains(s, f) {
			return f
		}
	}
	return ""
}

func TestString(t *testing.T) {
	r := New(key)
	tests := []struct {
		name, in, want string
	}{
		{"nothing", "criteria met: the answer names the dose", "criteria met: the answer names the dose"},
		{"whole key", "you sent " + key + ".", "you sent [redacted]."},
		{"key twice", key + key, "[redacted]"},
		{"prefix cut by a truncation", `{"error":"bad key sk-test-9f8e7`, `{"error":"bad key [redacted]`},
		{"suffix", "...4a39281706 rest", "...[redacted] rest"},
		{"8-byte fragment", "x 9f8e7d6c y", "x [redacted] y"},
		{"7-byte fragment is left", "x 9f8e7d6 y", "x 9f8e7d6 y"},
		{"bearer with the key", "Authorization header was Bearer " + key, "Authorization header was Bearer [redacted]"},
		{"bearer with another token", "bearer abc.DEF_ghi-123==, then", "bearer [redacted], then"},
		{"header echo", "Authorization: Basic dXNlcjpwYXNz\r\nHost: x", "Authorization: [redacted]\r\nHost: x"},
		{"json echo", `{"headers":{"authorization":"Bearer other-token","host":"x"}}`, `{"headers":{"authorization":"[redacted]","host":"x"}}`},
		{"already redacted", "Bearer [redacted]", "Bearer [redacted]"},
		{"already redacted header", `Authorization: "[redacted]"`, `Authorization: "[redacted]"`},
		{"utf-8 around", "é" + key[:10] + "ü", "é[redacted]ü"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.String(tc.in); got != tc.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestEveryFragment places every piece of the key of MinFragment bytes or
// more in text and checks that none of the key's windows survive.
func TestEveryFragment(t *testing.T) {
	r := New(key)
	for i := 0; i < len(key); i++ {
		for j := i + MinFragment; j <= len(key); j++ {
			in := "left " + key[i:j] + " right"
			out := r.String(in)
			if f := leaks(out, key); f != "" {
				t.Fatalf("String(%q) = %q keeps %q", in, out, f)
			}
			if !strings.HasPrefix(out, "left ") || !strings.HasSuffix(out, " right") {
				t.Fatalf("String(%q) = %q redacts the text around", in, out)
			}
		}
	}
}

// TestRedactThenTruncate: a key that straddles a cut is gone whatever
// the cut, because the text is redacted before it is cut.
func TestRedactThenTruncate(t *testing.T) {
	r := New(key)
	body := strings.Repeat("a", 190) + "Bearer " + key + strings.Repeat("b", 50)
	for n := 150; n < len(body); n++ {
		got, _ := Truncate(r.String(body), n)
		if f := leaks(got, key); f != "" || strings.Contains(got, key[:5]) {
			t.Fatalf("cut at %d: %q keeps part of the key", n, got)
		}
	}
}

func TestShortSecret(t *testing.T) {
	r := New("abc12")
	if got := r.String("x abc12 y abc1"); got != "x [redacted] y abc1" {
		t.Errorf("got %q", got)
	}
}

func TestNilAndEmpty(t *testing.T) {
	var r *Redactor
	if got := r.String("Bearer tok123 and sk-x"); got != "Bearer [redacted] and sk-x" {
		t.Errorf("nil: got %q", got)
	}
	if New("").HasSecret() || r.HasSecret() || !New(key).HasSecret() {
		t.Error("HasSecret wrong")
	}
}

func TestError(t *testing.T) {
	r := New(key)
	err := r.Error(&wrapped{"reading: " + key, io.ErrUnexpectedEOF})
	if err.Error() != "reading: [redacted]" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v", err)
	}
	plain := errors.New("no key here")
	if r.Error(plain) != plain || r.Error(nil) != nil {
		t.Error("Error must return an error without the key unchanged")
	}
}

type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

func TestTruncate(t *testing.T) {
	if s, cut := Truncate("héllo", 2); s != "h" || !cut {
		t.Errorf("got %q %v", s, cut)
	}
	if s, cut := Truncate("abc", 3); s != "abc" || cut {
		t.Errorf("got %q %v", s, cut)
	}
}

// BenchmarkString: a grader's reply with no secret in it, in size tiers.
func BenchmarkString(b *testing.B) {
	r := New(key)
	for _, tc := range []struct {
		name string
		size int
	}{{"1KiB", 1 << 10}, {"64KiB", 1 << 16}, {"1MiB", 1 << 20}} {
		s := strings.Repeat(`{"explanation": "the response names the dose", "criteria_met": true} `, tc.size/60+1)[:tc.size]
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(tc.size))
			for b.Loop() {
				r.String(s)
			}
		})
	}
}

// TestJSONStaysJSON: a raw JSON body redacted stays valid JSON, escaped
// quotes included, so the server's message can still be read from it.
func TestJSONStaysJSON(t *testing.T) {
	r := New(key)
	in := `{"error":"Unauthorized (Authorization: \"Bearer ` + key + `\")","headers":{"Authorization":"Basic dXNlcjpwYXNz"}}`
	want := `{"error":"Unauthorized (Authorization: \"[redacted]\")","headers":{"Authorization":"[redacted]"}}`
	if got := r.String(in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
