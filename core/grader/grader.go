// Package grader is an OpenAI-compatible chat-completions client over a
// Post function the host gives: the browser's fetch in the playground,
// the Workers runtime's fetch in the Cloudflare Worker. It uses no
// net/http client, whose transport and crypto/tls would add 1.1 MB gzip
// to a .wasm (the CLI's grader, core/remote, has retries, a limiter and a
// cache; this one sends each question once). The key goes only into the
// Authorization header of requests to the configured URL and never into
// an error or a returned reply: both pass through core/redact before
// they are cut or returned.
package grader

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/redact"
)

// Post sends one HTTP POST and returns the status and the body. The
// js/wasm hosts implement it with fetch; tests use net/http or a fake.
type Post func(ctx context.Context, url string, header map[string]string, body []byte) (status int, reply []byte, err error)

// Chatter is an OpenAI-compatible chat-completions client over Post: the
// llm judge's grader in the browser and in the Worker. It sends the key only in the
// Authorization header of requests to the URL the user typed, and never
// puts it in an error.
type Chatter struct {
	endpoint, model, key string
	post                 Post
	red                  *redact.Redactor
	// Timeout bounds one request (0: none).
	Timeout time.Duration
}

// NewChatter checks the base URL (http or https, a host, no credentials)
// and derives the endpoint as the CLI does: a URL with no path gets
// /v1/chat/completions, one ending in /chat/completions is used as it is,
// any other path gets /chat/completions appended.
func NewChatter(base, model, key string, post Post) (*Chatter, error) {
	if post == nil {
		return nil, errors.New("grader: no way to send requests")
	}
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("grader: %q is not an http(s) URL with a host", base)
	}
	if u.User != nil {
		return nil, errors.New("grader: the URL carries credentials; type the key in the key field")
	}
	if strings.TrimSpace(model) == "" {
		return nil, errors.New("grader: no model name")
	}
	return &Chatter{endpoint: lm.ChatEndpoint(*u), model: model, key: key, post: post, red: redact.New(key), Timeout: 120 * time.Second}, nil
}

// Endpoint returns the chat-completions URL requests go to.
func (c *Chatter) Endpoint() string { return c.endpoint }

// ModelName implements lm.Chatter.
func (c *Chatter) ModelName() string { return c.model }

// Chat implements lm.Chatter: one request, temperature 0.
func (c *Chatter) Chat(ctx context.Context, messages []lm.Message) (string, error) {
	body, err := json.Marshal(struct {
		Model       string       `json:"model"`
		Messages    []lm.Message `json:"messages"`
		Temperature float64      `json:"temperature"`
	}{c.model, messages, 0})
	if err != nil {
		return "", err
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	header := map[string]string{"Content-Type": "application/json"}
	if c.key != "" {
		header["Authorization"] = "Bearer " + c.key
	}
	status, reply, err := c.post(ctx, c.endpoint, header, body)
	if err != nil {
		return "", fmt.Errorf("grader request to %s failed: %s", c.endpoint, c.redact(err.Error()))
	}
	if status < 200 || status > 299 {
		return "", fmt.Errorf("grader at %s answered HTTP %d: %s", c.endpoint, status, c.snippet(reply))
	}
	var r struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return "", fmt.Errorf("grader at %s: the reply is not chat-completions JSON: %s", c.endpoint, c.snippet(reply))
	}
	if len(r.Choices) == 0 {
		return "", fmt.Errorf("grader at %s: the reply has no choices", c.endpoint)
	}
	// A grader may echo the request's headers in its verdicts; what the
	// judge stores and shows must not carry the key.
	return c.redact(r.Choices[0].Message.Content), nil
}

// Redactor is the redactor of c's key (redact.Source).
func (c *Chatter) Redactor() *redact.Redactor { return c.red }

// redact removes the key from a text that may echo it (some servers
// repeat the request's headers in their errors and replies).
func (c *Chatter) redact(s string) string { return c.red.String(s) }

// snippet quotes the start of a reply for an error: redacted first, then
// cut to 200 bytes, so a key that straddles the cut is recognised whole.
func (c *Chatter) snippet(b []byte) string {
	const max = 16 << 10 // enough past the cut to see a whole key
	if len(b) > max {
		b = b[:max]
	}
	s, cut := redact.Truncate(strings.TrimSpace(c.redact(strings.ToValidUTF8(string(b), ""))), 200)
	if cut {
		s += "…"
	}
	return s
}
