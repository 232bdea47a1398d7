package prompt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected strings are hand derivations from each family's Jinja
// chat_template (Qwen3's and Meta-Llama-3-8B-Instruct's
// tokenizer_config.json, the generic ChatML template) applied with
// add_generation_prompt=True, each confirmed by rendering the original
// template with Jinja2 3.1.6 (trim_blocks and lstrip_blocks, as
// transformers does); the comments name the rule each case shows. The
// golden files' chatml, qwen3 and llama3 teacher texts were checked the
// same way against their messages (exact match, 28 files).
func TestApplyChat(t *testing.T) {
	conv := []Message{
		{Role: "system", Content: "You are terse."},
		{Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "<think>\nplan\n</think>\n\nHello!"},
		{Role: "user", Content: "  Why?\n"},
	}
	tests := []struct {
		name     string
		chat     ChatTemplate
		thinking bool
		msgs     []Message
		want     string
	}{
		{
			// Every turn verbatim, <think> included.
			name: "chatml", chat: ChatML, msgs: conv,
			want: "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nHello!<|im_end|>\n<|im_start|>user\n  Why?\n<|im_end|>\n<|im_start|>assistant\n",
		},
		{
			// The assistant turn before the last query loses its reasoning
			// (content after </think>, lstrip('\n')); thinking on adds
			// nothing after the generation prompt.
			name: "qwen3-think", chat: Qwen3, thinking: true, msgs: conv,
			want: "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n  Why?\n<|im_end|>\n<|im_start|>assistant\n",
		},
		{
			// enable_thinking=False: the empty think block.
			name: "qwen3-nothink", chat: Qwen3, msgs: conv,
			want: "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n  Why?\n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
		},
		{
			// An assistant turn after the last query that is the last
			// message gets a think block even with no reasoning.
			name: "qwen3-trailing-assistant", chat: Qwen3, thinking: true,
			msgs: []Message{{Role: "user", Content: "Q"}, {Role: "assistant", Content: "A"}},
			want: "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>\n<|im_start|>assistant\n",
		},
		{
			// After the last query, reasoning is kept and normalised:
			// strip('\n') inside, lstrip('\n') of the answer.
			name: "qwen3-reasoning-after-query", chat: Qwen3, thinking: true,
			msgs: []Message{{Role: "user", Content: "Q"}, {Role: "assistant", Content: "<think>\n\nr\n\n</think>\n\n\nA"}, {Role: "assistant", Content: "B"}},
			want: "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\nA<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nB<|im_end|>\n<|im_start|>assistant\n",
		},
		{
			// BOS once; content|trim (Python str.strip).
			name: "llama3", chat: Llama3, thinking: true, msgs: conv,
			want: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>\nplan\n</think>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
		},
		{
			// str.strip also removes U+001F (a Python whitespace) and
			// U+3000.
			name: "llama3-python-whitespace", chat: Llama3,
			msgs: []Message{{Role: "user", Content: "\x1f\u3000Q\u00a0"}},
			want: "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
		},
		{
			name: "plain", chat: Plain, msgs: conv,
			want: "system: You are terse.\n\nuser: Hi\n\nassistant: <think>\nplan\n</think>\n\nHello!\n\nuser:   Why?\n\n\nassistant: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyChat(tt.chat, tt.msgs, tt.thinking)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyChatErrors(t *testing.T) {
	_, err := ApplyChat("qwen2", []Message{{Role: "user", Content: "Q"}}, false)
	if err == nil || err.Error() != `unknown chat template "qwen2"` {
		t.Errorf("unknown template: %v", err)
	}
	_, err = ApplyChat(Qwen3, []Message{{Role: "tool", Content: "42"}}, false)
	if want := `message 0: the qwen3 template does not render role "tool" (want system, user, assistant)`; err == nil || err.Error() != want {
		t.Errorf("tool role: %v, want %s", err, want)
	}
	// Templates without a role list render any role.
	got, err := ApplyChat(ChatML, []Message{{Role: "tool", Content: "42"}}, false)
	if err != nil || !strings.HasPrefix(got, "<|im_start|>tool\n42<|im_end|>\n") {
		t.Errorf("chatml tool role: %q, %v", got, err)
	}
}

// Every embedded chat template loads, names itself, and says where it
// comes from.
func TestChatSpecs(t *testing.T) {
	for _, c := range ChatTemplates() {
		s, err := chatSpecFor(c)
		if err != nil {
			t.Fatal(err)
		}
		if s.Source == "" || s.GenerationPrompt == "" {
			t.Errorf("%s: no source or generation prompt", c)
		}
		if s.ThinkingSwitch != (c == Qwen3) {
			t.Errorf("%s: thinking switch %v", c, s.ThinkingSwitch)
		}
	}
}
