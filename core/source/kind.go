package source

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

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

// EachLine calls f with every non-blank line of a JSONL text and its
// 1-based number, without its line ending ("\n" or "\r\n"); a UTF-8 byte
// order mark on line 1 is skipped.
func EachLine(content string, f func(line string, lineNo int)) {
	lineNo := 0
	for len(content) > 0 {
		lineNo++
		line := content
		if i := strings.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = ""
		}
		line = strings.TrimRight(line, "\r")
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		f(line, lineNo)
	}
}

// InvalidUTF8 returns the byte offset of the first byte of b that does
// not begin a valid UTF-8 sequence, or -1 when b is valid UTF-8.
func InvalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
