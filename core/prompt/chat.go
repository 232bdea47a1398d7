package prompt

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// The chat templates are data: one JSON file per template under
// templates/chat/, read once. Each says how a model family's Jinja
// chat_template renders a conversation without tools, so that adding a
// family is adding a file (and its golden tests), not code.
//
//go:embed templates/chat/*.json
var chatFiles embed.FS

// chatSpec is one templates/chat/*.json file.
type chatSpec struct {
	Name string `json:"name"`
	// Source says which outside template the file reproduces.
	Source string `json:"source"`
	// BOS is written once before the first message.
	BOS string `json:"bos"`
	// TurnPrefix and TurnSuffix surround each message's content;
	// "{role}" in TurnPrefix is the message's role.
	TurnPrefix string `json:"turn_prefix"`
	TurnSuffix string `json:"turn_suffix"`
	// TrimContent strips leading and trailing whitespace from each content
	// as Jinja's trim filter (Python's str.strip) does.
	TrimContent bool `json:"trim_content"`
	// Reasoning says how assistant turns' <think> blocks are rendered:
	// "" verbatim, "qwen3" as Qwen3's template does.
	Reasoning string `json:"reasoning"`
	// Roles lists the roles the template renders; empty means any.
	Roles []string `json:"roles"`
	// GenerationPrompt follows the last message (add_generation_prompt).
	GenerationPrompt string `json:"generation_prompt"`
	// ThinkingSwitch says whether the template reads enable_thinking;
	// ThinkingOn and ThinkingOff follow the generation prompt.
	ThinkingSwitch bool   `json:"thinking_switch"`
	ThinkingOn     string `json:"thinking_on"`
	ThinkingOff    string `json:"thinking_off"`
}

var loadChats = sync.OnceValues(func() (map[ChatTemplate]*chatSpec, error) {
	specs := make(map[ChatTemplate]*chatSpec)
	for _, c := range ChatTemplates() {
		name := "templates/chat/" + string(c) + ".json"
		data, err := chatFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var s chatSpec
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if s.Name != string(c) {
			return nil, fmt.Errorf("%s: name %q, want %q", name, s.Name, c)
		}
		switch s.Reasoning {
		case "", "qwen3":
		default:
			return nil, fmt.Errorf("%s: unknown reasoning %q", name, s.Reasoning)
		}
		specs[c] = &s
	}
	return specs, nil
})

// chatSpecFor returns the spec of c.
func chatSpecFor(c ChatTemplate) (*chatSpec, error) {
	specs, err := loadChats()
	if err != nil {
		return nil, err
	}
	s, ok := specs[c]
	if !ok {
		return nil, fmt.Errorf("unknown chat template %q", c)
	}
	return s, nil
}

// ApplyChat renders msgs with chat template c and the generation prompt,
// as Hugging Face's apply_chat_template(msgs, tokenize=False,
// add_generation_prompt=True, enable_thinking=thinking) does for the
// template's model family. It fails for an unknown template and for a
// role the template does not render (Qwen3 renders only system, user and
// assistant here; its tool turns are not supported).
func ApplyChat(c ChatTemplate, msgs []Message, thinking bool) (string, error) {
	s, err := chatSpecFor(c)
	if err != nil {
		return "", err
	}
	if err := s.checkRoles(msgs); err != nil {
		return "", err
	}
	text, _ := s.render(msgs, thinking)
	return text, nil
}

// checkRoles reports the first message whose role s does not render.
func (s *chatSpec) checkRoles(msgs []Message) error {
	if len(s.Roles) == 0 {
		return nil
	}
	for i, m := range msgs {
		if !slices.Contains(s.Roles, m.Role) {
			return fmt.Errorf("message %d: the %s template does not render role %q (want %s)", i, s.Name, m.Role, strings.Join(s.Roles, ", "))
		}
	}
	return nil
}

// placed says where a message's content landed in the rendered text:
// content[lead:lead+(end-start)] is text[start:end]. ok is false when the
// template rewrote the content (a Qwen3 assistant turn's reasoning).
type placed struct {
	start, end, lead int
	ok               bool
}

// render applies s to msgs with the generation prompt and says where each
// message's content went.
func (s *chatSpec) render(msgs []Message, thinking bool) (string, []placed) {
	var b strings.Builder
	pos := make([]placed, len(msgs))
	b.WriteString(s.BOS)
	lastQuery := qwen3LastQuery(msgs)
	for i, m := range msgs {
		b.WriteString(strings.ReplaceAll(s.TurnPrefix, "{role}", m.Role))
		content, lead, ok := m.Content, 0, true
		if s.TrimContent {
			content, lead = pyStrip(content)
		}
		if s.Reasoning == "qwen3" && m.Role == "assistant" {
			content, ok = qwen3Assistant(content, i > lastQuery, i == len(msgs)-1)
		}
		start := b.Len()
		b.WriteString(content)
		pos[i] = placed{start: start, end: b.Len(), lead: lead, ok: ok}
		b.WriteString(s.TurnSuffix)
	}
	b.WriteString(s.GenerationPrompt)
	if s.ThinkingSwitch {
		if thinking {
			b.WriteString(s.ThinkingOn)
		} else {
			b.WriteString(s.ThinkingOff)
		}
	}
	return b.String(), pos
}

// qwen3LastQuery is Qwen3's ns.last_query_index: the last user message
// that is not a wrapped tool response, or the last message when there is
// none.
func qwen3LastQuery(msgs []Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		c := msgs[i].Content
		if msgs[i].Role == "user" && !(strings.HasPrefix(c, "<tool_response>") && strings.HasSuffix(c, "</tool_response>")) {
			return i
		}
	}
	return len(msgs) - 1
}

// qwen3Assistant renders an assistant turn's content as Qwen3's template
// does: the reasoning before the last "</think>" is split off; a turn
// after the last user query keeps it in a <think> block (always when it
// is the last message), an earlier turn loses it. ok is false when the
// content changed.
func qwen3Assistant(content string, afterQuery, last bool) (string, bool) {
	reasoning := ""
	orig := content
	if strings.Contains(content, "</think>") {
		parts := strings.Split(content, "</think>")
		content = strings.TrimLeft(parts[len(parts)-1], "\n")
		r := strings.TrimRight(parts[0], "\n")
		rp := strings.Split(r, "<think>")
		reasoning = strings.TrimLeft(rp[len(rp)-1], "\n")
	}
	if afterQuery && (last || reasoning != "") {
		content = "<think>\n" + strings.Trim(reasoning, "\n") + "\n</think>\n\n" + strings.TrimLeft(content, "\n")
	}
	return content, content == orig
}

// pyStrip is Python's str.strip() with no argument (Jinja's trim): it
// removes leading and trailing characters for which str.isspace is true,
// and returns the number of bytes removed at the start.
func pyStrip(s string) (string, int) {
	t := strings.TrimLeftFunc(s, pyIsSpace)
	lead := len(s) - len(t)
	return strings.TrimRightFunc(t, pyIsSpace), lead
}

// pyIsSpace is Python's str.isspace for one character: Unicode White_Space
// (Go's unicode.IsSpace) plus the information separators U+001C–U+001F,
// which Python counts as whitespace (bidirectional class B or S).
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}
