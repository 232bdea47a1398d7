// Package model is the lab's language model: a small decoder-only
// transformer in pure Go (GPT-2's architecture at toy scale), trained and
// run by the same code natively and in js/wasm.
//
// Architecture, for a batch of B sequences of T ≤ Context tokens, width C,
// H heads of width D = C/H, vocabulary V:
//
//	x₀ = wte[token] + wpe[position]                          [B, T, C]
//	for each of the L blocks (pre-LayerNorm):
//	  x += proj(CausalSelfAttention(LN₁(x)))                  H heads, softmax(q·kᵀ/√D) masked to j ≤ t
//	  x += W₂·gelu(W₁·LN₂(x) + b₁) + b₂                       hidden width 4C
//	logits = LN_f(x)·wteᵀ                                     [B, T, V]
//
// GELU is the tanh approximation (torch's gelu(approximate="tanh"), as in
// GPT-2); LayerNorm's ε is 1e-5. The LM head is tied to the token embedding:
// at V = 2k and C = 128 an untied head would add V·C = 262k parameters (1 MB
// of float32) to a checkpoint whose budget is 1.5 MB gzip, and tying is what
// GPT-2 does. Weights are [out, in] as in torch.nn.Linear; Config.Specs
// lists every tensor's name and shape.
//
// What it provides: Forward over a batch into a preallocated Workspace;
// Loss (masked mean cross-entropy) with dLoss/dlogits; Backward, a
// hand-derived backward pass for every parameter from any given dlogits, so
// a distillation loss computed elsewhere can be pushed through the model;
// AdamW (torch.optim.AdamW's update) and ClipGradNorm
// (torch.nn.utils.clip_grad_norm_); deterministic initialisation from a
// seed; LogProbs, teacher-forced scoring with the whole log-softmax per
// position; a Decoder with a key/value cache and a Sampler (temperature,
// top-k, top-p) with its own seeded PCG generator; Save and Load of a
// versioned float32 checkpoint through io.Writer and io.Reader.
//
// Everything is generic over Float: float32 for speed, float64 for the
// gradient checks (central differences on every parameter) and for the
// agreement with PyTorch (testdata/gen_torch_ref.py, to 1e-10). Kernels run
// on a fixed pool of goroutines over fixed partitions in which each output
// is summed by one goroutine in a fixed order, so results are bit-identical
// for any number of workers; a training step allocates nothing.
//
// Kernels: every dense product is one kernel, C = A·Bᵀ (ntRows; the
// backward's other two forms transpose an operand first), blocked over the
// reduction. In Go it is a 2×4 register tile; for float32 on amd64 with
// AVX2 and FMA, a 3×4 tile of 8-lane FMA chains in assembly
// (ntkernel_amd64.s; the purego build tag turns it off; js/wasm and other
// platforms use the Go tile). Attention runs per (sequence, head) as five
// such products on contiguous copies. float32 exp and tanh use a
// polynomial (exp32, ≤ 2 ulp). gonum's Sgemm was measured at the step's
// shape and was 4× slower than the tile kernel, so it is not used.
//
// What it never does: read files or the environment, import os, keep
// global state, use unseeded randomness, or know about text (token ids in,
// numbers out; the tokenizer is the lab world's).
package model
