package api

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/lm"
)

// Methods of the JSON front door, the names hosts route to (the
// WebAssembly bridge's namespace functions, the Worker's /api/v1/<method>).
const (
	MethodVersion    = "version"
	MethodValidate   = "validate"
	MethodEvaluate   = "evaluate"
	MethodLoss       = "loss"
	MethodContexts   = "contexts"
	MethodPlayground = "playground"
	MethodExport     = "export"
)

// Diagnostic codes of the JSON front door itself.
const (
	CodeBadRequest     = "bad-request"      // the body is not the method's request JSON
	CodeUnknownMethod  = "unknown-method"   // no such method
	CodeTooDeep        = "request-too-deep" // nesting beyond Limits.MaxDepth
	CodeTooLong        = "request-too-long" // an array or a JSONL text beyond Limits
	CodeInternal       = "internal-error"   // a bug: reported without internals
	CodeLLMUnavailable = "llm-unavailable"  // the llm judge was asked for but the host has no grader
)

// Limits bound what one request may ask for, so a host exposed to the
// network (the Worker) stays within its CPU and memory budget. Zero
// fields take the defaults.
type Limits struct {
	// MaxDepth is the deepest nesting of arrays and objects in a body.
	MaxDepth int
	// MaxArray is the most elements in any one array of a body.
	MaxArray int
	// MaxRecords is the most JSONL records (non-blank lines) in a request's
	// items or traces text.
	MaxRecords int
	// ComputeTimeout is the most time Call computes for one request (the
	// context it gets may end sooner: a client that went away); past it
	// the work stops and the reply is 503 compute-timeout.
	ComputeTimeout time.Duration
}

// DefaultLimits are generous for a playground and still bounded. The
// bounds of the work itself (top-k, responses, tokens) are constants:
// MaxTopK and the others in limits.go.
var DefaultLimits = Limits{MaxDepth: 64, MaxArray: 100_000, MaxRecords: 10_000, ComputeTimeout: DefaultComputeTimeout}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxArray <= 0 {
		l.MaxArray = DefaultLimits.MaxArray
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultLimits.MaxRecords
	}
	if l.ComputeTimeout <= 0 {
		l.ComputeTimeout = DefaultLimits.ComputeTimeout
	}
	return l
}

// Host is what a host lends the front door: the optional grader for the
// llm judge and the optional scorer for the playground's demo log-probs.
type Host struct {
	Limits Limits
	// Grader answers the llm judge's questions; nil means the llm judge is
	// unavailable (a diagnostic says so).
	Grader lm.Chatter
	// Scorer scores the playground's responses when no traces are given
	// (the demo model in the browser); nil means traces must be given.
	Scorer lm.Scorer
	// Cache, when not nil, memoizes across playground calls what an edit
	// usually leaves unchanged (PlaygroundCache): the Scorer's recent
	// traces, so a call whose contexts and responses did not change (a
	// loss setting, a label or the judge changed) scores nothing again;
	// each scored side; the token details; the parsed rubric and config.
	Cache *PlaygroundCache
}

// Reply is a method's outcome: an HTTP-like status (200, 400 for bad
// input, 404 for an unknown method, 500 for a bug) and the JSON body.
type Reply struct {
	Status int
	Body   []byte
}

// ErrorBody is the body of every non-200 reply.
type ErrorBody struct {
	Diagnostics   diag.List `json:"diagnostics"`
	Errors        int       `json:"errors"`
	EngineVersion string    `json:"engine_version"`
}

// VersionResponse answers the version method.
type VersionResponse struct {
	EngineVersion string   `json:"engine_version"`
	Methods       []string `json:"methods"`
}

