package api

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// LogprobsConfig says how to turn items into traces.
type LogprobsConfig struct {
	Prompt prompt.Options `json:"prompt"`
	// TopK is the number of alternatives asked per position and side; 0
	// means 20 (RCSD's teacher top-k).
	TopK int `json:"top_k,omitempty"`
	// Attribution also scores the completion under a teacher conditioned
	// on each criterion alone (the single-criterion variant), for
	// per-criterion attribution log T_c(y_t) − log S(y_t).
	Attribution bool `json:"attribution,omitempty"`
	// ServerTemplate tokenizes the chat messages with the server's own
	// chat template (lm.ChatTokenizer, e.g. vLLM's /tokenize), instead of
	// rcsd's rendering of Prompt.Chat.
	ServerTemplate bool `json:"server_template,omitempty"`
}

// DefaultTopK is RCSD's teacher top-k.
const DefaultTopK = 20

// Diagnostic codes of trace production.
const (
	CodeScorer       = "logprobs-scorer"         // the backend failed (after its retries)
	CodeEmptyReponse = "logprobs-empty-response" // a response with no tokens
	CodeNoChatServer = "logprobs-no-server-template"
)

// Traces scores every response of it under the student's and the
// teacher's contexts with s and returns one trace per response (id
// "<item id>#<response index>"). A scorer that knows whole distributions
// (lm.DenseScorer: the demo model) gets every side's top list widened to
// the union of all sides' top-k at that position, so every top-k support
// is exact; a served backend returns its own top-k per side, and a
// support needing more is reported by `rcsd loss`, never guessed.
func (e *Evaluator) Traces(ctx context.Context, s lm.Scorer, it *eval.Item, cfg LogprobsConfig) ([]*trace.Trace, diag.List) {
	k := cfg.TopK
	if k <= 0 {
		k = DefaultTopK
	}
	var dl diag.List
	fail := func(r int, format string, args ...any) {
		dl = append(dl, diag.Diagnostic{Severity: diag.Error, Code: CodeScorer, Line: it.Line, Record: it.ID,
			Path: "$.responses[" + strconv.Itoa(r) + "]", Message: fmt.Sprintf(format, args...)})
	}
	pairs := e.Contexts(ctx, it, cfg.Prompt)
	var crit []critContext
	if cfg.Attribution && it.Rubric != nil {
		for _, c := range it.Rubric.Criteria {
			o := cfg.Prompt
			o.Variant, o.Criterion = prompt.SingleCriterion, c.ID
			_, t, cdl := prompt.Render(it, nil, o)
			if cdl.HasErrors() {
				dl = append(dl, recordDiags(cdl, it)...)
				return nil, dl
			}
			crit = append(crit, critContext{id: c.ID, r: t})
		}
	}
	var out []*trace.Trace
	for r, resp := range it.Responses {
		pair := pairs[0]
		if len(pairs) > 1 {
			pair = pairs[r]
		}
		if pair.Diagnostics.HasErrors() {
			dl = append(dl, pair.Diagnostics...)
			continue
		}
		if r == 0 || len(pairs) > 1 {
			dl = append(dl, pair.Diagnostics...) // warnings, once per distinct pair
		}
		cont, err := s.Tokenize(ctx, resp)
		if err != nil {
			fail(r, "tokenizing the response: %v", err)
			continue
		}
		if len(cont) == 0 {
			dl = append(dl, diag.Diagnostic{Severity: diag.Error, Code: CodeEmptyReponse, Line: it.Line, Record: it.ID,
				Path: "$.responses[" + strconv.Itoa(r) + "]", Message: "the response has no tokens to score"})
			continue
		}
		contexts := []prompt.Rendered{pair.Student, pair.Teacher}
		for _, c := range crit {
			contexts = append(contexts, c.r)
		}
		ids := make([][]int, len(contexts))
		ok := true
		for i, c := range contexts {
			ids[i], err = tokenizeContext(ctx, s, c, cfg.ServerTemplate)
			if err != nil {
				fail(r, "tokenizing the %s context: %v", sideName(i, crit), err)
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		pos, err := scoreSides(ctx, s, ids, cont, k)
		if err != nil {
			fail(r, "scoring: %v", err)
			continue
		}
		tr := &trace.Trace{ID: it.ID + "#" + strconv.Itoa(r), Student: pos[0], Teacher: pos[1], Line: it.Line}
		if len(crit) > 0 {
			tr.Criteria = map[string][]lm.Position{}
			for i, c := range crit {
				tr.Criteria[c.id] = pos[2+i]
			}
		}
		tr.Meta, _ = json.Marshal(map[string]any{"item": it.ID, "response_index": r, "variant": pair.Teacher.Variant,
			"chat": pair.Teacher.Chat, "thinking": pair.Teacher.Thinking, "top_k": k})
		out = append(out, tr)
	}
	return out, dl
}

type critContext struct {
	id string
	r  prompt.Rendered
}

func sideName(i int, crit []critContext) string {
	switch i {
	case 0:
		return "student"
	case 1:
		return "teacher"
	}
	return "criterion " + crit[i-2].id + " teacher"
}

// tokenizeContext turns a rendered context into ids: rcsd's rendering
// tokenized as text, or the messages through the server's chat template
// plus the context's suffix.
func tokenizeContext(ctx context.Context, s lm.Scorer, r prompt.Rendered, server bool) ([]int, error) {
	if !server {
		return s.Tokenize(ctx, r.Text)
	}
	ct, ok := s.(lm.ChatTokenizer)
	if !ok {
		return nil, fmt.Errorf("this backend has no server-side chat template (%s); render with --chat instead", CodeNoChatServer)
	}
	msgs := make([]lm.Message, len(r.Messages))
	for i, m := range r.Messages {
		msgs[i] = lm.Message{Role: m.Role, Content: m.Content}
	}
	ids, err := ct.TokenizeChat(ctx, msgs, true)
	if err != nil || r.Suffix == "" {
		return ids, err
	}
	suf, err := s.Tokenize(ctx, r.Suffix)
	return append(ids, suf...), err
}

// scoreSides scores cont after each context. For a DenseScorer every
// side's list at position t holds the same ids: the union of each side's
// k most probable tokens (and the sampled one).
func scoreSides(ctx context.Context, s lm.Scorer, ids [][]int, cont []int, k int) ([][]lm.Position, error) {
	out := make([][]lm.Position, len(ids))
	if sp, ok := s.(lm.SparseScorer); ok {
		return scoreSparse(ctx, sp, ids, cont, k)
	}
	d, dense := s.(lm.DenseScorer)
	if !dense {
		for i, c := range ids {
			p, err := s.Score(ctx, c, cont, k)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	}
	// Pass 1: each side's top-k ids per position, merged.
	union := make([][]int, len(cont))
	for _, c := range ids {
		err := d.Dense(ctx, c, cont, func(t int, lp []float64) error {
			union[t] = mergeIDs(union[t], topIDs(lp, k))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Pass 2: every side's log-probs at the merged ids.
	for i, c := range ids {
		pos := make([]lm.Position, len(cont))
		err := d.Dense(ctx, c, cont, func(t int, lp []float64) error {
			alts := make([]lm.Alt, len(union[t]))
			for j, id := range union[t] {
				alts[j] = lm.Alt{TokenID: id, LogProb: lp[id]}
			}
			sort.SliceStable(alts, func(a, b int) bool { return alts[a].LogProb > alts[b].LogProb })
			pos[t] = lm.Position{TokenID: cont[t], LogProb: lp[cont[t]], Top: alts}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out[i] = pos
	}
	// Token texts, from the scorer's own top list of the student side.
	named, err := s.Score(ctx, ids[0], cont, 0)
	if err == nil {
		for i := range out {
			for t := range out[i] {
				out[i][t].Token = named[t].Token
			}
		}
	}
	return out, nil
}

// scoreSparse is scoreSides for a SparseScorer: each side's own top k
// (Score, which also names the tokens), merged per position, then every
// side's log-probs at the merged ids. Same lists, order and bits as the
// dense path (TestSparseMatchesDense), at O(k) per position instead of
// O(vocabulary).
func scoreSparse(ctx context.Context, s lm.SparseScorer, ids [][]int, cont []int, k int) ([][]lm.Position, error) {
	union := make([][]int, len(cont))
	var named []lm.Position
	for i, c := range ids {
		pos, err := s.Score(ctx, c, cont, k)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			named = pos
		}
		for t, p := range pos {
			top := make([]int, len(p.Top))
			for j, a := range p.Top {
				top[j] = a.TokenID
			}
			union[t] = mergeIDs(union[t], top)
		}
	}
	asked := make([][]int, len(cont))
	for t := range cont {
		asked[t] = append(append(make([]int, 0, len(union[t])+1), union[t]...), cont[t])
	}
	out := make([][]lm.Position, len(ids))
	for i, c := range ids {
		lps, err := s.LogProbsAt(ctx, c, cont, asked)
		if err != nil {
			return nil, err
		}
		pos := make([]lm.Position, len(cont))
		for t, lp := range lps {
			alts := make([]lm.Alt, len(union[t]))
			for j, id := range union[t] {
				alts[j] = lm.Alt{TokenID: id, LogProb: lp[j]}
			}
			sort.SliceStable(alts, func(a, b int) bool { return alts[a].LogProb > alts[b].LogProb })
			pos[t] = lm.Position{TokenID: cont[t], Token: named[t].Token, LogProb: lp[len(lp)-1], Top: alts}
		}
		out[i] = pos
	}
	return out, nil
}

// topIDs returns the ids of the k largest values of lp, ties to the lower
// id, in O(V log k).
func topIDs(lp []float64, k int) []int {
	k = min(k, len(lp))
	top := make([]int, 0, k+1)
	for id, v := range lp {
		if len(top) == k && !(v > lp[top[k-1]]) {
			continue
		}
		j := sort.Search(len(top), func(i int) bool { return lp[top[i]] < v })
		top = append(top, 0)
		copy(top[j+1:], top[j:])
		top[j] = id
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// mergeIDs adds the ids of b missing from a.
func mergeIDs(a, b []int) []int {
	for _, id := range b {
		found := false
		for _, x := range a {
			if x == id {
				found = true
				break
			}
		}
		if !found {
			a = append(a, id)
		}
	}
	return a
}
