// Package lmserver runs a real local HTTP server that serves the embedded
// demo model (core/lm/demo) through the wire formats of vLLM and SGLang,
// so the remote log-prob clients can be tested end to end and rcsd's
// log-prob examples can run with no model server.
//
// Endpoints (POST unless noted):
//
//   - /tokenize (and /v1/tokenize): vLLM's and SGLang's tokenizer API,
//     {"prompt"} or {"messages", "add_generation_prompt"} →
//     {"count", "max_model_len", "tokens"}. Chat messages are rendered by
//     RenderChat, a small ChatML-like template (the demo model has none of
//     its own); add_special_tokens has no effect (it has no special tokens).
//   - /v1/completions: vLLM's completions API with a token-id or text
//     prompt; "prompt_logprobs": K gives one entry per prompt token (entry 0
//     null), each a map from token id to {logprob, rank, decoded_token}
//     holding the prompt token (with its 1-based vocabulary rank) and the
//     top K (ranks 1…K), in vLLM's order. K above Options.MaxLogprobs is
//     refused with vLLM's HTTP 400 message. It generates max_tokens tokens
//     greedily.
//   - /generate: SGLang's native API with "input_ids" (or "text"),
//     "return_logprob", "logprob_start_len", "top_logprobs_num",
//     "return_text_in_logprobs" and "sampling_params.max_new_tokens";
//     meta_info.input_token_logprobs lists [logprob, id, text] from
//     logprob_start_len on with a null first log-prob, as current SGLang
//     does (Options.SGLangLegacy drops that entry when logprob_start_len
//     > 0, as older releases did).
//   - GET /health and GET /v1/models.
//
// Every log-prob is the demo model's own number (Model.Score), so a client
// that decodes the JSON exactly gets the demo scorer's values bit for bit.
// Errors use each server's JSON error shapes. Faults can be injected by
// schedule for retry tests: 429, 500, 503, dropped connections, bodies cut
// short, and log-prob lists with an entry missing or the prompt token left
// out. Requests can be recorded for wire-format tests.
//
// Not emulated: streaming, batches, sampling (generation is greedy),
// vLLM's "logprobs" for generated tokens, and anything not listed above.
// Unlike real servers, a 401 echoes the Authorization header it got, so
// tests can check that clients redact the key. The package never reads
// the environment or touches files.
package lmserver