// Call runs method on the JSON request body and returns the JSON reply.
// It never panics: a panic inside the core becomes a 500 whose body says
// only that an internal error happened (the stack goes nowhere). The work
// stops when ctx ends (the client went away) or after
// h.Limits.ComputeTimeout; the reply is then 503, never a result that
// may have been cut short.
func Call(ctx context.Context, h Host, method string, body []byte) (r Reply) {
	defer func() {
		if p := recover(); p != nil {
			// No stack or panic value leaves: they may hold inputs or paths.
			r = errorReply(500, diag.List{diag.Errorf(CodeInternal, "", "internal error in %s; please report it with the request that caused it", method)})
		}
	}()
	lim := h.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, lim.ComputeTimeout)
	defer cancel()
	defer func() {
		if ctx.Err() != nil && r.Status == 200 && method != MethodVersion {
			r = stoppedReply(ctx, lim)
		}
	}()
	if method != MethodVersion {
		if dl := checkShape(body, lim); dl != nil {
			return errorReply(400, dl)
		}
	}
	switch method {
	case MethodVersion:
		return okReply(VersionResponse{EngineVersion: EngineVersion, Methods: Methods()})
	case MethodValidate:
		var req ValidateRequest
		if dl := decodeRequest(body, &req); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkRecords(lim, "$.content", req.Content); dl != nil && req.Kind != "rubric" {
			return errorReply(400, dl)
		}
		return okReply(Validate(req))
	case MethodEvaluate:
		var req EvaluateRequest
		if dl := decodeRequest(body, &req); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkRecords(lim, "$.items", req.Items); dl != nil {
			return errorReply(400, dl)
		}
		if req.Config.Judge == "llm" {
			if h.Grader == nil {
				return errorReply(400, diag.List{diag.Errorf(CodeLLMUnavailable, "$.config.judge", "the llm judge is not configured on this host (it needs a grader URL and key set by the operator)")})
			}
			j, err := judge.NewLLM(h.Grader, judge.PerCriterion)
			if err != nil {
				return errorReply(400, diag.List{diag.Errorf(CodeLLMUnavailable, "$.config.judge", "%v", err)})
			}
			req.Config.LLM = j
		}
		return okReply(Evaluate(ctx, req))
	case MethodLoss:
		var req LossRequest
		if dl := decodeRequest(body, &req); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkRecords(lim, "$.traces", req.Traces); dl != nil {
			return errorReply(400, dl)
		}
		return okReply(Loss(ctx, req))
	case MethodContexts:
		var req ContextsRequest
		if dl := decodeRequest(body, &req); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkRecords(lim, "$.items", req.Items); dl != nil {
			return errorReply(400, dl)
		}
		return okReply(Contexts(ctx, req))
	case MethodPlayground:
		var req PlaygroundRequest
		if dl := decodeRequest(body, &req); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkRecords(lim, "$.traces", req.Traces); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkPlayground(&req); dl != nil {
			return errorReply(400, dl)
		}
		resp := playground(ctx, req, h.Grader, h.Scorer, h.Cache)
		if dl := overLimit(resp.Diagnostics); dl != nil {
			return errorReply(400, dl)
		}
		return okReply(resp)
	case MethodExport:
		var req ExportRequest
		if dl := decodeRequest(body, &req); dl != nil {
			return errorReply(400, dl)
		}
		if dl := checkRecords(lim, "$.items", req.Items); dl != nil {
			return errorReply(400, dl)
		}
		return okReply(Export(ctx, req))
	}
	return errorReply(404, diag.List{diag.Errorf(CodeUnknownMethod, "", "unknown method %q %s", method, diag.DidYouMean(method, Methods()))})
}

// Methods lists the methods Call answers.
func Methods() []string {
	return []string{MethodVersion, MethodValidate, MethodEvaluate, MethodLoss, MethodContexts, MethodPlayground, MethodExport}
}

func okReply(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errorReply(500, diag.List{diag.Errorf(CodeInternal, "", "internal error: the response could not be encoded")})
	}
	return Reply{Status: 200, Body: b}
}

func errorReply(status int, dl diag.List) Reply {
	b, _ := json.Marshal(ErrorBody{Diagnostics: dl, Errors: dl.Count(diag.Error), EngineVersion: EngineVersion})
	return Reply{Status: status, Body: b}
}

// decodeRequest reads body into v strictly (unknown keys are errors) and
// explains what is wrong with the JSON path of the problem.
func decodeRequest(body []byte, v any) diag.List {
	if len(bytes.TrimSpace(body)) == 0 {
		return diag.List{diag.Errorf(CodeBadRequest, "$", "the request body is empty: send a JSON object")}
	}
	if err := json.UnmarshalStrict(body, v); err != nil {
		return diag.List{requestError(body, v, err)}
	}
	return nil
}

