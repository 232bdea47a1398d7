package source

import "bytes"

// KindOf names the JSON type of a raw value for messages ("a string",
// "an object", "a list", "a boolean", "null", "a number"; "nothing" for
// empty input). It looks at the first significant byte only: raw is a
// value a decoder already delimited.
func KindOf(raw []byte) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// IsNull reports whether raw is the JSON null.
func IsNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }
