package rubric

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestFastPathStrict pins the go-json option bit disallowUnknownFields
// sets: if go-json ever moves DisallowUnknownFieldsOption, the fast path
// would accept unknown keys silently, and this test fails.
func TestFastPathStrict(t *testing.T) {
	for _, in := range []string{
		`[{"title": "a", "description": "b", "weight": 1, "wieght": 2}]`,
		`{"schema_version": 1, "criteria": [{"id": "a", "description": "b", "weight": 1, "colour": "red"}]}`,
		`{"prompt_id": "p", "rubrics": [{"criterion": "b", "points": 1, "tags": [], "pionts": 3}]}`,
	} {
		if _, _, ok := fastJSON([]byte(in)); ok {
			t.Errorf("fastJSON accepted an unknown field in %s", in)
		}
		_, dl := FromJSON([]byte(in))
		if len(dl) == 0 || dl[0].Code != CodeUnknownField {
			t.Errorf("FromJSON(%s) = %v, want an %s error", in, dl, CodeUnknownField)
		}
	}
}

// TestFastSlowAgree checks that the fast path (go-json into typed
// structs) and the slow path (field by field) read well-formed input to
// the same rubric and the same diagnostics.
func TestFastSlowAgree(t *testing.T) {
	for _, in := range []string{
		`[{"title": "a", "description": "Essential Criteria: b", "weight": 5}, {"title": "p", "description": "Pitfall Criteria: c", "weight": -1}]`,
		`{"schema_version": 1, "id": "r", "title": "T", "criteria": [{"id": "a", "description": "b", "weight": 1, "category": "essential", "polarity": "positive", "tags": ["x"], "checks": [{"kind": "length", "min": 3, "unit": "words"}]}]}`,
		`{"prompt_id": "p", "prompt": [{"role": "user", "content": "hi"}], "rubrics": [{"criterion": "b", "points": -3, "tags": ["axis:accuracy"]}], "example_tags": []}`,
		`[{"criteria": "a", "score": 2}, {"criteria": "b"}]`,
		`[]`,
	} {
		fr, fdl, ok := fastJSON([]byte(in))
		if !ok {
			t.Errorf("fastJSON rejected well-formed %s", in)
			continue
		}
		sr, sdl := slowJSON([]byte(in))
		if d := cmp.Diff(sr, fr, cmp.AllowUnexported(Rubric{}), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: slow and fast rubrics differ (-slow +fast):\n%s", in, d)
		}
		if d := cmp.Diff(sdl, fdl, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: slow and fast diagnostics differ (-slow +fast):\n%s", in, d)
		}
	}
}
