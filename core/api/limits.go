package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// Bounds of the work one item or request may ask for: every size-like
// input that is multiplied into an allocation or a loop. They are the same
// in every host: `rcsd logprobs` refuses a flag past them with a usage
// error and an item past them with a located error; Call (`rcsd serve`,
// the Worker, the WebAssembly bridge) answers 400 with the JSON path.
// docs/api.md#limits has the table and the memory they bound.
const (
	// MaxTopK is the most alternatives per position and side a scorer may
	// be asked for (top_k, --topk). A scorer that knows its vocabulary
	// (the demo model: 3392 tokens) is asked for at most its vocabulary:
	// a larger k is clamped to it, since there are no more tokens to list.
	MaxTopK = 4096
	// MaxScoredResponses is the most responses of one item a scorer scores.
	MaxScoredResponses = 64
	// MaxAttributionCriteria is the most criteria attribution scores one
	// at a time (each is one more teacher context per response).
	MaxAttributionCriteria = 64
	// MaxScoredTokens is the most positions one item scores, summed over
	// its responses and their contexts (2 a response, plus 1 per criterion
	// with attribution).
	MaxScoredTokens = 1 << 18
	// MaxScoredAlternatives is the most alternatives one item's scoring
	// holds at once: positions × contexts × top-k while each side is
	// scored, then positions × contexts × the union of their top-k lists
	// in the traces. At about 100 bytes each (the traces, their token
	// details and the reply), it bounds one item's memory to a few
	// hundred MB.
	MaxScoredAlternatives = 1 << 21
	// DefaultComputeTimeout is Limits.ComputeTimeout's default.
	DefaultComputeTimeout = 30 * time.Second
)

// Diagnostic codes of the bounds.
const (
	// CodeOverLimit: a size-like input past its bound (top_k, responses,
	// criteria with attribution, tokens, alternatives).
	CodeOverLimit = "over-limit"
	// CodeComputeTimeout: the request was still computing at the host's
	// compute deadline (503).
	CodeComputeTimeout = "compute-timeout"
	// CodeCancelled: the caller went away before the reply (nobody reads
	// it; hosts log it as 503).
	CodeCancelled = "cancelled"
)

// CheckTopK says what is wrong with a top-k (nil when it is in
// [0, MaxTopK]; 0 means DefaultTopK), at path.
func CheckTopK(path string, k int) *diag.Diagnostic {
	return checkCount(path, "top-k", k, MaxTopK)
}

func checkCount(path, what string, n, limit int) *diag.Diagnostic {
	if n >= 0 && n <= limit {
		return nil
	}
	d := diag.Errorf(CodeOverLimit, path, "%s %d is not in [0, %d]", what, n, limit)
	if n > limit {
		d.Message += " (alternatives per position and context; the most any backend lists)"
	}
	return &d
}

// checkPlayground refuses the request fields of a playground call past
// their bounds.
func checkPlayground(req *PlaygroundRequest) diag.List {
	var dl diag.List
	if d := CheckTopK("$.top_k", req.TopK); d != nil {
		dl = append(dl, *d)
	}
	if d := checkCount("$.alternatives", "alternatives", req.Alternatives, MaxTopK); d != nil {
		dl = append(dl, *d)
	}
	return dl
}

// overLimit returns the over-limit diagnostics of dl.
func overLimit(dl diag.List) diag.List {
	var out diag.List
	for _, d := range dl {
		if d.Code == CodeOverLimit {
			out = append(out, d)
		}
	}
	return out
}

// vocabSizer is a scorer that knows its vocabulary (the demo model).
type vocabSizer interface{ VocabSize() int }

// scoreBudget counts what one item's scoring allocates against
// MaxScoredAlternatives.
type scoreBudget struct{ used, limit int }

// charge adds n alternatives and reports whether they fit.
func (b *scoreBudget) charge(n int) bool {
	if b == nil {
		return true
	}
	if n > b.limit-b.used {
		return false
	}
	b.used += n
	return true
}

var errOverBudget = errors.New("over the alternatives budget")

// stoppedReply is Call's reply when ctx ended before the method did: its
// result may be cut short, so none is given.
func stoppedReply(ctx context.Context, lim Limits) Reply {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errorReply(503, diag.List{diag.Errorf(CodeComputeTimeout, "",
			"the request was still computing after %s, this host's compute limit per request; ask for less work (a smaller top_k, fewer or shorter responses, no attribution) or run it with the CLI", lim.ComputeTimeout)})
	}
	return errorReply(503, diag.List{diag.Errorf(CodeCancelled, "", "the request was cancelled before it finished")})
}

// itoa formats n with thousands separators for messages.
func itoa(n int) string {
	s := strconv.Itoa(n)
	if n < 10000 {
		return s
	}
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return string(b)
}
