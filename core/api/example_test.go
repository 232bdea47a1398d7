package api_test

import (
	"context"
	"fmt"

	"github.com/rcsd-dev/rcsd/core/api"
)

const rubricYAML = `schema_version: 1
criteria:
  - id: paris
    description: Names Paris as the capital of France.
    weight: 5
    checks: [{kind: contains, terms: [Paris]}]
  - id: seat
    description: Mentions that the national government sits in Paris.
    weight: 3
    checks: [{kind: any, terms: [government, parliament]}]
  - id: lyon
    description: Claims that Lyon is the capital.
    weight: -1
    checks: [{kind: contains, terms: [Lyon]}]
`

func ExampleValidate() {
	resp := api.Validate(api.ValidateRequest{File: "capital.yaml", Content: `schema_version: 1
criteria:
  - id: paris
    description: Names Paris as the capital of France.
    wieght: 5
`})
	fmt.Println(resp.Kind, resp.Errors, "error(s)")
	for _, d := range resp.Diagnostics {
		fmt.Println(d)
	}
	// Output:
	// rubric 2 error(s)
	// capital.yaml:3:5: error missing-field: $.criteria[0]: criterion has no "weight"
	// capital.yaml:5:13: error unknown-field: $.criteria[0].wieght: unknown field "wieght" in a criterion (did you mean "weight"?)
}

func ExampleEvaluate() {
	resp := api.Evaluate(context.Background(), api.EvaluateRequest{
		Config: api.EvalConfig{Judge: "rules", Scoring: "healthbench"},
		Rubric: rubricYAML,
		Items: `{"id": "q1", "prompt": "What is the capital of France?", "responses": ["Paris, where the government sits.", "Lyon.", "Paris."]}
`,
	})
	for _, r := range resp.Results {
		fmt.Printf("response %d: score %.3f advantage %+.3f\n", r.ResponseIndex, *r.Score, *r.Advantage)
	}
	// Hand derivation: HealthBench divides met points by the positive
	// points (8): 8/8 = 1, −1/8 = −0.125, 5/8 = 0.625. TRL's advantages:
	// mean 0.5, sample std 0.5728 (n−1), (r − mean)/(std + 1e-4).
	// Output:
	// response 0: score 1.000 advantage +0.873
	// response 1: score -0.125 advantage -1.091
	// response 2: score 0.625 advantage +0.218
}

func ExampleParseGRPO() {
	c, _ := api.ParseGRPO("verl")
	fmt.Println(c.Framework, c.Scale, c.Epsilon)
	_, err := api.ParseGRPO("trll")
	fmt.Println(err)
	// Output:
	// verl group 1e-06
	// unknown GRPO convention "trll" (want trl, trl-batch, trl-none, verl, verl-nostd); did you mean "trl"?
}
