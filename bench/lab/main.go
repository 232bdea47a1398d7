// Command lab times core/lab/model's pretraining step (forward, masked
// cross-entropy, backward, clip_grad_norm_(1), AdamW) on the reference shape,
// for the side by side with bench/lab/torch_step.py (run both with
// bench/lab/run.sh), and teacher-forced scoring in tokens/s.
//
//	go run ./bench/lab [-workers 2] [-steps 10]
//
// Shape: vocab 512, context 256, width 64, 4 heads, 2 layers; a step is 64
// sequences of 120 tokens. It prints wall and CPU (user+sys) ms per step,
// the median over the timed steps after 3 warm-up steps.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/rcsd-dev/rcsd/bench/internal/rusage"
	"github.com/rcsd-dev/rcsd/core/lab/model"
)

var ref = model.Config{Vocab: 512, Context: 256, Width: 64, Heads: 4, Layers: 2}

const B, T = 64, 120

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	workers := fs.Int("workers", 2, "goroutines for the kernels")
	steps := fs.Int("steps", 10, "timed steps")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := model.New[float32](ref, 1, *workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer m.Close()
	w := m.NewWorkspace(B, T)
	tokens, targets, mask := make([]int32, B*T), make([]int32, B*T), make([]float32, B*T)
	for i := range tokens {
		tokens[i] = int32((i*7 + 3) % ref.Vocab)
		targets[i] = int32((i*11 + 5) % ref.Vocab)
		if (i*5)%7 != 3 {
			mask[i] = 1
		}
	}
	opt := model.NewAdamW[float32](1e-3, 0.1)
	step := func() error {
		m.ZeroGrad()
		if err := m.Forward(w, tokens, B, T); err != nil {
			return err
		}
		if _, err := m.Loss(w, targets, mask); err != nil {
			return err
		}
		if err := m.Backward(w, w.DLogits()); err != nil {
			return err
		}
		model.ClipGradNorm(m.Grads, 1)
		return opt.Step(m.Params, m.Grads)
	}
	for range 3 {
		if err := step(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	var wall, cpu []float64
	for range *steps {
		t0, c0 := time.Now(), rusage.CPUTime()
		if err := step(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		wall = append(wall, float64(time.Since(t0).Microseconds())/1e3)
		cpu = append(cpu, float64((rusage.CPUTime()-c0).Microseconds())/1e3)
	}
	// teacher-forced scoring of a 256-token sequence, one worker's share
	sw := m.NewWorkspace(1, 256)
	toks := make([]int, 256)
	for i := range toks {
		toks[i] = (i*31 + 7) % ref.Vocab
	}
	dst := make([]float32, 255*ref.Vocab)
	t0, c0, n := time.Now(), rusage.CPUTime(), 0
	for time.Since(t0) < time.Second {
		if err := m.LogProbs(sw, toks, 1, dst); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		n++
	}
	sc := (rusage.CPUTime() - c0).Seconds()
	fmt.Printf("go, %d workers: %.1f ms/step wall, %.1f ms/step CPU (median of %d); scoring %.0f tokens/s wall, %.0f tokens per CPU second\n",
		*workers, median(wall), median(cpu), *steps, float64(256*n)/time.Since(t0).Seconds(), float64(256*n)/sc)
	return 0
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}
