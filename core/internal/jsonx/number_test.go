package jsonx

import (
	"regexp"
	"testing"
)

// IsNumber is JSON's number grammar, checked against the regexp that
// states it on every short string over its alphabet.
func TestIsNumber(t *testing.T) {
	re := regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)
	alphabet := []string{"", "-", "+", "0", "1", "9", ".", "e", "E", "x"}
	var walk func(prefix string, depth int)
	n := 0
	walk = func(prefix string, depth int) {
		if got, want := IsNumber(prefix), re.MatchString(prefix); got != want {
			t.Fatalf("IsNumber(%q) = %v, want %v", prefix, got, want)
		}
		n++
		if depth == 0 {
			return
		}
		for _, c := range alphabet[1:] {
			walk(prefix+c, depth-1)
		}
	}
	walk("", 6)
	if n < 500000 {
		t.Fatalf("only %d strings checked", n)
	}
}
