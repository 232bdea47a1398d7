package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/redact"
)

// Prefix is the path under which every API method lives: Prefix+method.
const Prefix = "/api/v1/"

// DefaultMaxBodyBytes is the body cap when Options.MaxBodyBytes is zero.
// The traces of one item's responses with the teacher's top 20 are about
// 1 MB of JSONL (more once quoted in a JSON string), so 4 MiB leaves room
// for the playground's pasted traces; rubrics and items are far smaller.
const DefaultMaxBodyBytes = 4 << 20

// Diagnostic codes of the HTTP layer (the JSON front door's own codes,
// such as bad-request or unknown-method, come from core/api).
const (
	CodeTooLarge         = "request-too-large"      // 413: the body is over the cap
	CodeMethodNotAllowed = "method-not-allowed"     // 405: wrong HTTP method for the API method
	CodeMediaType        = "unsupported-media-type" // 415: a POST body that is not JSON
	CodeNotFound         = "not-found"              // 404: a path outside the API and the static files
)

// DefaultMaxInFlight is Options.MaxInFlight's default: the scorer's work
// is CPU-bound, so more at once would only share the same cores.
var DefaultMaxInFlight = max(2, runtime.GOMAXPROCS(0))

// CodeBusy is the 503 of a request that found no free slot within the
// compute limit.
const CodeBusy = "server-busy"

// Options configures New.
type Options struct {
	// Host is what api.Call gets: the limits, the optional llm grader and
	// the optional scorer for the playground method.
	Host api.Host
	// MaxBodyBytes caps a request body; a larger one gets 413. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Files, when not nil, serves every path outside Prefix for GET and
	// HEAD (natively http.FileServerFS of the playground's directory; the
	// handler adds nosniff). When nil such paths get 404 with a diagnostic:
	// in the Worker the assets configuration serves the files before the
	// Worker runs, and leaving the file server out keeps it smaller.
	Files http.Handler
	// MaxInFlight is the most API requests computed at once; more wait
	// for a slot, before their body is read, up to the compute limit
	// (Host.Limits.ComputeTimeout), then get 503. Zero means
	// DefaultMaxInFlight. With each request's work bounded (core/api's
	// limits), it bounds the memory of the whole server: docs/api.md#limits.
	MaxInFlight int
	// OnIdle, when not nil, is called after a request when no other is
	// in flight (rcsd serve gives the memory of a burst back to the
	// system there).
	OnIdle func()
	// AllowOrigins lists the web origins (scheme://host[:port], or "*"
	// for any) that may call a server whose grader holds a key; others
	// get 403 (see the package comment). Entries ParseOrigin rejects
	// match nothing. A keyless server ignores it: every origin may call.
	AllowOrigins []string
	// Log, when not nil, gets one line per request: the HTTP method, the
	// quoted path, the status, the reply's size and the time taken. Never
	// a query, a header or a body, so no secret or input reaches a log.
	Log func(line string)
}

// New returns the handler of rcsd's HTTP API.
func New(o Options) http.Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	h := &handler{o: o, methods: api.Methods(), static: o.Files, slots: make(chan struct{}, o.MaxInFlight), origins: newOrigins(o)}
	if red := redact.Of(o.Host.Grader); red.HasSecret() {
		h.red = red
	}
	return h
}

type handler struct {
	o       Options
	methods []string
	static  http.Handler
	slots   chan struct{} // one per API request computing
	mu      sync.Mutex
	busy    int // API requests holding or waiting for a slot
	origins origins
	// red, when not nil, redacts every reply body: the grader's key
	// never leaves, whatever a grader echoed into a verdict.
	red *redact.Redactor
}

// acquire waits for a computing slot until the request's context ends
// or the compute limit passes; release gives it back.
func (h *handler) acquire(ctx context.Context) bool {
	h.mu.Lock()
	h.busy++
	h.mu.Unlock()
	select {
	case h.slots <- struct{}{}:
		return true
	default:
	}
	wait := h.o.Host.Limits.ComputeTimeout
	if wait <= 0 {
		wait = api.DefaultComputeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	select {
	case h.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		h.done(false)
		return false
	}
}

// done releases a slot (when held) and calls OnIdle when nothing else
// is in flight.
func (h *handler) done(held bool) {
	if held {
		<-h.slots
	}
	h.mu.Lock()
	h.busy--
	idle := h.busy == 0
	h.mu.Unlock()
	if idle && h.o.OnIdle != nil {
		h.o.OnIdle()
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			// Nothing of the panic leaves: it may hold inputs.
			if !cw.wrote {
				h.writeError(cw, http.StatusInternalServerError, diag.Errorf(api.CodeInternal, "", "internal error; please report it with the request that caused it"))
			}
		}
		if h.o.Log != nil {
			h.o.Log(r.Method + " " + strconv.Quote(r.URL.Path) + " " + strconv.Itoa(cw.status) + " " + strconv.FormatInt(cw.n, 10) + "B " + time.Since(start).Round(10*time.Microsecond).String())
		}
	}()
	if !h.checkOrigin(cw, r) {
		return
	}
	if method, ok := strings.CutPrefix(r.URL.Path, Prefix); ok {
		h.serveAPI(cw, r, method)
		return
	}
	if h.static != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		hd := cw.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.static.ServeHTTP(cw, r)
		return
	}
	if h.static != nil {
		cw.Header().Set("Allow", "GET, HEAD")
		h.writeError(cw, http.StatusMethodNotAllowed, diag.Errorf(CodeMethodNotAllowed, "", "%s is not allowed on %s; use GET", r.Method, r.URL.Path))
		return
	}
	h.writeError(cw, http.StatusNotFound, diag.Errorf(CodeNotFound, "", "no such path: the API is under %s (GET %sversion lists its methods)", Prefix, Prefix))
}

