package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/redact"
)

// Message is one chat message on the wire.
type Message = lm.Message

// Defaults used when the corresponding Client field is zero.
const (
	DefaultBaseBackoff = 250 * time.Millisecond
	DefaultMaxBackoff  = 20 * time.Second
	// DefaultMaxRetries is a sensible retry budget for hosts to pass; a
	// zero Client.MaxRetries means no retries.
	DefaultMaxRetries = 5
	// maxReplyBytes bounds how much of a reply body is read.
	maxReplyBytes = 32 << 20
	// snippetBytes bounds how much of an error body goes into an error.
	snippetBytes = 200
)

// Client calls POST {endpoint} for an OpenAI-compatible chat-completions
// API. The endpoint is derived from BaseURL by this rule (trailing slashes
// are ignored):
//
//   - a URL whose path ends in /chat/completions is used as it is;
//   - a URL with no path (http://host:8000) gets /v1/chat/completions;
//   - any other path (http://host:8000/v1, https://api.example.com/openai/v1)
//     gets /chat/completions appended.
//
// So "http://localhost:8000" and "http://localhost:8000/v1" both reach
// http://localhost:8000/v1/chat/completions.
//
// A Client is safe for concurrent use once its fields are set; do not
// change them after the first Chat call.
type Client struct {
	BaseURL string
	Model   string
	// APIKey, when not empty, is sent as "Authorization: Bearer <key>".
	// The host supplies it (rcsd reads RCSD_JUDGE_API_KEY); it never
	// appears in errors, log lines or returned replies: everything the
	// server sends back passes through Redactor before it is cut or
	// returned.
	APIKey string
	// HTTP is the client used for requests; nil means a shared client
	// on NewTransport(64). Its Timeout should be zero: Timeout below
	// bounds each attempt instead.
	HTTP *http.Client
	// Limiter, when not nil, bounds the requests in flight; share one
	// across every client and request of a run. A slot is held for one
	// attempt and released during backoff.
	Limiter *Limiter
	// MaxRetries is how many times a failed attempt is retried (so at
	// most MaxRetries+1 attempts). Zero means no retries.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the wait before retry k (k = 0, 1,
	// …): d = min(MaxBackoff, BaseBackoff·2^k), and the wait is uniform in
	// [d/2, d]. A 429 reply's Retry-After, when present, is honoured
	// instead, capped at MaxBackoff. Zero means DefaultBaseBackoff and
	// DefaultMaxBackoff.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Timeout bounds one attempt (connect, send, read the whole reply).
	// Zero means no per-attempt limit beyond the caller's context.
	Timeout time.Duration
	// Temperature is always sent (0 is greedy decoding).
	Temperature float64
	// MaxTokens is sent as max_tokens when positive.
	MaxTokens int
	// Seed seeds the backoff jitter, so tests can reproduce waits.
	Seed int64
	// Log, when not nil, receives one line per retried attempt. Lines
	// never contain the API key.
	Log func(line string)

	once     sync.Once
	endpoint string
	initErr  error
	mu       sync.Mutex
	rng      *rand.Rand
	redOnce  sync.Once
	red      *redact.Redactor
}

var (
	defaultHTTPOnce sync.Once
	defaultHTTP     *http.Client
)

func sharedHTTP() *http.Client {
	defaultHTTPOnce.Do(func() {
		defaultHTTP = &http.Client{Transport: NewTransport(64)}
	})
	return defaultHTTP
}

