// Package demo is a small statistical language model embedded in rcsd, so
// that rubric-conditioned self-distillation can be tried end to end with no
// model server: a teaching model, not a real LLM.
//
// It is an order-4 interpolated modified Kneser–Ney n-gram model over a
// word-level tokenizer with byte fallback (every byte string tokenizes, and
// token ids depend only on the bytes), trained on the plain English text in
// corpus/ and mixed with a unigram/bigram cache over the context. The cache
// is what makes privileged context matter: the teacher, whose context holds
// the rubric and the reference answer, gives their words more probability
// than the student, who sees only the question.
//
// The model is built by cmd/internal/trainlm (`go generate`) into
// model.bin.gz, which is embedded; Load decodes it once. NextLogProbs gives
// the full next-token distribution; Model.Score scores a continuation under
// a context with teacher forcing and reports the top-k tokens per position.
// See docs/demo-model.md for the formulas, size and held-out perplexity.
//
// The package never touches the process (no files, no network, no
// globals but the lazily decoded embedded model) and runs under
// GOOS=js GOARCH=wasm. It never samples text and never trains at run time.
package demo
