// Package remote holds every network client of rcsd: an OpenAI-compatible
// chat-completions client (the grader behind the LLM judge, on vLLM,
// SGLang, Ollama or a hosted API) and the log-prob scorers behind
// lm.Scorer for vLLM (/tokenize, /v1/completions with prompt_logprobs)
// and SGLang (/generate with input token log-probs). Package lmserver
// serves the embedded demo model in both wire formats, for tests and
// offline examples.
//
// It is the only package under core that does network I/O, and it never
// reads the environment: the host passes the base URL, model and API key
// in a Client. The key is sent only in the Authorization header; it is
// never logged and never appears in an error string or a returned reply:
// every error body and chat reply passes through core/redact (the key,
// any 8-byte piece of it, any Bearer or Authorization value) before it is
// cut or returned.
//
// Retries are bounded and exponential with jitter; a Limiter shared by all
// the requests of a run bounds how many are in flight at once.
package remote
