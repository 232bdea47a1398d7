package api

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Byte-fallback tokens show whole characters where they start, and the
// texts still join to the completion.
func TestSplitDisplay(t *testing.T) {
	dot := "·" // C2 B7
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"all valid", []string{"a", "b·", "c"}, []string{"a", "b·", "c"}},
		{"a character in two byte tokens", []string{"3", dot[:1], dot[1:], "5"}, []string{"3", "·", "", "5"}},
		{"split after text", []string{"x" + dot[:1], dot[1:] + "y"}, []string{"x·", "y"}},
		{"three-byte character", []string{"✓"[:1], "✓"[1:2], "✓"[2:], "!"}, []string{"✓", "", "", "!"}},
		{"stray byte", []string{"a", "\xff", "b"}, []string{"a", "\uFFFD", "b"}},
		{"truncated at the end", []string{"a", dot[:1]}, []string{"a", "\uFFFD"}},
	}
	for _, c := range cases {
		got := splitDisplay(c.in)
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s (-want +got)\n%s", c.name, d)
		}
		if j := strings.Join(got, ""); j != strings.ToValidUTF8(strings.Join(c.in, ""), "\uFFFD") {
			t.Errorf("%s: joined %q", c.name, j)
		}
	}
	if got := altText("\xc2"); got != "<0xC2>" {
		t.Errorf("altText: %q", got)
	}
}
