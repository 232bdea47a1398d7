package lmserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// Fault is what the server does with one request.
type Fault string

const (
	FaultNone      Fault = "ok"        // answer normally
	Fault429       Fault = "429"       // 429 Too Many Requests, with Retry-After when Options.RetryAfter is set
	Fault500       Fault = "500"       // 500 Internal Server Error
	Fault503       Fault = "503"       // 503 Service Unavailable
	FaultDrop      Fault = "drop"      // close the connection without a reply
	FaultMalformed Fault = "malformed" // 200 whose JSON body is cut in half
	FaultFewer     Fault = "fewer"     // the log-prob list lacks its last entry (answers normally on /tokenize)
	FaultMissing   Fault = "missing"   // the last log-prob entry lacks the prompt token (vLLM) or names another id (SGLang)
)

func (f Fault) valid() bool {
	switch f {
	case FaultNone, Fault429, Fault500, Fault503, FaultDrop, FaultMalformed, FaultFewer, FaultMissing:
		return true
	}
	return false
}

// Defaults used when the corresponding Options field is zero.
const (
	DefaultModelName   = "demo"
	DefaultMaxLogprobs = 20 // vLLM's default --max-logprobs
	DefaultMaxModelLen = 32768
)

// maxBody bounds a request body.
const maxBody = 64 << 20

// Options configures a Handler. The zero value serves the embedded model
// as "demo" with vLLM's default limits and no faults.
type Options struct {
	// Model is the model served; nil means demo.Load().
	Model *demo.Model
	// ModelName is the served model name; "" means DefaultModelName. A
	// request naming another model gets 404 (SGLang's /generate takes no
	// model).
	ModelName string
	// APIKey, when set, is required as "Authorization: Bearer <key>" on
	// every endpoint but /health.
	APIKey string
	// MaxLogprobs is vLLM's --max-logprobs; 0 means DefaultMaxLogprobs.
	MaxLogprobs int
	// MaxModelLen bounds prompt plus generated tokens; 0 means
	// DefaultMaxModelLen.
	MaxModelLen int
	// Schedule gives the fault for POST request i (in arrival order);
	// later requests are answered normally.
	Schedule []Fault
	// RetryAfter is the Retry-After header sent with 429 ("" for none).
	RetryAfter string
	// Record keeps every POST request for Recorded.
	Record bool
	// SGLangLegacy makes /generate omit the null first entry of its input
	// log-prob lists when logprob_start_len > 0, as older SGLang did.
	SGLangLegacy bool
}

// Request is one recorded POST request.
type Request struct {
	Path string
	Body string
}

// Handler serves the demo model over vLLM's and SGLang's HTTP APIs. It is
// safe for concurrent use.
type Handler struct {
	opts Options
	m    *demo.Model

	next   atomic.Int64
	counts map[Fault]*atomic.Int64
	mu     sync.Mutex
	log    []Request
}

// NewHandler returns a handler for opts. It returns an error for an
// unknown fault or when the embedded model cannot be loaded.
func NewHandler(opts Options) (*Handler, error) {
	for _, f := range opts.Schedule {
		if !f.valid() {
			return nil, fmt.Errorf("lmserver: unknown fault %q in Schedule", f)
		}
	}
	if opts.Model == nil {
		m, err := demo.Load()
		if err != nil {
			return nil, fmt.Errorf("lmserver: %v", err)
		}
		opts.Model = m
	}
	if opts.ModelName == "" {
		opts.ModelName = DefaultModelName
	}
	if opts.MaxLogprobs <= 0 {
		opts.MaxLogprobs = DefaultMaxLogprobs
	}
	if opts.MaxModelLen <= 0 {
		opts.MaxModelLen = DefaultMaxModelLen
	}
	h := &Handler{opts: opts, m: opts.Model, counts: make(map[Fault]*atomic.Int64)}
	for _, f := range []Fault{FaultNone, Fault429, Fault500, Fault503, FaultDrop, FaultMalformed, FaultFewer, FaultMissing} {
		h.counts[f] = new(atomic.Int64)
	}
	return h, nil
}

// Requests is the number of POST requests received.
func (h *Handler) Requests() int64 { return h.next.Load() }

// Count is the number of POST requests answered with fault f (FaultNone
// for normal answers, errors included).
func (h *Handler) Count(f Fault) int64 {
	if c, ok := h.counts[f]; ok {
		return c.Load()
	}
	return 0
}

// Recorded returns the POST requests received so far when Options.Record
// is set, in arrival order.
func (h *Handler) Recorded() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.log...)
}

// ModelName is the served model name.
func (h *Handler) ModelName() string { return h.opts.ModelName }

// Server is a Handler listening on 127.0.0.1.
type Server struct {
	*Handler
	// URL is the server root, http://127.0.0.1:port; vLLM clients may
	// append /v1.
	URL string

	srv *http.Server
	wg  sync.WaitGroup
}

