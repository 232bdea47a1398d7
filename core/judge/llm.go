package judge

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// LLMMode says how the llm judge puts a rubric to its grader.
type LLMMode string

const (
	// PerCriterion asks one question per criterion, as HealthBench
	// (simple-evals) does: the grader sees the conversation and one
	// "[points] criterion" item and answers
	// {"explanation": …, "criteria_met": true|false}. It costs one request
	// per criterion and gives the grader nothing to trade off between
	// criteria, so it is the mode whose numbers compare with HealthBench's.
	PerCriterion LLMMode = "per-criterion"
	// PerResponse asks one question per response listing every criterion
	// as "id: [points] criterion" and expects a JSON list of
	// {"id", "criteria_met", "explanation"}, one per criterion in order.
	// Cheaper (one request, the conversation sent once) but not how
	// HealthBench grades.
	PerResponse LLMMode = "per-response"
)

// ParseLLMMode validates a mode name; the error lists the valid ones.
func ParseLLMMode(s string) (LLMMode, error) {
	switch m := LLMMode(s); m {
	case PerCriterion, PerResponse:
		return m, nil
	}
	return "", fmt.Errorf("unknown llm judge mode %q: want %s or %s", s, PerCriterion, PerResponse)
}

// The grader prompts. Each is one user message built by replacing the
// <<…>> placeholders of an embedded template, in one pass, so text inside
// a conversation that happens to look like a placeholder is left alone.
// The section headers ("# Conversation", "# Rubric item(s)",
// "# Instructions") are a contract with remotetest.ParsePrompt, which
// reads prompts back to grade them in tests.
var (
	//go:embed prompts/per-criterion.tmpl
	perCriterionTemplate string
	//go:embed prompts/per-response.tmpl
	perResponseTemplate string
)

// Cache stores grader replies so that a rerun (say, after an interrupted
// evaluation) asks nothing twice. Keys come from CacheKey. The judge only
// Puts replies it could read completely, so a malformed reply is asked
// again next time instead of failing forever.
//
// Implementations must be safe for concurrent use. Put reports no error:
// a cache that cannot store an entry costs a repeated request, never a
// wrong verdict, so write failures are the implementation's to surface
// (the rcsd CLI returns the first one when it closes its cache file).
type Cache interface {
	Get(key string) (reply string, ok bool)
	Put(key, reply string)
}

// MemoryCache is a Cache held in memory, for hosts without a disk (the
// browser build) and for tests. The zero value is ready to use.
type MemoryCache struct{ m sync.Map }

// Get returns the reply stored under key.
func (c *MemoryCache) Get(key string) (string, bool) {
	v, ok := c.m.Load(key)
	if !ok {
		return "", false
	}
	return v.(string), true
}

// Put stores reply under key.
func (c *MemoryCache) Put(key, reply string) { c.m.Store(key, reply) }

