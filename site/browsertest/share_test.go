//go:build browser

package browsertest

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fragment packs the bytes of prefix followed by n bytes of filler as
// a share link's fragment does: raw deflate, base64url.
func fragment(t *testing.T, prefix []byte, filler byte, n int) string {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(prefix)
	chunk := bytes.Repeat([]byte{filler}, 1<<20)
	for ; n > 0; n -= len(chunk) {
		w.Write(chunk[:min(n, len(chunk))])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

func (s *session) text(id string) string {
	s.t.Helper()
	return eval[string](s, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

// A share link is input from anyone. A deflate bomb stops at the cap
// with a sentence and the page still works; a link with absurd settings
// is opened with those settings at their defaults and a sentence naming
// each; a number typed out of range is refused before the core runs.
func TestShareLinkHostile(t *testing.T) {
	s := start(t)

	// 64 MiB of one letter in the prompt: 87 KB of fragment.
	const unpacked = 64 << 20
	bomb := fragment(t, []byte(`{"v":1,"prompt":"`), 'a', unpacked)
	t.Logf("bomb: %d characters of fragment, %d MiB unpacked", len(bomb), unpacked>>20)
	s.open(s.base + "/#s=" + bomb)
	want := "This share link is too large (over 4 MB when unpacked); the page shows an example instead."
	if got := s.text("link-problem"); got != want {
		t.Errorf("after the bomb the page says %q (status %q), want %q", got, s.text("status"), want)
	}
	dec := eval[struct {
		Read, Limit int64
		Stopped     bool
	}](s, `window.rcsdPlayground.shareDecode()`)
	// The decoder is fed 1 KB at a time and deflate unpacks at most
	// 1032:1, so it stops within about 1 MiB past the cap.
	if !dec.Stopped || dec.Read <= dec.Limit || dec.Read > dec.Limit+(2<<20) || dec.Limit != 4<<20 {
		t.Errorf("the decoder read %d bytes (limit %d, stopped %v), want it stopped just past 4 MiB of %d", dec.Read, dec.Limit, dec.Stopped, unpacked)
	}
	if ex := eval[string](s, `window.rcsdPlayground.state().example`); ex != "science" {
		t.Errorf("after the bomb the page shows example %q", ex)
	}
	for _, w := range []struct {
		name   string
		width  int64
		height int64
	}{{"1366", 1366, 768}, {"390", 390, 844}} {
		s.do(chromedp.EmulateViewport(w.width, w.height))
		s.screenshot("share-too-large-" + w.name + ".png")
	}
	s.do(chromedp.EmulateViewport(1280, 900))
	s.edit(setValue("example", "math", "change"))
	if n := eval[int](s, `document.querySelectorAll('#criteria tr[data-criterion]').length`); n == 0 {
		t.Error("after the bomb an example computes no criteria")
	}

	// The page's own state with top-k 1e9.
	var st map[string]any
	if err := json.Unmarshal([]byte(eval[string](s, `JSON.stringify(window.rcsdPlayground.state())`)), &st); err != nil {
		t.Fatal(err)
	}
	link := func(edit func(settings map[string]any)) string {
		c := map[string]any{}
		for k, v := range st {
			c[k] = v
		}
		set := map[string]any{}
		for k, v := range st["settings"].(map[string]any) {
			set[k] = v
		}
		edit(set)
		c["settings"] = set
		b, _ := json.Marshal(c)
		return s.base + "/#s=" + fragment(t, b, 0, 0)
	}
	s.open(link(func(set map[string]any) { set["topk"] = 1e9 }))
	want = "Parts of this share link could not be used and keep their defaults: top-k 1000000000 is out of range 1…200."
	if got := s.text("link-problem"); got != want {
		t.Errorf("top-k 1e9: the page says %q (status %q), want %q", got, s.text("status"), want)
	}
	if status := s.text("status"); strings.Contains(strings.ToLower(status), "internal") || !strings.HasPrefix(status, "Ready") {
		t.Errorf("top-k 1e9: status %q", status)
	}
	if k := eval[string](s, `window.rcsdPlayground.state().settings.topk`); k != "20" {
		t.Errorf("top-k 1e9: the page computes with k %q, want the default 20", k)
	}
	if got := eval[string](s, `window.rcsdPlayground.state().prompt`); got != st["prompt"] {
		t.Errorf("top-k 1e9: the rest of the link was not applied: prompt %.60q", got)
	}
	for _, w := range []struct {
		name   string
		width  int64
		height int64
	}{{"1366", 1366, 768}, {"390", 390, 844}} {
		s.do(chromedp.EmulateViewport(w.width, w.height))
		s.screenshot("share-topk-" + w.name + ".png")
	}
	s.do(chromedp.EmulateViewport(1280, 900))

	// Negative numbers and wrong types, each named.
	s.open(link(func(set map[string]any) {
		set["beta"], set["temperature"], set["clipEntry"] = -3, "hot", map[string]any{}
		set["judge"], set["tail"], set["topk"] = 7, "yes", 2.5
	}))
	got := s.text("link-problem")
	for _, w := range []string{
		"β -3 is out of range 0…1", `τ "hot" is not a number`, "the clip per entry {} is not a number",
		"the judge 7 is not one of auto, labels, rules, lexical, llm", `the tail bucket "yes" is not true or false`,
		"top-k 2.5 is not a whole number",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("wrong types: the page says %q, which lacks %q", got, w)
		}
	}

	// A top-k typed out of range is refused before the core runs; a
	// diagnostic from the core about top_k names the setting.
	eval[chromedp.Void](s, `(() => {`+setValue("topk", "1e9", "input")+`})()`)
	s.waitFor(`document.getElementById("status").textContent.startsWith("Not computed")`)
	if got, want := s.text("status"), "Not computed: top-k 1000000000 is out of range 1…200."; got != want {
		t.Errorf("typed top-k 1e9: status %q, want %q", got, want)
	}
	s.edit(setValue("topk", "20", "input"))
	if got, want := eval[string](s, `window.rcsdPlayground.describeDiagnostic({severity: "error", code: "bad-request", path: "$.top_k", message: "top_k 1000000000 is over 4096"})`), "top-k: top_k 1000000000 is over 4096"; got != want {
		t.Errorf("a core diagnostic about $.top_k reads %q, want %q", got, want)
	}
}
