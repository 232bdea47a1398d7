package world

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every text the world writes (prompts, compact rubrics, criterion
// titles and descriptions, references, guessed answers, whole item
// records) round-trips exactly, and all but the item records (JSON
// escapes) need no byte token: the vocabulary is closed.
func TestVocabularyClosed(t *testing.T) {
	tok := NewTokenizer()
	texts := 0
	check := func(id, what, s string, closed bool) {
		texts++
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("%s %s: Decode(Encode(s)) = %q, want %q", id, what, got, s)
		}
		if !closed {
			return
		}
		for _, x := range ids {
			if tok.IsByte(x) {
				t.Fatalf("%s %s: byte token %q in %q", id, what, tok.TokenText(x), s)
			}
		}
	}
	for lv := 1; lv <= 3; lv++ {
		rng := rand.New(rand.NewPCG(uint64(lv), 5))
		for _, tk := range tasksFor(t, lv, 1000, 21) {
			check(tk.ID, "prompt", tk.Prompt, true)
			check(tk.ID, "rubric", CompactRubric(tk.Rubric), true)
			check(tk.ID, "reference", tk.Reference, true)
			for _, c := range tk.Rubric.Criteria {
				check(tk.ID, c.ID+" title", c.Title, true)
				check(tk.ID, c.ID+" description", c.Description, true)
			}
			it := tk.Item(2, rng)
			for _, r := range it.Responses {
				check(tk.ID, "response", r, true)
			}
			var buf bytes.Buffer
			if err := WriteItems(&buf, []*Task{tk}, 1, 3); err != nil {
				t.Fatal(err)
			}
			check(tk.ID, "item record", buf.String(), false)
		}
	}
	t.Logf("%d texts round-trip; vocabulary %d tokens (%d special, 256 bytes, %d pieces), fingerprint %s",
		texts, tok.VocabSize(), NumSpecial, tok.VocabSize()-NumSpecial-256, tok.Fingerprint())
	if tok.VocabSize() > 2000 {
		t.Errorf("vocabulary of %d tokens; the model is sized for at most 2000", tok.VocabSize())
	}
}

// The vocabulary is pinned: a change renumbers tokens and breaks every
// trained checkpoint, so it must be deliberate (update both numbers and
// retrain).
func TestVocabularyPinned(t *testing.T) {
	tok := NewTokenizer()
	const size, fp = 844, "7659f08b5eb8af6f"
	if tok.VocabSize() != size || tok.Fingerprint() != fp {
		t.Errorf("vocabulary %d tokens, fingerprint %s; pinned %d, %s", tok.VocabSize(), tok.Fingerprint(), size, fp)
	}
}

func TestTokenizerPieces(t *testing.T) {
	tok := NewTokenizer()
	for _, tc := range []struct {
		in   string
		want []string // token texts
	}{
		{"Carry 15 liters of water.", []string{"Carry", " 1", "5", " liters", " of", " water", "."}},
		{`Plan \boxed{12} meals`, []string{"Plan", " \\", "boxed", "{", "1", "2", "}", " meals"}},
		{"Hi  kids!\n", []string{"Hi", " ", " kids", "!", "\n"}},
		{"hike-é", []string{"hike", "-", "\xc3", "\xa9"}},
		{"<water>", []string{"<", "water", ">"}},
		{"zzz", []string{"z", "z", "z"}},
	} {
		var got []string
		for _, id := range tok.Encode(tc.in) {
			got = append(got, tok.TokenText(id))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, id := range tok.Encode("<rubric> <answer>") {
		if tok.IsSpecial(id) {
			t.Errorf("the text of a special token encoded as the special token %d", id)
		}
	}
}

func FuzzTokenizerRoundTrip(f *testing.F) {
	for _, s := range []string{"", " ", "  a", "Dear seniors, For your 3 day", "\xff\xfe", "é\u00a0ü\t\r\n", "a\n b", `\boxed{}`, "日本語 text"} {
		f.Add(s)
	}
	tok := NewTokenizer()
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
		for _, id := range ids {
			if tok.IsSpecial(id) || id >= tok.VocabSize() {
				t.Fatalf("Encode(%q) gave id %d", s, id)
			}
		}
		if utf8.ValidString(s) && len(ids) > len(s) {
			t.Fatalf("Encode(%q): %d tokens for %d bytes", s, len(ids), len(s))
		}
	})
}
