package api

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"

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
	// sides, when set, keeps scored sides across calls (the playground).
	sides *sideCache
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
	if k == 0 {
		k = DefaultTopK
	}
	var dl diag.List
	itemErr := func(code, path, format string, args ...any) diag.List {
		return append(dl, diag.Diagnostic{Severity: diag.Error, Code: code, Line: it.Line, Record: it.ID,
			Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if d := CheckTopK("$.top_k", k); d != nil {
		return nil, append(dl, *d)
	}
	if v, ok := s.(vocabSizer); ok {
		k = min(k, v.VocabSize()) // no more tokens to list
	}
	if n := len(it.Responses); n > MaxScoredResponses {
		return nil, itemErr(CodeOverLimit, "$.responses", "%d responses; at most %d of one item are scored", n, MaxScoredResponses)
	}
	fail := func(r int, format string, args ...any) {
		dl = itemErr(CodeScorer, "$.responses["+strconv.Itoa(r)+"]", format, args...)
	}
	pairs := e.Contexts(ctx, it, cfg.Prompt)
	var crit []critContext
	if cfg.Attribution && it.Rubric != nil {
		if n := len(it.Rubric.Criteria); n > MaxAttributionCriteria {
			return nil, itemErr(CodeOverLimit, "$.rubric", "%d criteria; attribution scores at most %d one at a time", n, MaxAttributionCriteria)
		}
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
	// Each response's tokens first, so the whole item's work is known
	// (and refused past its bounds) before any of it is scored.
	sides := 2 + len(crit)
	conts := make([][]int, len(it.Responses))
	positions := 0
	for r, resp := range it.Responses {
		cont, err := s.Tokenize(ctx, resp)
		if err != nil {
			fail(r, "tokenizing the response: %v", err)
			continue
		}
		if len(cont) == 0 {
			dl = itemErr(CodeEmptyReponse, "$.responses["+strconv.Itoa(r)+"]", "the response has no tokens to score")
			continue
		}
		conts[r] = cont
		positions += len(cont)
	}
	if n := positions * sides; n > MaxScoredTokens {
		return nil, itemErr(CodeOverLimit, "$.responses", "scoring needs %s positions (%s response tokens × %d contexts); at most %s per item: send fewer or shorter responses%s",
			itoa(n), itoa(positions), sides, itoa(MaxScoredTokens), attributionHint(crit))
	}
	budget := &scoreBudget{limit: MaxScoredAlternatives}
	if n := positions * sides * k; n > budget.limit {
		return nil, itemErr(CodeOverLimit, "$.responses", "scoring needs %s alternatives (%s response tokens × %d contexts × top-k %d); at most %s per item: ask for a smaller top_k, or send fewer or shorter responses%s",
			itoa(n), itoa(positions), sides, k, itoa(budget.limit), attributionHint(crit))
	}
	cfg.sides.grow(2 * sides * len(it.Responses))
	var out []*trace.Trace
	for r := range it.Responses {
		if err := ctx.Err(); err != nil {
			return out, itemErr(CodeScorer, "$.responses["+strconv.Itoa(r)+"]", "scoring stopped: %v", err)
		}
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
		cont := conts[r]
		if cont == nil {
			continue // reported above
		}
		contexts := []prompt.Rendered{pair.Student, pair.Teacher}
		for _, c := range crit {
			contexts = append(contexts, c.r)
		}
		ids := make([][]int, len(contexts))
		ok := true
		for i, c := range contexts {
			var err error
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
		pos, err := scoreSidesCached(ctx, s, ids, cont, k, cfg.sides, budget)
		if errors.Is(err, errOverBudget) {
			return nil, itemErr(CodeOverLimit, "$.responses", "the traces would hold more than %s alternatives (response tokens × %d contexts × the union of their top-%d lists); ask for a smaller top_k, or send fewer or shorter responses%s",
				itoa(budget.limit), sides, k, attributionHint(crit))
		}
		if err != nil {
			fail(r, "scoring: %v", err)
			continue
		}
		if v, ok := s.(lm.Vocabulary); ok {
			nameAlts(pos, v)
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

// attributionHint is the advice that fits when attribution multiplies
// the work.
func attributionHint(crit []critContext) string {
	if len(crit) == 0 {
		return ""
	}
	return ", or turn attribution off (each of the " + strconv.Itoa(len(crit)) + " criteria is one more context)"
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
	return scoreSidesCached(ctx, s, ids, cont, k, nil, nil)
}

// scoreSidesCached is scoreSides with a sparse scorer's sides cached and
// the alternatives of the merged lists charged to budget (errOverBudget
// before they are allocated when they do not fit).
func scoreSidesCached(ctx context.Context, s lm.Scorer, ids [][]int, cont []int, k int, sides *sideCache, budget *scoreBudget) ([][]lm.Position, error) {
	out := make([][]lm.Position, len(ids))
	if sp, ok := s.(lm.SparseScorer); ok {
		return scoreSparse(ctx, sp, ids, cont, k, sides, budget)
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
	if !budget.charge(len(ids) * unionSize(union)) {
		return nil, errOverBudget
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
// O(vocabulary). With a sideCache, a side scored before with the same
// context ids (the student after a rubric edit) is not scored again: its
// top list is reused, and its log-probs too when they were asked at
// every id needed now (each value depends only on its position and id).
func scoreSparse(ctx context.Context, s lm.SparseScorer, ids [][]int, cont []int, k int, sides *sideCache, budget *scoreBudget) ([][]lm.Position, error) {
	union := make([][]int, len(cont))
	var named []lm.Position
	for i, c := range ids {
		pos, err := sides.score(ctx, s, c, cont, k)
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
	if !budget.charge(len(ids) * unionSize(union)) {
		return nil, errOverBudget
	}
	asked := make([][]int, len(cont))
	for t := range cont {
		asked[t] = append(append(make([]int, 0, len(union[t])+1), union[t]...), cont[t])
	}
	out := make([][]lm.Position, len(ids))
	for i, c := range ids {
		lps, err := sides.logProbsAt(ctx, s, c, cont, asked)
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

// unionSize is the number of ids in the merged lists of every position.
func unionSize(union [][]int) int {
	n := 0
	for _, u := range union {
		n += len(u)
	}
	return n
}

// nameAlts fills the text of every alternative that has none from the
// scorer's vocabulary (a served backend names its own; the demo model's
// lists carry ids only), so traces show tokens, not ids.
func nameAlts(pos [][]lm.Position, v lm.Vocabulary) {
	for _, side := range pos {
		for t := range side {
			for j := range side[t].Top {
				if a := &side[t].Top[j]; a.Token == "" {
					a.Token = v.TokenText(a.TokenID)
				}
			}
		}
	}
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

// sideCache keeps scored sides of a SparseScorer across calls, keyed by
// the context's and the continuation's token ids: each side's top-k
// lists (Score) and its log-probs at the ids last asked (LogProbsAt). A
// nil *sideCache caches nothing. Safe for concurrent use.
type sideCache struct {
	mu   sync.Mutex
	tops lru[[]lm.Position]
	lps  lru[*sideLogProbs]
}

type sideLogProbs struct {
	asked [][]int
	lps   [][]float64
}

func newSideCache(n int) *sideCache {
	return &sideCache{tops: newLRU[[]lm.Position](n), lps: newLRU[*sideLogProbs](n)}
}

// grow makes room for at least n sides (up to 256), so one call's sides
// (22 a response with attribution on a 20-criterion rubric) do not evict
// each other.
func (c *sideCache) grow(n int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n = min(n, 256)
	c.tops.max, c.lps.max = max(c.tops.max, n), max(c.lps.max, n)
}

func sideKey(k int, context, cont []int) string {
	b := make([]byte, 0, 4*(len(context)+len(cont))+16)
	b = binary.AppendVarint(b, int64(k))
	b = binary.AppendVarint(b, int64(len(context)))
	for _, id := range context {
		b = binary.AppendVarint(b, int64(id))
	}
	for _, id := range cont {
		b = binary.AppendVarint(b, int64(id))
	}
	sum := sha256.Sum256(b)
	return string(sum[:])
}

// score is s.Score(ctx, context, cont, k), memoized. The result is
// shared: callers only read it.
func (c *sideCache) score(ctx context.Context, s lm.SparseScorer, context, cont []int, k int) ([]lm.Position, error) {
	if c == nil {
		return s.Score(ctx, context, cont, k)
	}
	key := sideKey(k, context, cont)
	c.mu.Lock()
	pos, ok := c.tops.get(key)
	c.mu.Unlock()
	if ok {
		return pos, nil
	}
	pos, err := s.Score(ctx, context, cont, k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.tops.put(key, pos)
	c.mu.Unlock()
	return pos, nil
}

// logProbsAt is s.LogProbsAt(ctx, context, cont, asked), answered from
// the side's last log-probs when they hold every id asked now.
func (c *sideCache) logProbsAt(ctx context.Context, s lm.SparseScorer, context, cont []int, asked [][]int) ([][]float64, error) {
	if c == nil {
		return s.LogProbsAt(ctx, context, cont, asked)
	}
	key := sideKey(-1, context, cont)
	c.mu.Lock()
	e, ok := c.lps.get(key)
	c.mu.Unlock()
	if ok {
		if out, ok := e.lookup(asked); ok {
			return out, nil
		}
	}
	lps, err := s.LogProbsAt(ctx, context, cont, asked)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.lps.put(key, &sideLogProbs{asked: asked, lps: lps})
	c.mu.Unlock()
	return lps, nil
}

// lookup returns the log-probs at asked when e holds every one.
func (e *sideLogProbs) lookup(asked [][]int) ([][]float64, bool) {
	if len(asked) != len(e.asked) {
		return nil, false
	}
	n := 0
	for _, a := range asked {
		n += len(a)
	}
	flat := make([]float64, n)
	out := make([][]float64, len(asked))
	for t, a := range asked {
		have, lps := e.asked[t], e.lps[t]
		row := flat[:len(a):len(a)]
		flat = flat[len(a):]
		for j, id := range a {
			if j < len(have) && have[j] == id {
				row[j] = lps[j]
				continue
			}
			k := slices.Index(have, id)
			if k < 0 {
				return nil, false
			}
			row[j] = lps[k]
		}
		out[t] = row
	}
	return out, true
}