// CacheKey identifies one grader request: the hex SHA-256 of the model,
// the mode and every message (role and content), each length-prefixed so
// that no two different requests can hash the same input by moving text
// between fields. The prompt templates are inside the messages, so
// changing a template changes every key.
func CacheKey(model string, mode LLMMode, msgs []lm.Message) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	put := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	put(model)
	put(string(mode))
	for _, m := range msgs {
		put(m.Role)
		put(m.Content)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// LLM is the judge backed by an OpenAI-compatible chat-completions
// grader (Client). It never fails as a whole: a request that fails after
// the client's retries, or a reply it cannot read, leaves the affected
// criteria with Met == nil and an Error saying why.
//
// The grader sees the conversation (Input.Prompt, then "assistant: " and
// the response, as simple-evals renders it) and the criteria as
// "[points] criterion", points being the criterion weight. It does not see
// the reference answer: HealthBench's grader does not either.
//
// Replies are read strictly. The JSON may sit in a code fence or among
// prose, and anything before a reasoning model's last "</think>" is
// ignored, but the reply must hold exactly one JSON value of the expected
// shape, and "criteria_met" must be a JSON boolean. A string such as
// "true" or "yes" is rejected, not read: a grader that quotes its
// booleans is not following the format, and simple-evals likewise accepts
// only true and false (it asks again otherwise; see Reask).
//
// In PerCriterion mode the criteria of one response are asked
// concurrently; the client's Limiter, shared across the run, bounds how
// many requests are in flight (with a nil Limiter, all criteria of a
// response go at once).
//
// An LLM is safe for concurrent use once its fields are set.
type LLM struct {
	Client lm.Chatter
	Mode   LLMMode
	// Cache, when not nil, is consulted before asking and fed every reply
	// that was read completely.
	Cache Cache
	// Reask is how many more times a question is asked when its reply
	// cannot be read (transport failures are the client's to retry).
	// simple-evals asks until it gets a valid reply; a bound keeps a
	// grader that never complies from stalling the run.
	Reask int
}

// NewLLM returns an llm judge asking client in mode, with no cache and no
// re-asking.
func NewLLM(client lm.Chatter, mode LLMMode) (*LLM, error) {
	if client == nil {
		return nil, errors.New("llm judge: no grader client")
	}
	if _, err := ParseLLMMode(string(mode)); err != nil {
		return nil, err
	}
	return &LLM{Client: client, Mode: mode}, nil
}

// Judge asks the grader about every criterion of in.Rubric.
func (l *LLM) Judge(ctx context.Context, in *Input) []Verdict {
	if in == nil || in.Rubric == nil {
		return nil
	}
	crit := in.Rubric.Criteria
	out := make([]Verdict, len(crit))
	for i := range crit {
		out[i].ID, out[i].Judge = crit[i].ID, KindLLM
	}
	var setup error
	switch {
	case l.Client == nil:
		setup = errors.New("llm judge: no grader client")
	default:
		_, setup = ParseLLMMode(string(l.Mode))
	}
	var asked []int // criteria with text to show the grader
	for i := range crit {
		switch {
		case setup != nil:
			out[i].Error = setup.Error()
		case criterionText(&crit[i]) == "":
			out[i].Error = "criterion has no text to show the grader"
		default:
			asked = append(asked, i)
		}
	}
	if len(asked) == 0 {
		return out
	}
	conv := conversation(in)
	if l.Mode == PerResponse {
		l.judgeResponse(ctx, conv, crit, asked, out)
		return out
	}
	var wg sync.WaitGroup
	for _, i := range asked {
		msgs := userMessage(renderCriterion(conv, &crit[i]))
		wg.Go(func() {
			v := &out[i]
			err := l.ask(ctx, msgs, func(reply string) error {
				met, expl, err := parseCriterionReply(reply)
				if err != nil {
					return err
				}
				v.Met, v.Explanation = Bool(met), expl
				return nil
			})
			if err != nil {
				v.Error = err.Error()
			}
		})
	}
	wg.Wait()
	return out
}

// judgeResponse asks about the criteria at positions asked in one request.
func (l *LLM) judgeResponse(ctx context.Context, conv string, crit []rubric.Criterion, asked []int, out []Verdict) {
	ids := promptIDs(crit, asked)
	msgs := userMessage(renderResponse(conv, crit, asked, ids))
	var last []outcome
	err := l.ask(ctx, msgs, func(reply string) error {
		oc, err := parseVerdictList(reply, ids)
		last = oc // the verdicts come from the last reply read, never a mix
		if err != nil {
			return err
		}
		for _, o := range oc {
			if o.err != "" {
				// Partly readable: keep what was read, but neither
				// cache it nor stop re-asking.
				return errors.New(o.err)
			}
		}
		return nil
	})
	for k, i := range asked {
		v := &out[i]
		switch {
		case last != nil:
			v.Met, v.Explanation, v.Error = last[k].met, last[k].explanation, last[k].err
		case err != nil:
			v.Error = err.Error()
		}
	}
}

// ask gets a reply to msgs, from the cache or the grader, and hands it to
// read until read accepts one, asking the grader at most Reask+1 times.
// It returns read's last error, or the client's. Only an accepted reply
// is cached.
//
// Every reply, cached or fresh, and every error passes through the
// client's redactor (redact.Of: the key of a core/remote or core/grader
// client; Bearer and Authorization values for any client) before it is
// read, cached or quoted, so no explanation, evidence, error or cache
// entry carries the grader's key, whatever the client is and whatever an
// older cache holds.
func (l *LLM) ask(ctx context.Context, msgs []lm.Message, read func(reply string) error) error {
	red := redact.Of(l.Client)
	var key string
	if l.Cache != nil {
		key = CacheKey(l.Client.ModelName(), l.Mode, msgs)
		// A cached reply the reader now rejects (a stricter parser, a
		// hand-edited cache) is asked again and replaced.
		if reply, ok := l.Cache.Get(key); ok && read(red.String(reply)) == nil {
			return nil
		}
	}
	var err error
	for range max(l.Reask, 0) + 1 {
		var reply string
		reply, err = l.Client.Chat(ctx, msgs)
		if err != nil {
			return fmt.Errorf("grader request failed: %w", red.Error(err))
		}
		reply = red.String(reply)
		if err = read(reply); err == nil {
			if l.Cache != nil {
				l.Cache.Put(key, reply)
			}
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return err
}

func userMessage(content string) []lm.Message {
	return []lm.Message{{Role: "user", Content: content}}
}

// criterionText is what the grader is shown of c: its description, or its
// title when the description is empty (as the lexical judge reads it).
func criterionText(c *rubric.Criterion) string {
	if t := strings.TrimSpace(c.Description); t != "" {
		return c.Description
	}
	return strings.TrimSpace(c.Title)
}

// conversation renders the conversation with the response as its last
// turn, the way simple-evals shows it to the grader: "role: content"
// blocks separated by blank lines.
func conversation(in *Input) string {
	if in.Prompt == "" {
		return "assistant: " + in.Response
	}
	return in.Prompt + "\n\nassistant: " + in.Response
}

// points formats a weight as simple-evals prints HealthBench points
// (integers without a decimal point: "[5]", "[-2]", "[0.7]").
func points(w float64) string { return strconv.FormatFloat(w, 'f', -1, 64) }

// renderCriterion is the per-criterion prompt for c.
func renderCriterion(conv string, c *rubric.Criterion) string {
	item := "[" + points(c.Weight) + "] " + criterionText(c)
	return strings.NewReplacer("<<conversation>>", conv, "<<rubric_item>>", item).Replace(strings.TrimSpace(perCriterionTemplate))
}

// renderResponse is the per-response prompt for the criteria at asked,
// shown under ids. Each item is one line, so a criterion's own line breaks
// become spaces.
func renderResponse(conv string, crit []rubric.Criterion, asked []int, ids []string) string {
	var b strings.Builder
	for k, i := range asked {
		if k > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: [%s] %s", ids[k], points(crit[i].Weight), strings.Join(strings.Fields(criterionText(&crit[i])), " "))
	}
	return strings.NewReplacer("<<conversation>>", conv, "<<rubric_items>>", b.String()).Replace(strings.TrimSpace(perResponseTemplate))
}

// promptIDs names the criteria at asked in a per-response prompt: their
// own ids when those are unique and fit the "id: [points] criterion" line
// (non-empty, no white space, at most 64 bytes), else 1, 2, 3, … for all of
// them. Verdicts are mapped back through these names, never guessed.
func promptIDs(crit []rubric.Criterion, asked []int) []string {
	ids := make([]string, len(asked))
	seen := make(map[string]bool, len(asked))
	own := true
	for k, i := range asked {
		id := crit[i].ID
		if id == "" || len(id) > 64 || seen[id] || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
			own = false
			break
		}
		seen[id] = true
		ids[k] = id
	}
	if !own {
		for k := range ids {
			ids[k] = strconv.Itoa(k + 1)
		}
	}
	return ids
}

// Reply reading.

const (
	// maxReplyBytes bounds the reply text searched for JSON; a real
	// verdict (even a list of a hundred) is far smaller.
	maxReplyBytes = 256 << 10
	// maxJSONStarts bounds how many '{' and '[' are tried as the start of
	// a JSON value, so prose full of brackets cannot make reading slow.
	maxJSONStarts = 256
)

// outcome is the verdict read for one criterion of a per-response reply.
type outcome struct {
	met         *bool
	explanation string
	err         string
}

// replyText is the part of a reply that may hold the answer: what follows
// the last "</think>" (reasoning models draft before it), trimmed.
func replyText(reply string) string {
	if i := strings.LastIndex(reply, "</think>"); i >= 0 {
		reply = reply[i+len("</think>"):]
	}
	return strings.TrimSpace(reply)
}

// snippet quotes the start of a reply for an error message.
func snippet(s string) string {
	const n = 120
	if len(s) <= n {
		return strconv.Quote(s)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// parseCriterionReply reads a per-criterion reply: exactly one JSON object
// with a "criteria_met" field, possibly fenced or among prose.
func parseCriterionReply(reply string) (met bool, explanation string, err error) {
	text := replyText(reply)
	if len(text) > maxReplyBytes {
		return false, "", fmt.Errorf("grader reply: %d bytes, more than the %d a verdict can need", len(text), maxReplyBytes)
	}
	found, cut := scanJSON(text, hasKey("criteria_met"))
	switch {
	case len(found) > 1:
		return false, "", fmt.Errorf(`grader reply: %d JSON objects with a "criteria_met" field, want exactly one`, len(found))
	case len(found) == 0 && cut:
		return false, "", fmt.Errorf("grader reply: JSON cut short (did the grader run out of tokens?): %s", snippet(text))
	case len(found) == 0:
		return false, "", fmt.Errorf(`grader reply: no JSON object with a "criteria_met" field: %s`, snippet(text))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(found[0]), &m); err != nil {
		return false, "", fmt.Errorf("grader reply: %v", err) // unreachable: scanJSON decoded it
	}
	return verdictFields(m)
}

// verdictFields reads "criteria_met" (a JSON boolean, required) and
// "explanation" (a string, optional) from one verdict object. Other
// fields are ignored.
func verdictFields(m map[string]json.RawMessage) (met bool, explanation string, err error) {
	raw, ok := m["criteria_met"]
	if !ok {
		return false, "", errors.New(`grader reply: no "criteria_met" field`)
	}
	switch strings.TrimSpace(string(raw)) {
	case "true":
		met = true
	case "false":
	default:
		return false, "", fmt.Errorf(`grader reply: "criteria_met" is %s, want a JSON boolean (true or false)`, describeJSON(raw))
	}
	if raw, ok := m["explanation"]; ok {
		if json.Unmarshal(raw, &explanation) != nil {
			return false, "", fmt.Errorf(`grader reply: "explanation" is %s, want a string`, describeJSON(raw))
		}
	}
	return met, explanation, nil
}

// describeJSON names the type of a JSON value, with the value when short.
func describeJSON(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "empty"
	}
	kind := "a number"
	switch s[0] {
	case '"':
		kind = "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	if len(s) > 40 {
		return kind
	}
	return kind + " (" + s + ")"
}

// parseVerdictList reads a per-response reply asked with ids: exactly one
// JSON list of verdict objects, or one object holding it as "verdicts"
// (the shape APIs with a JSON-object response format must use), possibly
// fenced or among prose. The error is for a reply with no usable list;
// otherwise each criterion's outcome carries its own error, if any.
//
// Verdicts are matched to criteria by "id" (a string, or a number for
// numeric ids); a verdict without one is matched by position, but only
// when the list has one verdict per criterion. A criterion with no
// verdict, or with two, gets an error rather than a guess.
func parseVerdictList(reply string, ids []string) ([]outcome, error) {
	text := replyText(reply)
	if len(text) > maxReplyBytes {
		return nil, fmt.Errorf("grader reply: %d bytes, more than the %d a verdict list can need", len(text), maxReplyBytes)
	}
	found, cut := scanJSON(text, isVerdictList)
	switch {
	case len(found) > 1:
		return nil, fmt.Errorf("grader reply: %d JSON lists of verdicts, want exactly one", len(found))
	case len(found) == 0 && cut:
		return nil, fmt.Errorf("grader reply: JSON cut short (did the grader run out of tokens?): %s", snippet(text))
	case len(found) == 0:
		return nil, fmt.Errorf("grader reply: no JSON list of verdicts: %s", snippet(text))
	}
	list := json.RawMessage(found[0])
	if list[0] == '{' {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(list, &m) // decoded before, by isVerdictList
		list = m["verdicts"]
		if s := strings.TrimSpace(string(list)); s == "" || s[0] != '[' {
			return nil, fmt.Errorf(`grader reply: "verdicts" is %s, want a list`, describeJSON(list))
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list, &items); err != nil {
		return nil, fmt.Errorf("grader reply: %v", err)
	}

	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	out := make([]outcome, len(ids))
	count := make([]int, len(ids))
	var unknown []string
	unplaced := 0
	for k, raw := range items {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			// Not an object: it can only be placed by position.
			if len(items) == len(ids) {
				count[k]++
				out[k].err = fmt.Sprintf("grader reply: verdict %d is %s, want an object", k+1, describeJSON(raw))
			} else {
				unplaced++
			}
			continue
		}
		i := -1
		if rawID, ok := m["id"]; ok {
			id, ok := verdictID(rawID)
			if !ok {
				unknown = append(unknown, strings.TrimSpace(string(rawID)))
				continue
			}
			if i, ok = index[id]; !ok {
				unknown = append(unknown, strconv.Quote(id))
				continue
			}
		} else if len(items) == len(ids) {
			i = k
		} else {
			unplaced++
			continue
		}
		if count[i]++; count[i] > 1 {
			continue
		}
		met, expl, err := verdictFields(m)
		if err != nil {
			out[i].err = err.Error()
			continue
		}
		out[i].met, out[i].explanation = Bool(met), expl
	}
	for i := range out {
		switch {
		case count[i] > 1:
			out[i] = outcome{err: fmt.Sprintf("grader reply: %d verdicts for this criterion, want one", count[i])}
		case count[i] == 0:
			msg := fmt.Sprintf("grader reply: no verdict for this criterion (%d verdicts for %d criteria", len(items), len(ids))
			if len(unknown) > 0 {
				msg += "; unknown ids " + strings.Join(unknown, ", ")
			}
			if unplaced > 0 {
				msg += fmt.Sprintf("; %d without an id", unplaced)
			}
			out[i] = outcome{err: msg + ")"}
		}
	}
	return out, nil
}

// verdictID reads a verdict's "id": a string, or a JSON number taken by its
// literal text (graders write 2 for the id "2").
func verdictID(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// hasKey returns a shape test for a JSON object with the field key.
func hasKey(key string) func(string) bool {
	return func(raw string) bool {
		if raw[0] != '{' {
			return false
		}
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &m) != nil {
			return false
		}
		_, ok := m[key]
		return ok
	}
}

// isVerdictList is the shape test for a per-response answer: a list whose
// elements are all objects, or an object with a "verdicts" field.
func isVerdictList(raw string) bool {
	if raw[0] == '{' {
		return hasKey("verdicts")(raw)
	}
	var items []json.RawMessage
	if json.Unmarshal([]byte(raw), &items) != nil {
		return false
	}
	for _, it := range items {
		if s := strings.TrimSpace(string(it)); s == "" || s[0] != '{' {
			return false
		}
	}
	return true
}

// scanJSON finds the JSON values in text that pass shaped, in order.
// Candidates start at '{' or '['; a candidate that is not valid JSON or
// not of the shape is skipped one byte on, so a value nested in another
// (or in a bracketed aside) is still found, while the inside of a value
// that was found is not searched again. cut reports a candidate that
// looked like the start of a JSON object but ran to the end of the text
// unclosed: a truncated reply.
func scanJSON(text string, shaped func(string) bool) (found []string, cut bool) {
	found, cut, _ = scanJSONWork(text, shaped)
	return found, cut
}

// scanWork is what one scan did: the candidates it tried and the bytes it
// examined (looking for a candidate, matching its brackets, then checking
// a closed one with json.Valid and the shape test, each counted as reading
// the candidate whole). Each candidate reads at most 3·len(text) bytes and
// finding the candidates reads the text once, so
//
//	bytes ≤ (1 + 3·maxJSONStarts)·len(text)
//
// whatever the text: linear in its length. The tests assert this bound
// rather than a time.
type scanWork struct {
	starts, bytes int
}

// scanJSONWork is scanJSON that also reports its work.
func scanJSONWork(text string, shaped func(string) bool) (found []string, cut bool, work scanWork) {
	var stack []byte // reused by every candidate
	for i := 0; i < len(text); {
		j := strings.IndexAny(text[i:], "{[")
		if j < 0 {
			work.bytes += len(text) - i
			break
		}
		work.bytes += j + 1
		start := i + j
		if work.starts++; work.starts > maxJSONStarts {
			work.starts--
			break
		}
		end, closed := matchBrackets(text, start, &stack)
		if closed {
			work.bytes += end - start
			if raw := text[start:end]; json.Valid([]byte(raw)) && shaped(raw) {
				work.bytes += 2 * len(raw)
				found = append(found, raw)
				i = end
				continue
			}
			work.bytes += 2 * (end - start)
		} else {
			work.bytes += min(end+1, len(text)) - start
			if end == len(text) && opensObject(text[start:]) {
				cut = true
			}
		}
		i = start + 1
	}
	return found, cut, work
}

// matchBrackets finds where the bracketed value starting at text[start]
// ends (exclusive), skipping JSON strings. closed is false when a bracket
// does not match (end is its position) or the text ends first (end is
// len(text)). stack is scratch space, kept by the caller across calls.
func matchBrackets(text string, start int, stack *[]byte) (end int, closed bool) {
	st := (*stack)[:0]
	defer func() { *stack = st }()
	inString, escaped := false, false
	for k := start; k < len(text); k++ {
		c := text[k]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{':
			st = append(st, '}')
		case '[':
			st = append(st, ']')
		case '}', ']':
			if st[len(st)-1] != c {
				return k, false
			}
			st = st[:len(st)-1]
			if len(st) == 0 {
				return k + 1, true
			}
		}
	}
	return len(text), false
}

// opensObject reports whether s starts like a JSON object or a list of
// objects ('{' or '[' then, after white space, '"' or '{').
func opensObject(s string) bool {
	rest := strings.TrimLeft(s[1:], " \t\r\n")
	if rest == "" {
		return false
	}
	if s[0] == '{' {
		return rest[0] == '"'
	}
	return rest[0] == '{'
}
