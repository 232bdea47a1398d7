package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// torchCase is one case of core/distill/testdata/torch_reference.json:
// dense logits for 3 sequences, the options, and the loss PyTorch (float64,
// bench/distill/torch_reference.py) computed.
type torchCase struct {
	Name     string          `json:"name"`
	Options  json.RawMessage `json:"options"`
	Tokens   [][]int         `json:"tokens"`
	Mask     [][]bool        `json:"completion_mask"`
	Student  [][][]float64   `json:"student"`
	Teacher  [][][]float64   `json:"teacher"`
	Loss     float64         `json:"loss"`
	Valid    int             `json:"valid_tokens"`
	PerToken [][]float64     `json:"per_token"`
}

// logSoftmax at temperature 1: what a server returns as log-probs.
func logSoftmax(z []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = v - lse
	}
	return out
}

// positions turns one sequence's dense logits into served positions whose
// top lists hold the whole vocabulary, so every support is exact.
func positions(logits [][]float64, tokens []int) []lm.Position {
	out := make([]lm.Position, len(tokens))
	for t, id := range tokens {
		lp := logSoftmax(logits[t])
		alts := make([]lm.Alt, len(lp))
		for v, x := range lp {
			alts[v] = lm.Alt{TokenID: v, LogProb: x}
		}
		out[t] = lm.Position{TokenID: id, LogProb: lp[id], Top: alts}
	}
	return out
}

// TestLossMatchesPyTorch runs `rcsd loss` on traces made from the PyTorch
// reference cases (full-vocabulary top lists) with each case's options in
// a config file, and compares the batch loss and every valid per-token
// value with PyTorch's to 1e-9.
func TestLossMatchesPyTorch(t *testing.T) {
	data, err := os.ReadFile("../../core/distill/testdata/torch_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []torchCase }
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 20 {
		t.Fatalf("only %d reference cases", len(ref.Cases))
	}
	dir := t.TempDir()
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Name == "forward-student-topk-tail" {
				// A tail bucket at τ ≠ 1 needs the full normaliser at τ,
				// which served log-probs (τ = 1) do not give; rcsd loss
				// refuses it (trace-tail-temperature), core/distill's
				// dense path computes it and is checked there.
				t.Skip("tail at τ 1.1 is refused for served log-probs by design")
			}
			var b strings.Builder
			for s := range c.Tokens {
				tr := &trace.Trace{ID: c.Name + "#" + string(rune('0'+s)), Student: positions(c.Student[s], c.Tokens[s]),
					Teacher: positions(c.Teacher[s], c.Tokens[s]), Mask: c.Mask[s]}
				b.Write(trace.Encode(tr))
				b.WriteByte('\n')
			}
			traces := writeFile(t, dir, c.Name+".jsonl", b.String())
			cfg := writeFile(t, dir, c.Name+".json", `{"schema_version": 1, "loss": `+string(c.Options)+`}`)
			sum := filepath.Join(dir, c.Name+".summary.json")
			out, errOut, code := rcsd(t, "", "loss", "--config", cfg, "--summary", sum, traces)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s", code, errOut)
			}
			var s struct {
				Loss        float64 `json:"loss"`
				ValidTokens int     `json:"valid_tokens"`
			}
			sb, _ := os.ReadFile(sum)
			if err := json.Unmarshal(sb, &s); err != nil {
				t.Fatal(err)
			}
			if s.ValidTokens != c.Valid || math.Abs(s.Loss-c.Loss) > 1e-9*math.Max(1, math.Abs(c.Loss)) {
				t.Errorf("loss %.15g over %d tokens, PyTorch %.15g over %d", s.Loss, s.ValidTokens, c.Loss, c.Valid)
			}
			for s, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var rec struct {
					Tokens []struct {
						Valid      bool    `json:"valid"`
						Divergence float64 `json:"divergence"`
					} `json:"tokens"`
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatal(err)
				}
				for i, tok := range rec.Tokens {
					if want := c.PerToken[s][i]; tok.Valid && math.Abs(tok.Divergence-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Errorf("sequence %d token %d: %.15g, PyTorch %.15g", s, i, tok.Divergence, want)
					}
				}
			}
		})
	}
}

func TestLossRCSDPreset(t *testing.T) {
	// The released setting is one flag; flags given override it.
	cfg, code := lossConfig(&lossFlags{preset: "rcsd", missing: "error"}, map[string]bool{}, os.Stderr)
	if code != exitOK || cfg.Loss.Temperature != 1.2 || cfg.Loss.TopK != 20 || cfg.Loss.ClipEntry != 0.05 || cfg.Loss.Support != "teacher-topk" {
		t.Errorf("--preset rcsd gives %+v", cfg.Loss)
	}
	f := &lossFlags{preset: "rcsd", missing: "error"}
	f.o.ClipEntry = 0
	cfg, _ = lossConfig(f, map[string]bool{"clip-entry": true}, os.Stderr)
	if cfg.Loss.ClipEntry != 0 || cfg.Loss.TopK != 20 {
		t.Errorf("--preset rcsd --clip-entry 0 gives %+v", cfg.Loss)
	}
}

