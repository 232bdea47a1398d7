// Command labgen writes tasks of the lab world (core/lab/world) as rcsd
// items, JSONL, so the world can be read, validated and evaluated:
//
//	go run ./cmd/internal/labgen -n 20 -seed 1 -split heldout > lab.jsonl
//	bin/rcsd validate lab.jsonl
//	bin/rcsd eval --judge rules --format text lab.jsonl
//
// Train tasks depend on -seed; the held-out split is fixed (its first -n
// of 500 tasks), -seed then only draws the guessed responses.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rcsd-dev/rcsd/core/lab/world"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("labgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20, "number of tasks")
	from := fs.Int("from", 0, "index of the first train task")
	seed := fs.Uint64("seed", 1, "seed of the train tasks and of the responses")
	splitName := fs.String("split", "train", "split: train or heldout")
	level := fs.Int("level", world.DefaultLevel, "difficulty level: 1, 2 or 3")
	responses := fs.Int("responses", 4, "guessed responses per item")
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	split, err := world.ParseSplit(*splitName)
	if err != nil {
		fmt.Fprintln(stderr, "labgen: -split:", err)
		return 2
	}
	switch {
	case *level < 1 || *level > 3:
		fmt.Fprintf(stderr, "labgen: -level %d: want 1, 2 or 3\n", *level)
		return 2
	case *n < 0 || *from < 0 || *responses < 1:
		fmt.Fprintln(stderr, "labgen: -n and -from must be >= 0 and -responses >= 1")
		return 2
	case split == world.HeldOut && *from+*n > world.HeldOutSize:
		fmt.Fprintf(stderr, "labgen: the held-out split has %d tasks; -from %d -n %d asks for more\n", world.HeldOutSize, *from, *n)
		return 2
	}
	tasks, err := tasks(split, *seed, world.Level(*level), *from, *n)
	if err != nil {
		fmt.Fprintln(stderr, "labgen:", err)
		return 1
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "labgen:", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	if err := world.WriteItems(bw, tasks, *responses, *seed); err != nil {
		fmt.Fprintln(stderr, "labgen:", err)
		return 1
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(stderr, "labgen:", err)
		return 1
	}
	return 0
}

// tasks returns tasks [from, from+n) of split.
func tasks(split world.Split, seed uint64, d world.Difficulty, from, n int) ([]*world.Task, error) {
	if split == world.HeldOut {
		all, err := world.HeldOutTasks(d)
		if err != nil {
			return nil, err
		}
		return all[from : from+n], nil
	}
	g, err := world.NewGenerator(seed, d)
	if err != nil {
		return nil, err
	}
	out := make([]*world.Task, n)
	for i := range out {
		out[i] = g.Task(world.Train, from+i)
	}
	return out, nil
}
