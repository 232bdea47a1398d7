package trace_test

import (
	"fmt"

	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// One served trace, teacher top-2 renormalised (RCSD's support with k = 2),
// reduced over a batch of one.
func Example() {
	line := []byte(`{"id":"q1",` +
		`"student":[{"token_id":17,"token":"The","logprob":-0.12,"top":[{"token_id":17,"token":"The","logprob":-0.12},{"token_id":4,"token":"A","logprob":-2.3}]}],` +
		`"teacher":[{"token_id":17,"token":"The","logprob":-0.5,"top":[{"token_id":4,"token":"A","logprob":-1.0},{"token_id":17,"token":"The","logprob":-0.5}]}]}`)
	tr, diags := trace.Parse(line, 1, "traces.jsonl")
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	k, err := distill.NewKernel(distill.Options{Support: distill.TeacherTopK, TopK: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := trace.Compute(k, tr)
	if err != nil {
		fmt.Println(err)
		return
	}
	b := trace.NewBatch(k.Options().Reduction)
	b.Add(&res)
	tok := res.Tokens[0]
	fmt.Printf("D_0 = %.6f, A_0 = %.2f, covered %v\n", tok.Divergence, tok.Advantage, tok.Covered)
	fmt.Printf("batch loss %.6f over %d token\n", b.Summary().Loss, b.Summary().ValidTokens)
	// Output:
	// D_0 = 0.267288, A_0 = -0.38, covered false
	// batch loss 0.267288 over 1 token
}