// serveAPI answers Prefix+method.
func (h *handler) serveAPI(w http.ResponseWriter, r *http.Request, method string) {
	hd := w.Header()
	if !slices.Contains(h.methods, method) {
		// api.Call words the unknown method with a "did you mean".
		h.writeReply(w, api.Call(r.Context(), h.o.Host, method, nil))
		return
	}
	allow := http.MethodPost
	if method == api.MethodVersion {
		allow = http.MethodGet
	}
	switch r.Method {
	case allow:
	case http.MethodOptions:
		// CORS preflight (or a plain OPTIONS): what may be sent, cached
		// for a day by browsers.
		hd.Set("Allow", allow+", OPTIONS")
		hd.Set("Access-Control-Allow-Methods", allow+", OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "Content-Type")
		hd.Set("Access-Control-Max-Age", "86400")
		setSecurityHeaders(hd)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		hd.Set("Allow", allow+", OPTIONS")
		h.writeError(w, http.StatusMethodNotAllowed, diag.Errorf(CodeMethodNotAllowed, "", "%s is not allowed on %s%s; use %s", r.Method, Prefix, method, allow))
		return
	}
	if allow == http.MethodPost {
		if !h.acquire(r.Context()) {
			h.writeError(w, http.StatusServiceUnavailable, diag.Errorf(CodeBusy, "", "the server is busy: every one of its %d computing slots stayed taken; retry later", cap(h.slots)))
			return
		}
		defer h.done(true)
	}
	var body []byte
	if allow == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && mt != "text/plain") {
				h.writeError(w, http.StatusUnsupportedMediaType, diag.Errorf(CodeMediaType, "", "the body must be JSON (Content-Type: application/json), not %q", ct))
				return
			}
		}
		if r.ContentLength > h.o.MaxBodyBytes {
			h.writeError(w, http.StatusRequestEntityTooLarge, tooLarge(h.o.MaxBodyBytes))
			return
		}
		var err error
		body, err = readBody(r.Body, h.o.MaxBodyBytes)
		if err != nil {
			if errors.Is(err, errTooLarge) {
				h.writeError(w, http.StatusRequestEntityTooLarge, tooLarge(h.o.MaxBodyBytes))
				return
			}
			if errors.Is(err, context.Canceled) || errors.Is(r.Context().Err(), context.Canceled) {
				return // the client went away; nobody reads a reply
			}
			h.writeError(w, http.StatusBadRequest, diag.Errorf(api.CodeBadRequest, "$", "the request body could not be read"))
			return
		}
	}
	h.writeReply(w, api.Call(r.Context(), h.o.Host, method, body))
}

var errTooLarge = errors.New("body too large")

// readBody reads at most limit bytes of b (nil for a GET in the Worker)
// and fails with errTooLarge past them. It does not rely on
// http.MaxBytesReader, whose early close needs a server-side
// ResponseWriter the Worker does not have.
func readBody(b io.Reader, limit int64) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(b, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

func tooLarge(limit int64) diag.Diagnostic {
	return diag.Errorf(CodeTooLarge, "", "the request body is over %s bytes", strconv.FormatInt(limit, 10))
}

func setSecurityHeaders(hd http.Header) {
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
}

func (h *handler) writeReply(w http.ResponseWriter, r api.Reply) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	// No Content-Length: syumai/workers turns one into a FixedLengthStream,
	// which fails under workerd in v0.29.0; natively net/http sets it for
	// small replies.
	setSecurityHeaders(hd)
	w.WriteHeader(r.Status)
	if h.red != nil {
		r.Body = h.red.Bytes(r.Body)
	}
	w.Write(append(r.Body, '\n'))
}

func (h *handler) writeError(w http.ResponseWriter, status int, d diag.Diagnostic) {
	b, err := json.Marshal(api.ErrorBody{Diagnostics: diag.List{d}, Errors: 1, EngineVersion: api.EngineVersion})
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"diagnostics":[],"errors":1}`)
	}
	h.writeReply(w, api.Reply{Status: status, Body: b})
}

// countingWriter records the status and the size of a reply for the log
// line and whether anything was written (a panic after that cannot
// change the reply any more).
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (c *countingWriter) WriteHeader(status int) {
	if !c.wrote {
		c.status, c.wrote = status, true
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.wrote = true
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}
