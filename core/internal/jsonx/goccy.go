//go:build !rcsd_stdjson

package jsonx

import (
	"bytes"
	"io"

	json "github.com/goccy/go-json"
)

// Codec names the codec of this build (for benchmarks and version output).
const Codec = "goccy/go-json"

type (
	RawMessage         = json.RawMessage
	Number             = json.Number
	SyntaxError        = json.SyntaxError
	UnmarshalTypeError = json.UnmarshalTypeError
	Decoder            = json.Decoder
)

func Unmarshal(data []byte, v any) error               { return json.Unmarshal(data, v) }
func Marshal(v any) ([]byte, error)                    { return json.Marshal(v) }
func MarshalIndent(v any, p, i string) ([]byte, error) { return json.MarshalIndent(v, p, i) }
func Valid(data []byte) bool                           { return json.Valid(data) }
func Compact(dst *bytes.Buffer, src []byte) error      { return json.Compact(dst, src) }
func NewDecoder(r io.Reader) *Decoder                  { return json.NewDecoder(r) }

// disallowUnknownFields sets go-json's DisallowUnknownFieldsOption (1<<4
// in internal/decoder, which Unmarshal has no public option for);
// TestStrict fails if go-json ever moves it.
func disallowUnknownFields(o *json.DecodeOption) { o.Flags |= 1 << 4 }

// UnmarshalStrict is Unmarshal with unknown object keys as errors.
func UnmarshalStrict(data []byte, v any) error {
	return json.UnmarshalWithOption(data, v, disallowUnknownFields)
}

// DecodeOne decodes the first JSON value of data into v with unknown
// keys as errors; strings in v may share memory with data. It returns
// the offset just past the value.
func DecodeOne(data []byte, v any) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.DecodeWithOption(v, json.DecodeNoCopyString()); err != nil {
		return 0, err
	}
	return dec.InputOffset(), nil
}
