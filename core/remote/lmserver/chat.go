package lmserver

import (
	"strings"

	"github.com/rcsd-dev/rcsd/core/lm"
)

// RenderChat renders messages with the server's chat template, a small
// ChatML-like one (the demo model has no template of its own):
//
//	<|role|>\ncontent\n   for each message, then
//	<|assistant|>\n       when addGenerationPrompt is set.
//
// /tokenize with "messages" returns the ids of this text.
func RenderChat(messages []lm.Message, addGenerationPrompt bool) string {
	return renderChat(messages, addGenerationPrompt, false)
}

// renderChat is RenderChat; continueFinal leaves the last message open
// (no newline after it), as vLLM's continue_final_message does.
func renderChat(messages []lm.Message, addGenerationPrompt, continueFinal bool) string {
	var b strings.Builder
	for i, m := range messages {
		b.WriteString("<|" + m.Role + "|>\n" + m.Content)
		if !(continueFinal && i == len(messages)-1) {
			b.WriteByte('\n')
		}
	}
	if addGenerationPrompt {
		b.WriteString("<|assistant|>\n")
	}
	return b.String()
}
