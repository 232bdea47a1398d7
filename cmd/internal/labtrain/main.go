// Command labtrain pretrains the lab model on the lab world's corpus,
// prints its held-out evaluation and writes a gzipped checkpoint:
//
//	go run ./cmd/internal/labtrain -steps 3000 -seed 1 -o core/lab/checkpoint.bin.gz
//	go run ./cmd/internal/labtrain -load core/lab/checkpoint.bin.gz   # evaluate only
//
// Progress goes to stderr every -every steps (and a held-out evaluation on
// -eval-tasks tasks every -eval-every steps, 0: only at the end).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/rcsd-dev/rcsd/core/lab/model"
	"github.com/rcsd-dev/rcsd/core/lab/pretrain"
)

func main() {
	c := pretrain.DefaultConfig()
	flag.IntVar(&c.Steps, "steps", c.Steps, "optimiser steps")
	flag.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the initialisation and the corpus")
	flag.IntVar(&c.Batch, "batch", c.Batch, "sequences per step")
	flag.IntVar(&c.Model.Width, "width", c.Model.Width, "model width")
	flag.IntVar(&c.Model.Heads, "heads", c.Model.Heads, "attention heads")
	flag.IntVar(&c.Model.Layers, "layers", c.Model.Layers, "transformer blocks")
	flag.IntVar(&c.Level, "level", c.Level, "world level 1–3")
	flag.Float64Var(&c.LR, "lr", c.LR, "peak learning rate")
	flag.Float64Var(&c.MinLR, "min-lr", c.MinLR, "final learning rate")
	flag.IntVar(&c.Warmup, "warmup", c.Warmup, "warmup steps")
	flag.Float64Var(&c.WeightDecay, "wd", c.WeightDecay, "AdamW weight decay")
	flag.Float64Var(&c.Clip, "clip", c.Clip, "gradient-norm clip (0: off)")
	flag.IntVar(&c.Workers, "workers", c.Workers, "kernel goroutines")
	out := flag.String("o", "", "write the gzipped checkpoint here")
	every := flag.Int("every", 50, "print progress every N steps")
	evalEvery := flag.Int("eval-every", 0, "evaluate on -eval-tasks held-out tasks every N steps (0: only at the end)")
	evalTasks := flag.Int("eval-tasks", 100, "held-out tasks per intermediate evaluation")
	finalTasks := flag.Int("final-tasks", 500, "held-out tasks in the final evaluation")
	ckEvery := flag.Int("checkpoint-every", 0, "also write the checkpoint every N steps (to -o with .stepN inserted)")
	load := flag.String("load", "", "evaluate this gzipped checkpoint instead of training")
	flag.Parse()
	if *load != "" {
		if err := evaluate(*load, c.Level, *finalTasks, c.Workers); err != nil {
			fmt.Fprintln(os.Stderr, "labtrain:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(c, *out, *every, *evalEvery, *evalTasks, *finalTasks, *ckEvery); err != nil {
		fmt.Fprintln(os.Stderr, "labtrain:", err)
		os.Exit(1)
	}
}

func run(c pretrain.Config, out string, every, evalEvery, evalTasks, finalTasks, ckEvery int) error {
	tr, err := pretrain.NewTrainer(c)
	if err != nil {
		return err
	}
	defer tr.Close()
	cj, _ := json.Marshal(c)
	fmt.Fprintf(os.Stderr, "config %s\nparameters %d, GOMAXPROCS %d\n", cj, c.Model.NumParams(), runtime.GOMAXPROCS(0))
	start := time.Now()
	var lossSum float64
	var lossN int
	err = tr.Run(func(p pretrain.Progress) error {
		lossSum += p.Loss
		lossN++
		if p.Step%every == 0 || p.Step == c.Steps {
			fmt.Fprintf(os.Stderr, "step %d/%d loss %.4f (mean of last %d) lr %.2e grad %.3f elapsed %s\n",
				p.Step, c.Steps, lossSum/float64(lossN), lossN, p.LR, p.GradNorm, time.Since(start).Round(time.Second))
			lossSum, lossN = 0, 0
		}
		if evalEvery > 0 && p.Step%evalEvery == 0 && p.Step < c.Steps {
			ev, err := pretrain.Evaluate(tr.Model, pretrain.EvalConfig{Level: c.Level, Tasks: evalTasks})
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "eval step %d (%d tasks): teacher %.3f student %.3f gap %.3f ppl teacher %.3f student %.3f\n",
				p.Step, ev.Tasks, ev.Teacher.Score, ev.Student.Score, ev.Gap, ev.Teacher.Perplexity, ev.Student.Perplexity)
		}
		if ckEvery > 0 && out != "" && p.Step%ckEvery == 0 && p.Step < c.Steps {
			if _, err := write(fmt.Sprintf("%s.step%d", out, p.Step), tr.Model); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	wall := time.Since(start)
	if out != "" {
		n, err := write(out, tr.Model)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (%d bytes gzip)\n", out, n)
	}
	es := time.Now()
	ev, err := pretrain.Evaluate(tr.Model, pretrain.EvalConfig{Level: c.Level, Tasks: finalTasks})
	if err != nil {
		return err
	}
	fmt.Printf("pretraining: %d steps of %d sequences, seed %d, %d parameters, %s wall (evaluation %s)\n",
		c.Steps, c.Batch, c.Seed, c.Model.NumParams(), wall.Round(time.Second), time.Since(es).Round(time.Second))
	report(os.Stdout, ev)
	return nil
}

func evaluate(path string, level, tasks, workers int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := pretrain.ReadCheckpoint(f, workers)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer m.Close()
	es := time.Now()
	ev, err := pretrain.Evaluate(m, pretrain.EvalConfig{Level: level, Tasks: tasks})
	if err != nil {
		return err
	}
	fmt.Printf("checkpoint %s: %d parameters, evaluation %s\n", path, m.Config().NumParams(), time.Since(es).Round(time.Second))
	report(os.Stdout, ev)
	return nil
}

func report(w io.Writer, ev *pretrain.Eval) {
	fmt.Fprintf(w, "held-out tasks %d (greedy)\n", ev.Tasks)
	fmt.Fprintf(w, "            RaR score  healthbench  <eos>  ref perplexity\n")
	for _, s := range []struct {
		name string
		s    pretrain.Side
	}{{"teacher", ev.Teacher}, {"student", ev.Student}} {
		fmt.Fprintf(w, "%-10s  %9.3f  %11.3f  %5.3f  %14.3f\n", s.name, s.s.Score, s.s.HealthBench, s.s.EOS, s.s.Perplexity)
	}
	fmt.Fprintf(w, "gap (teacher − student) %.3f\n", ev.Gap)
	fmt.Fprintf(w, "per-criterion met rate (pitfalls: fell in)   teacher  student      n\n")
	for i, r := range ev.Teacher.Criteria {
		fmt.Fprintf(w, "  %-18s                            %7.3f  %7.3f  %5d\n", r.Kind, r.Rate, ev.Student.Criteria[i].Rate, r.N)
	}
	fmt.Fprintf(w, "example prompt: %s\nteacher: %s\nstudent: %s\n", ev.Prompt, ev.TeacherAnswer, ev.StudentAnswer)
}

func write(path string, m *model.Model[float32]) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	if err := pretrain.WriteCheckpoint(f, m); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}