// requestError words a decoding error of a request body with the JSON
// path, line and column of the problem. It decodes again with
// encoding/json, so the wording is the same in every build whatever the
// codec of this one (see core/internal/jsonx).
func requestError(body []byte, v any, err error) diag.Diagnostic {
	if e := stdStrict(body, v); e != nil {
		err = e
	}
	path, off := "$", int64(-1)
	msg := strings.TrimPrefix(err.Error(), "json: ")
	switch e := err.(type) {
	case *stdjson.UnmarshalTypeError:
		if e.Field != "" {
			path = "$." + e.Field
		}
		msg = fmt.Sprintf("expected %s, got JSON %s", jsonTypeName(e.Type.Kind().String()), e.Value)
		off = e.Offset
	case *stdjson.SyntaxError:
		// The offset counts the offending byte: point at it, not past it.
		msg, off = "invalid JSON: "+e.Error(), max(e.Offset-1, 0)
	default:
		if errors.Is(err, io.ErrUnexpectedEOF) {
			msg, off = "invalid JSON: unexpected end of input", int64(len(body))
		}
	}
	if strings.HasPrefix(msg, "unknown field ") {
		msg = msg + " (see the method's request in docs/api.md)"
	}
	d := diag.Errorf(CodeBadRequest, path, "%s", msg)
	d.Line, d.Column = 1, 1
	if off >= 0 {
		d.Line, d.Column = lineCol(body, off)
	}
	return d
}

func jsonTypeName(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return "a number"
}

// stdStrict decodes body into a fresh value of v's type with
// encoding/json, unknown keys being errors, and returns its error.
func stdStrict(body []byte, v any) error {
	fresh := reflect.New(reflect.TypeOf(v).Elem()).Interface()
	dec := stdjson.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(fresh); err != nil {
		return err
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return fmt.Errorf("data after the request object")
	}
	return nil
}

// lineCol converts a byte offset to a 1-based line and column (in bytes).
func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, start := 1, 0
	for i := 0; i < int(off); i++ {
		if b[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, int(off) - start + 1
}

// checkShape refuses bodies nested deeper than lim.MaxDepth or with an
// array longer than lim.MaxArray, before any decoding allocates for
// them. It scans the bytes once; strings are skipped with their escapes.
func checkShape(body []byte, lim Limits) diag.List {
	type frame struct {
		array bool
		n     int
	}
	var stack []frame
	inStr, esc := false, false
	for i, c := range body {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			if n := len(stack); n > 0 && stack[n-1].array && stack[n-1].n == 0 {
				stack[n-1].n = 1
			}
		case '[', '{':
			if n := len(stack); n > 0 && stack[n-1].array && stack[n-1].n == 0 {
				stack[n-1].n = 1
			}
			stack = append(stack, frame{array: c == '['})
			if len(stack) > lim.MaxDepth {
				line, col := lineCol(body, int64(i))
				d := diag.Errorf(CodeTooDeep, "", "the request nests deeper than %d levels", lim.MaxDepth)
				d.Line, d.Column = line, col
				return diag.List{d}
			}
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].array {
				stack[n-1].n++
				if stack[n-1].n >= lim.MaxArray {
					line, col := lineCol(body, int64(i))
					d := diag.Errorf(CodeTooLong, "", "an array in the request has more than %d elements", lim.MaxArray)
					d.Line, d.Column = line, col
					return diag.List{d}
				}
			}
		default:
			if n := len(stack); n > 0 && stack[n-1].array && stack[n-1].n == 0 && c > ' ' {
				stack[n-1].n = 1
			}
		}
	}
	return nil
}

// checkRecords refuses a JSONL text with more than lim.MaxRecords records.
func checkRecords(lim Limits, path, text string) diag.List {
	n := 0
	eachLine(text, func(string, int) { n++ })
	if n > lim.MaxRecords {
		return diag.List{diag.Errorf(CodeTooLong, path, "%s records; at most %s per request", strconv.Itoa(n), strconv.Itoa(lim.MaxRecords))}
	}
	return nil
}
