package trace

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/lm"
)

func TestEncode(t *testing.T) {
	te := 151668
	tests := []struct {
		name string
		tr   *Trace
		want string
	}{{
		name: "minimal",
		tr: &Trace{ID: "r1", Student: []lm.Position{{TokenID: 17, Token: "The", LogProb: -0.12, Top: []lm.Alt{{TokenID: 17, Token: "The", LogProb: -0.12}, {TokenID: 4, Token: "A", LogProb: -2.3}}}},
			Teacher: []lm.Position{{TokenID: 17, LogProb: -1e-7}}},
		want: `{"schema_version":1,"id":"r1","student":[{"token_id":17,"token":"The","logprob":-0.12,"top":[{"token_id":17,"token":"The","logprob":-0.12},{"token_id":4,"token":"A","logprob":-2.3}]}],"teacher":[{"token_id":17,"logprob":-1e-7}]}`,
	}, {
		name: "every field; criteria sorted; meta compacted",
		tr: &Trace{ID: "r2", Student: []lm.Position{{TokenID: 1, LogProb: 0}}, Teacher: []lm.Position{{TokenID: 1, LogProb: -1e-300}},
			Criteria:      map[string][]lm.Position{"z": {{TokenID: 1, LogProb: -3}}, "a b": {{TokenID: 1, LogProb: -2.5}}},
			ThinkEndToken: &te, Mask: []bool{true}, Meta: []byte("{\n  \"model\": \"Qwen3-8B\",\n  \"k\": [1, 2]\n}")},
		want: `{"schema_version":1,"id":"r2","student":[{"token_id":1,"logprob":0}],"teacher":[{"token_id":1,"logprob":-1e-300}],"criteria":{"a b":[{"token_id":1,"logprob":-2.5}],"z":[{"token_id":1,"logprob":-3}]},"think_end_token":151668,"mask":[true],"meta":{"model":"Qwen3-8B","k":[1,2]}}`,
	}, {
		name: "token texts escaped, invalid UTF-8 replaced",
		tr:   &Trace{ID: "q\"\\", Student: []lm.Position{{TokenID: 1, Token: "a\n\t\x01\u2028<\xff", LogProb: -1}}, Teacher: []lm.Position{{TokenID: 1, LogProb: -1}}},
		want: `{"schema_version":1,"id":"q\"\\","student":[{"token_id":1,"token":"a\n\t\u0001\u2028<\ufffd","logprob":-1}],"teacher":[{"token_id":1,"logprob":-1}]}`,
	}, {
		name: "values JSON cannot hold are written for Parse to reject",
		tr: &Trace{ID: "bad", Student: []lm.Position{{TokenID: 1, LogProb: math.NaN(), Top: []lm.Alt{{TokenID: 2, LogProb: math.Inf(-1)}}}},
			Teacher: []lm.Position{{TokenID: 1, LogProb: math.Inf(1)}}, Meta: []byte("{oops")},
		want: `{"schema_version":1,"id":"bad","student":[{"token_id":1,"logprob":"NaN","top":[{"token_id":2,"logprob":"-Infinity"}]}],"teacher":[{"token_id":1,"logprob":"Infinity"}],"meta":null}`,
	}, {
		name: "nil sides",
		tr:   &Trace{ID: "n"},
		want: `{"schema_version":1,"id":"n","student":null,"teacher":null}`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Encode(tc.tr)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestEncodeRoundTrip: Parse(Encode(tr)) is tr for traces of random
// float64 log-probs (shortest round-trip formatting) and awkward texts.
func TestEncodeRoundTrip(t *testing.T) {
	tr := servedTrace(4, 50, 300, 20, nil)
	tr.ID = "round"
	for i := range tr.Student {
		tr.Student[i].Token = string(rune(0x1F600+i)) + "\"\\\u00e9"
	}
	tr.Criteria = map[string][]lm.Position{"c": tr.Teacher}
	got, dl := Parse(Encode(tr), 1, "")
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	got.Line = 0
	if diff := cmp.Diff(tr, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-encoded +parsed):\n%s", diff)
	}
	bad := &Trace{ID: "bad", Student: []lm.Position{{TokenID: 1, LogProb: math.NaN()}}, Teacher: []lm.Position{{TokenID: 1, LogProb: -1}}}
	if _, dl := Parse(Encode(bad), 1, ""); len(dl) != 1 || dl[0].Code != CodeNonFinite {
		t.Errorf("NaN: %v", dl)
	}
}

func TestAppendFloat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {-0.5, "-0.5"}, {-1e-6, "-0.000001"}, {-9.99e-7, "-9.99e-7"},
		{-1e-10, "-1e-10"}, {-123456.789, "-123456.789"}, {-1e21, "-1e+21"}, {-5e-324, "-5e-324"},
		{math.Nextafter(-0.3, -1), "-0.30000000000000004"},
	} {
		if got := string(appendFloat(nil, tc.f)); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.f, got, tc.want)
		}
	}
}
