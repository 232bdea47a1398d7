package jsonx

import "testing"

// The strict decoders must refuse unknown keys and trailing data under
// both codecs (go test -tags rcsd_stdjson runs the other one); go-json's
// option bit is set by number, so this also catches go-json moving it.
func TestStrict(t *testing.T) {
	type T struct {
		A int `json:"a"`
	}
	for _, in := range []string{`{"a":1,"b":2}`, `{"a":1} x`, `{"a":"x"}`, `{"a":1`} {
		var v T
		if err := UnmarshalStrict([]byte(in), &v); err == nil {
			t.Errorf("UnmarshalStrict(%s) accepted", in)
		}
	}
	var v T
	if err := UnmarshalStrict([]byte(" {\"a\":7}\n"), &v); err != nil || v.A != 7 {
		t.Errorf("UnmarshalStrict: %v %+v", err, v)
	}
	if _, err := DecodeOne([]byte(`{"a":1,"b":2}`), &v); err == nil {
		t.Error("DecodeOne accepted an unknown key")
	}
	off, err := DecodeOne([]byte(`{"a":3}  `), &v)
	if err != nil || off != 7 || v.A != 3 {
		t.Errorf("DecodeOne: %d %v %+v", off, err, v)
	}
}