func TestLossBadInput(t *testing.T) {
	dir := t.TempDir()
	good := `{"id":"g","student":[{"token_id":1,"logprob":-0.1,"top":[{"token_id":1,"logprob":-0.1},{"token_id":2,"logprob":-2.4}]}],"teacher":[{"token_id":1,"logprob":-0.05,"top":[{"token_id":1,"logprob":-0.05},{"token_id":2,"logprob":-3.5}]}]}`
	lines := []string{
		good,
		`{"id":"len","student":[{"token_id":1,"logprob":-0.1}],"teacher":[]}`,
		`{"id":"tok","student":[{"token_id":1,"logprob":-0.1}],"teacher":[{"token_id":2,"logprob":-0.1}]}`,
		`{"id":"pos","student":[{"token_id":1,"logprob":0.5}],"teacher":[{"token_id":1,"logprob":-0.1}]}`,
		`{"id":"nan","student":[{"token_id":1,"logprob":"NaN"}],"teacher":[{"token_id":1,"logprob":-0.1}]}`,
		`not json`,
		good,
	}
	p := writeFile(t, dir, "t.jsonl", strings.Join(lines, "\n")+"\n")
	out, errOut, code := rcsd(t, "", "loss", "--divergence", "forward", "--support", "teacher-topk", "--topk", "2", p)
	if code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d records written, want the 2 good ones:\n%s", n, out)
	}
	for _, want := range []string{"t.jsonl:2:", "t.jsonl:3:", "t.jsonl:4:", "t.jsonl:5:", "t.jsonl:6:", "trace-empty", "trace-token-mismatch", "trace-positive-logprob", "trace-non-finite-logprob", "5 failed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// A support the trace cannot serve is an error, or a marked floor.
	_, errOut, code = rcsd(t, "", "loss", "--support", "teacher-topk", "--topk", "5", writeFile(t, dir, "g.jsonl", good+"\n"))
	if code != exitBadInput || !strings.Contains(errOut, "trace-short-top") {
		t.Errorf("top-5 from a 2-entry list: exit %d\n%s", code, errOut)
	}
	_, errOut, code = rcsd(t, "", "loss", "--divergence", "forwrd", p)
	if code != exitUsage || !strings.Contains(errOut, "--divergence") {
		t.Errorf("bad divergence: exit %d\n%s", code, errOut)
	}
	_, errOut, code = rcsd(t, "", "loss", "--beta", "0.5", p)
	if code != exitUsage || !strings.Contains(errOut, "jsd") {
		t.Errorf("beta without jsd: exit %d\n%s", code, errOut)
	}
}

// npyF8 writes a [rows, cols] float64 matrix as a NumPy .npy file
// (format 1.0, '<f8', C order), as np.save does.
func npyF8(rows [][]float64) []byte {
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", len(rows), len(rows[0]))
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	b = append(b, header...)
	for _, r := range rows {
		for _, v := range r {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

// TestLossDense: --dense reads the two logit matrices row by row and gives
// PyTorch's per-token values for one sequence of the reference cases.
func TestLossDense(t *testing.T) {
	data, err := os.ReadFile("../../core/distill/testdata/torch_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []torchCase }
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range ref.Cases {
		if c.Name != "jsd-0.5-full" && c.Name != "rcsd-released" {
			continue
		}
		s := writeFile(t, dir, c.Name+"-s.npy", string(npyF8(c.Student[0])))
		tt := writeFile(t, dir, c.Name+"-t.npy", string(npyF8(c.Teacher[0])))
		ids := make([]string, len(c.Tokens[0]))
		for i, id := range c.Tokens[0] {
			ids[i] = fmt.Sprint(id)
		}
		tok := writeFile(t, dir, c.Name+"-tokens.txt", strings.Join(ids, " ")+"\n")
		cfg := writeFile(t, dir, c.Name+".json", `{"schema_version": 1, "loss": `+string(c.Options)+`}`)
		out, errOut, code := rcsd(t, "", "loss", "--config", cfg, "--dense", s+","+tt, tok)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", c.Name, code, errOut)
		}
		var res struct {
			Loss   float64 `json:"loss"`
			Tokens [][]struct {
				Valid      bool    `json:"valid"`
				Divergence float64 `json:"divergence"`
			} `json:"tokens"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		var sum float64
		n := 0
		for i, tk := range res.Tokens[0] {
			want := c.PerToken[0][i]
			if math.Abs(tk.Divergence-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s token %d: %.15g, PyTorch %.15g", c.Name, i, tk.Divergence, want)
			}
			sum += tk.Divergence
			n++
		}
		if math.Abs(res.Loss-sum/float64(n)) > 1e-12 {
			t.Errorf("%s: loss %v, mean of tokens %v", c.Name, res.Loss, sum/float64(n))
		}
	}
	// Mismatched inputs are errors, not guesses.
	s := writeFile(t, dir, "s.npy", string(npyF8([][]float64{{0, 1}, {1, 0}})))
	one := writeFile(t, dir, "one.npy", string(npyF8([][]float64{{0, 1}})))
	tok := writeFile(t, dir, "tok.txt", "1 0")
	if _, errOut, code := rcsd(t, "", "loss", "--dense", s+","+one, tok); code != exitBadInput || !strings.Contains(errOut, "dense-loss") {
		t.Errorf("shape mismatch: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := rcsd(t, "", "loss", "--dense", s+","+s, writeFile(t, dir, "bad.txt", "1 x")); code != exitBadInput || !strings.Contains(errOut, `"x"`) {
		t.Errorf("bad token: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := rcsd(t, "", "loss", "--dense", tok+","+s, tok); code != exitBadInput || !strings.Contains(errOut, "dense-bad-npy") {
		t.Errorf("not an npy: exit %d\n%s", code, errOut)
	}
}
