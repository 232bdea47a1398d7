// Command decodefloor measures the floor under rcsd's ingest speed: the
// time goccy/go-json takes to decode HealthBench-shaped rows into plain
// typed structs (no strictness, no rubric checks, no scoring), beside
// CPython's json.loads on the same lines, which decodefloor.py times.
// If this ratio is small, no tuning around go-json reaches 2× Python.
//
// usage: go run ./bench/ingest/decodefloor bench/out/items-small.jsonl
package main

import (
	"bufio"
	"fmt"
	"os"
	"time"

	json "github.com/goccy/go-json"
)

type criterion struct {
	Criterion string   `json:"criterion"`
	Points    float64  `json:"points"`
	Tags      []string `json:"tags"`
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type row struct {
	PromptID    string      `json:"prompt_id"`
	Prompt      []message   `json:"prompt"`
	Rubrics     []criterion `json:"rubrics"`
	Response    string      `json:"response"`
	Labels      []bool      `json:"labels"`
	ExampleTags []string    `json:"example_tags"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: decodefloor ITEMS.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	best := time.Duration(1 << 62)
	for range 5 {
		t := time.Now()
		for _, l := range lines {
			var r row
			if err := json.Unmarshal(l, &r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		best = min(best, time.Since(t))
	}
	fmt.Printf("go-json typed decode: %d rows in %v (best of 5)\n", len(lines), best)
}
