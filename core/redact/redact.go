package redact

import (
	"regexp"
	"strings"
	"sync"
)

// MinFragment is the shortest piece of the secret that is redacted on
// its own (see the package comment for why 8).
const MinFragment = 8

// Mark is what replaces a redacted run of text.
const Mark = "[redacted]"

// Redactor removes one secret from text. The zero value and a nil
// *Redactor redact only Bearer and Authorization values. A Redactor is
// safe for concurrent use.
type Redactor struct {
	secret  string
	windows map[uint64]struct{} // every MinFragment-byte window of secret
	// seen has bit hash(w) set for every window w: most windows of a text
	// miss it, which is cheaper to learn than from the map.
	seen *[1 << 16 / 64]uint64
}

// New returns a Redactor for secret (surrounding spaces are ignored, as
// an Authorization header ignores them). An empty secret gives a Redactor
// that still redacts Bearer and Authorization values.
func New(secret string) *Redactor {
	r := &Redactor{secret: strings.TrimSpace(secret)}
	if len(r.secret) >= MinFragment {
		r.windows = make(map[uint64]struct{}, len(r.secret)-MinFragment+1)
		r.seen = new([1 << 16 / 64]uint64)
		for i := 0; i+MinFragment <= len(r.secret); i++ {
			w := window(r.secret, i)
			r.windows[w] = struct{}{}
			h := hash(w)
			r.seen[h/64] |= 1 << (h % 64)
		}
	}
	return r
}

// Source is implemented by a grader client that knows its key, so a
// caller holding only an lm.Chatter (the llm judge, the HTTP API) can
// redact with the same Redactor.
type Source interface {
	Redactor() *Redactor
}

// Of returns v's Redactor when v is a Source, else nil (which still
// redacts Bearer and Authorization values).
func Of(v any) *Redactor {
	if s, ok := v.(Source); ok {
		return s.Redactor()
	}
	return nil
}

// HasSecret reports whether r holds a secret.
func (r *Redactor) HasSecret() bool { return r != nil && r.secret != "" }

// window packs the MinFragment bytes of s at i into one map key.
func window(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// hash maps a window to 16 bits (Fibonacci hashing).
func hash(w uint64) uint64 { return (w * 0x9E3779B97F4A7C15) >> 48 }

// credentials matches the value of a Bearer token or an Authorization
// header or JSON field ("Authorization: Basic …", "authorization":"…").
// Groups 1 and 2 are the parts kept. The value stops at a quote or a
// backslash, so redacting the raw body of a JSON error (where the quotes
// are escaped) keeps it valid JSON, and at a bracket, so text already
// redacted ("Authorization: [redacted]") is left as it is. Compiled on first use, like the core's other
// regexps.
var credentials = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*|(\bauthorization(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)[^"'\\\s,;}[\]][^"'\\\r\n,;}[\]]*`)
})

// String returns s with the secret, its fragments of MinFragment bytes
// and more, and every Bearer and Authorization value replaced by Mark.
func (r *Redactor) String(s string) string {
	if mayHoldCredential(s) {
		s = credentials().ReplaceAllStringFunc(s, func(m string) string {
			sm := credentials().FindStringSubmatch(m)
			return sm[1] + sm[2] + Mark
		})
	}
	if r.HasSecret() {
		s = r.secretRuns(s)
	}
	return s
}

// Bytes is String for a byte slice; it returns b itself when nothing is
// redacted.
func (r *Redactor) Bytes(b []byte) []byte {
	s := r.String(string(b))
	if len(s) == len(b) && s == string(b) {
		return b
	}
	return []byte(s)
}

// Error returns err's message redacted, keeping err reachable through
// errors.Is and errors.As. It returns nil for nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := r.String(msg)
	if red == msg {
		return err
	}
	return &redacted{msg: red, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// mayHoldCredential is a cheap test before the regexp: one of the words
// it needs, in any case.
func mayHoldCredential(s string) bool {
	return containsFold(s, "bearer") || containsFold(s, "authorization")
}

// containsFold reports whether s holds the ASCII lower-case word w in any
// case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// secretRuns replaces every run of s covered by the secret or by its
// MinFragment-byte windows.
func (r *Redactor) secretRuns(s string) string {
	var spans [][2]int // sorted, disjoint
	add := func(a, b int) {
		if n := len(spans); n > 0 && a <= spans[n-1][1] {
			spans[n-1][1] = max(spans[n-1][1], b)
			return
		}
		spans = append(spans, [2]int{a, b})
	}
	if r.windows == nil {
		// A secret shorter than MinFragment is redacted whole only.
		for i := 0; ; {
			j := strings.Index(s[i:], r.secret)
			if j < 0 {
				break
			}
			add(i+j, i+j+len(r.secret))
			i += j + len(r.secret)
		}
	} else {
		for i := 0; i+MinFragment <= len(s); i++ {
			w := window(s, i)
			if h := hash(w); r.seen[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			if _, ok := r.windows[w]; ok {
				add(i, i+MinFragment)
			}
		}
	}
	if spans == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteString(Mark)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// Truncate returns the first n bytes of s (cut back to a UTF-8 boundary)
// and whether anything was cut. Call it on redacted text only: the
// package's rule is redact, then cut.
func Truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n], true
}

// Leak returns the first piece of key of MinFragment bytes that occurs in
// s, or "" when none does: what a test or an audit asserts about any text
// that may have passed a grader's echo (every piece shorter than that is
// allowed to occur by chance).
func Leak(key, s string) string {
	for i := 0; i+MinFragment <= len(key); i++ {
		if f := key[i : i+MinFragment]; strings.Contains(s, f) {
			return f
		}
	}
	return ""
}