// NewTransport returns an HTTP transport tuned for many concurrent
// keep-alive requests to one host: it keeps up to concurrency idle
// connections per host (Go's default is 2, which makes a busy run open
// and close a connection for almost every request).
func NewTransport(concurrency int) *http.Transport {
	if concurrency < 1 {
		concurrency = 1
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency
	if t.MaxIdleConns < 2*concurrency {
		t.MaxIdleConns = 2 * concurrency
	}
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// Endpoint returns the chat-completions URL derived from base by the rule
// documented on Client, or an error for a URL that is not absolute http(s).
func Endpoint(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return "", fmt.Errorf("remote: invalid base URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("remote: base URL %q: scheme must be http or https", redactURL(u))
	}
	if u.Host == "" {
		return "", fmt.Errorf("remote: base URL %q has no host", redactURL(u))
	}
	return lm.ChatEndpoint(*u), nil
}

// redactURL drops any user:password part so it never reaches an error.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

func (c *Client) init() {
	c.endpoint, c.initErr = Endpoint(c.BaseURL)
	c.rng = rand.New(rand.NewSource(c.Seed))
}

// StatusError is a reply with a non-2xx status.
type StatusError struct {
	StatusCode int
	// Snippet is the start of the reply body, at most 200 bytes, cut
	// after any echo of the API key or a credential was redacted.
	Snippet string
	// RetryAfter is the parsed Retry-After header (zero when absent).
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("remote: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Snippet != "" {
		s += ": " + e.Snippet
	}
	return s
}

// Retryable reports whether the status is worth retrying: 408, 429 and
// every 5xx.
func (e *StatusError) Retryable() bool {
	return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Redactor is the redactor of c's key (redact.Source), for the callers
// that store or show what c returns.
func (c *Client) Redactor() *redact.Redactor {
	c.redOnce.Do(func() { c.red = redact.New(c.APIKey) })
	return c.red
}

func (c *Client) redact(s string) string { return c.Redactor().String(s) }

// wrap redacts err's message, keeping the cause reachable through
// errors.Is/As.
func (c *Client) wrap(err error) error { return c.Redactor().Error(err) }

// errorSnippet reads the start of an error body, redacts it and only then
// cuts it to snippetBytes, so a key that straddles the cut is still
// recognised whole.
func (c *Client) errorSnippet(body io.Reader) string {
	buf, _ := io.ReadAll(io.LimitReader(body, errorBodyBytes))
	s, _ := redact.Truncate(c.redact(strings.ToValidUTF8(string(buf), "")), snippetBytes)
	return strings.TrimSpace(s)
}

type chatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
}

// ModelName is c.Model (lm.Chatter).
func (c *Client) ModelName() string { return c.Model }

// errBadReply marks a 2xx reply whose body is not a chat completion.
var errBadReply = errors.New("remote: malformed chat-completion reply")

// Chat sends messages and returns the first choice's content. Timeouts,
// connection errors, 408, 429, 5xx and malformed 2xx bodies are retried
// up to MaxRetries times; other 4xx fail at once with a *StatusError.
// When ctx ends, Chat stops and returns an error wrapping ctx.Err().
func (c *Client) Chat(ctx context.Context, messages []Message) (string, error) {
	c.once.Do(c.init)
	if c.initErr != nil {
		return "", c.wrap(c.initErr)
	}
	body, err := json.Marshal(chatRequest{Model: c.Model, Messages: messages, Temperature: c.Temperature, MaxTokens: c.MaxTokens})
	if err != nil {
		return "", fmt.Errorf("remote: encoding request: %v", err)
	}
	var content string
	err = c.retry(ctx, "", func() error {
		var err error
		content, err = c.attempt(ctx, body)
		return err
	}, func(err error) (error, bool) {
		var se *StatusError
		if errors.As(err, &se) && !se.Retryable() {
			return err, true
		}
		var pe *permanentError
		if errors.As(err, &pe) {
			return pe.err, true
		}
		return nil, false
	})
	return content, err
}

// retry runs try until it succeeds, a failure is final (final returns
// the error to report and true), the retry budget is spent, or ctx ends,
// waiting c.backoff between attempts. Every request of the package goes
// through it, so all share one retry policy and one set of messages
// ("remote: [name: ]…"); errors come back redacted.
func (c *Client) retry(ctx context.Context, name string, try func() error, final func(error) (error, bool)) error {
	prefix := "remote: "
	if name != "" {
		prefix += name + ": "
	}
	retries := max(c.MaxRetries, 0)
	var last error
	for attempt := 0; ; attempt++ {
		err := try()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.wrap(fmt.Errorf("%s%w (after %d attempts; last error: %v)", prefix, ctx.Err(), attempt+1, err))
		}
		last = err
		if ferr, ok := final(err); ok {
			return c.wrap(ferr)
		}
		if attempt >= retries {
			break
		}
		wait := c.backoff(attempt, err)
		if c.Log != nil {
			c.Log(c.redact(fmt.Sprintf("%sattempt %d/%d failed: %v; retrying in %v", prefix, attempt+1, retries+1, err, wait)))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.wrap(fmt.Errorf("%s%w (after %d attempts; last error: %v)", prefix, ctx.Err(), attempt+1, err))
		case <-t.C:
		}
	}
	return c.wrap(fmt.Errorf("%sgiving up after %d attempts: %w", prefix, retries+1, last))
}

// backoff returns the wait before retry number attempt (0-based).
func (c *Client) backoff(attempt int, err error) time.Duration {
	base, maxB := c.BaseBackoff, c.MaxBackoff
	if base <= 0 {
		base = DefaultBaseBackoff
	}
	if maxB <= 0 {
		maxB = DefaultMaxBackoff
	}
	var se *StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusTooManyRequests && se.RetryAfter > 0 {
		return min(se.RetryAfter, maxB)
	}
	d := base
	for i := 0; i < attempt && d < maxB; i++ {
		d *= 2
	}
	d = min(d, maxB)
	half := d / 2
	c.mu.Lock()
	j := time.Duration(c.rng.Int63n(int64(d-half) + 1))
	c.mu.Unlock()
	return half + j
}

// send makes one POST of body to url, holding a limiter slot and the
// per-attempt timeout for its duration, and hands the response to read;
// the body is drained a little (so the connection can be reused) and
// closed afterwards. Every request of the package goes through it.
func (c *Client) send(ctx context.Context, url string, body []byte, read func(*http.Response) error) error {
	if c.Limiter != nil {
		if err := c.Limiter.Acquire(ctx); err != nil {
			return err
		}
		defer c.Limiter.Release()
	}
	actx := ctx
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &permanentError{fmt.Errorf("remote: building request: %v", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = sharedHTTP()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	return read(resp)
}

// attempt makes one chat request and reads its reply.
func (c *Client) attempt(ctx context.Context, body []byte) (content string, err error) {
	err = c.send(ctx, c.endpoint, body, func(resp *http.Response) error {
		content, err = c.readChat(resp)
		return err
	})
	return content, err
}

// readChat reads a chat-completions reply: its first choice's content,
// or a *StatusError for a non-2xx status.
func (c *Client) readChat(resp *http.Response) (string, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &StatusError{
			StatusCode: resp.StatusCode,
			Snippet:    c.errorSnippet(resp.Body),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if err != nil {
		return "", fmt.Errorf("remote: reading reply: %w", err)
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		return "", fmt.Errorf("%w: %v", errBadReply, err)
	}
	if len(cr.Choices) == 0 {
		return "", fmt.Errorf("%w: no choices", errBadReply)
	}
	if cr.Choices[0].Message.Content == nil {
		return "", fmt.Errorf("%w: choice 0 has no message content", errBadReply)
	}
	// A grader may echo the request's headers in its answer; what the
	// judge stores and shows must not carry the key.
	return c.redact(*cr.Choices[0].Message.Content), nil
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// It returns zero when the header is absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 || s != s {
			return 0
		}
		if s > 1e6 {
			s = 1e6
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Limiter is a counting semaphore bounding requests in flight. One Limiter
// is shared across all requests of a run (size = --concurrency).
type Limiter struct {
	slots chan struct{}
}

// NewLimiter returns a limiter with n slots. It panics if n < 1.
func NewLimiter(n int) *Limiter {
	if n < 1 {
		panic("remote: NewLimiter: n < 1")
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// Acquire takes a slot, waiting until one is free or ctx ends.
func (l *Limiter) Acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release returns a slot taken by Acquire.
func (l *Limiter) Release() { <-l.slots }

// Cap is the number of slots.
func (l *Limiter) Cap() int { return cap(l.slots) }

// InFlight is the number of slots taken now.
func (l *Limiter) InFlight() int { return len(l.slots) }