// Start serves a new Handler for opts on a free port of 127.0.0.1.
func Start(opts Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lmserver: listen: %v", err)
	}
	s := &Server{Handler: h, URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and closes every connection.
func (s *Server) Close() {
	_ = s.srv.Close()
	s.wg.Wait()
}

// apiError is an error reply: its status and the JSON body to send.
type apiError struct {
	status int
	body   any
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

// vllmError is vLLM's error shape.
func vllmError(status int, typ, param, msg string) *apiError {
	type info struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    int     `json:"code"`
	}
	var p *string
	if param != "" {
		p = &param
	}
	return &apiError{status, map[string]info{"error": {msg, typ, p, status}}}
}

func badRequest(param, msg string) *apiError {
	return vllmError(http.StatusBadRequest, "BadRequestError", param, msg)
}

// sglangError is the shape of SGLang's /generate errors.
func sglangError(msg string) *apiError {
	return &apiError{http.StatusBadRequest, map[string]map[string]string{"error": {"message": msg}}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"lmserver: encoding reply: `+err.Error()+`"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	type route struct {
		method string
		serve  func(body []byte) (any, error)
	}
	var rt route
	switch r.URL.Path {
	case "/health":
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	case "/v1/models":
		rt = route{http.MethodGet, nil}
	case "/tokenize", "/v1/tokenize":
		rt = route{http.MethodPost, h.tokenize}
	case "/v1/completions":
		rt = route{http.MethodPost, h.completions}
	case "/generate":
		rt = route{http.MethodPost, h.generate}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		return
	}
	if r.Method != rt.method {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
		return
	}
	if h.opts.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+h.opts.APIKey {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": fmt.Sprintf("Unauthorized (Authorization: %q)", r.Header.Get("Authorization"))})
		return
	}
	if rt.serve == nil {
		writeJSON(w, http.StatusOK, h.models())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	i := h.next.Add(1) - 1
	if h.opts.Record {
		h.mu.Lock()
		h.log = append(h.log, Request{Path: r.URL.Path, Body: string(body)})
		h.mu.Unlock()
	}
	f := FaultNone
	if i < int64(len(h.opts.Schedule)) {
		f = h.opts.Schedule[i]
	}
	h.counts[f].Add(1)
	switch f {
	case Fault429:
		if h.opts.RetryAfter != "" {
			w.Header().Set("Retry-After", h.opts.RetryAfter)
		}
		writeJSON(w, http.StatusTooManyRequests, vllmError(http.StatusTooManyRequests, "RateLimitError", "", "rate limited").body)
		return
	case Fault500:
		writeJSON(w, 500, vllmError(500, "InternalServerError", "", "server trouble").body)
		return
	case Fault503:
		writeJSON(w, 503, vllmError(503, "ServiceUnavailableError", "", "server trouble").body)
		return
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	reply, err := rt.serve(body)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{http.StatusInternalServerError, map[string]string{"detail": err.Error()}}
		}
		writeJSON(w, ae.status, ae.body)
		return
	}
	if c, ok := reply.(corruptible); ok {
		switch f {
		case FaultFewer:
			c.dropLast()
		case FaultMissing:
			c.dropPromptToken()
		}
	}
	b, err := json.Marshal(reply)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": "lmserver: encoding reply: " + err.Error()})
		return
	}
	if f == FaultMalformed {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// corruptible is a log-prob reply that faults can damage.
type corruptible interface {
	dropLast()
	dropPromptToken()
}

func (h *Handler) models() any {
	type card struct {
		ID          string `json:"id"`
		Object      string `json:"object"`
		OwnedBy     string `json:"owned_by"`
		Root        string `json:"root"`
		MaxModelLen int    `json:"max_model_len"`
	}
	return struct {
		Object string `json:"object"`
		Data   []card `json:"data"`
	}{"list", []card{{h.opts.ModelName, "model", "rcsd", h.opts.ModelName, h.opts.MaxModelLen}}}
}

// checkModel returns vLLM's 404 for a request naming another model.
func (h *Handler) checkModel(name *string) error {
	if name != nil && *name != "" && *name != h.opts.ModelName {
		return vllmError(http.StatusNotFound, "NotFoundError", "model", fmt.Sprintf("The model `%s` does not exist.", *name))
	}
	return nil
}

// checkIDs returns a 400 for an id outside the vocabulary.
func (h *Handler) checkIDs(ids []int, mk func(string) *apiError) error {
	V := h.m.VocabSize()
	for _, id := range ids {
		if id < 0 || id >= V {
			return mk(fmt.Sprintf("Token id %d is out of vocabulary (size %d)", id, V))
		}
	}
	return nil
}

// decodeBody decodes a JSON request body into v, mapping errors to mk.
func decodeBody(body []byte, v any, mk func(string) *apiError) error {
	if err := json.Unmarshal(body, v); err != nil {
		return mk("invalid JSON body: " + err.Error())
	}
	return nil
}

// parsePrompt reads a prompt that is a token-id list or a string.
func (h *Handler) parsePrompt(raw json.RawMessage, mk func(string) *apiError) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, mk("Either prompt or prompt_embeds must be provided and non-empty.")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return h.m.Encode(s), nil
	}
	var ids []int
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, mk("lmserver: prompt must be a string or a list of token ids (batches are not supported)")
	}
	return ids, h.checkIDs(ids, mk)
}
