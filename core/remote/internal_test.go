package remote

import (
	"errors"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name, v string
		want    time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "3", 3 * time.Second},
		{"fractional", "0.5", 500 * time.Millisecond},
		{"zero", "0", 0},
		{"negative", "-2", 0},
		{"http date", "Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second},
		{"past date", "Fri, 02 Jan 2026 03:04:00 GMT", 0},
		{"garbage", "soon", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRetryAfter(tc.v, now); got != tc.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tc.v, got, tc.want)
			}
		})
	}
}

// TestBackoffBoundsAndSeed checks the wait for retry k lies in [d/2, d]
// with d = min(max, base·2^k), that a seed reproduces the waits, and that
// Retry-After wins over the exponential wait but is capped.
func TestBackoffBoundsAndSeed(t *testing.T) {
	mk := func() *Client {
		c := &Client{BaseBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Seed: 42}
		c.once.Do(c.init)
		return c
	}
	a, b := mk(), mk()
	other := errors.New("conn reset")
	for k := range 8 {
		d := min(10*time.Millisecond<<k, 100*time.Millisecond)
		wa, wb := a.backoff(k, other), b.backoff(k, other)
		if wa != wb {
			t.Fatalf("retry %d: same seed gave %v and %v", k, wa, wb)
		}
		if wa < d/2 || wa > d {
			t.Fatalf("retry %d: wait %v outside [%v, %v]", k, wa, d/2, d)
		}
	}
	if w := a.backoff(0, &StatusError{StatusCode: 429, RetryAfter: 30 * time.Millisecond}); w != 30*time.Millisecond {
		t.Fatalf("Retry-After 30ms gave wait %v", w)
	}
	if w := a.backoff(0, &StatusError{StatusCode: 429, RetryAfter: time.Hour}); w != 100*time.Millisecond {
		t.Fatalf("Retry-After 1h gave wait %v, want the 100ms cap", w)
	}
}
