//go:build rcsd_stdjson

package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Codec names the codec of this build (for benchmarks and version output).
const Codec = "encoding/json"

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

// UnmarshalStrict is Unmarshal with unknown object keys as errors.
func UnmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) != 0 {
		return errors.New("jsonx: data after the top-level value")
	}
	return nil
}

// DecodeOne decodes the first JSON value of data into v with unknown
// keys as errors. It returns the offset just past the value.
func DecodeOne(data []byte, v any) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return 0, err
	}
	return dec.InputOffset(), nil
}
