// Command rules runs the rules judge over bench/rules data (written by
// gen.py) and prints the same summary line as rules.py, so run.sh can
// check both agree before comparing their speed. The second line gives the
// best wall time over the passes, and the least user+sys CPU time a pass
// took.
//
// usage: go run ./bench/rules [-passes N] DATA.json
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"

	"github.com/rcsd-dev/rcsd/bench/internal/rusage"
)

type data struct {
	Rubrics []rubric.Rubric `json:"rubrics"`
	Items   []struct {
		Rubric   int    `json:"rubric"`
		Response string `json:"response"`
	} `json:"items"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	passes := fs.Int("passes", 3, "timed passes over the data; the best is reported")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: rules [-passes N] DATA.json")
		return 2
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var d data
	if err := json.Unmarshal(b, &d); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	nbytes := 0
	for _, it := range d.Items {
		nbytes += len(it.Response)
	}
	ctx := context.Background()
	var best, bestCPU time.Duration
	var bits strings.Builder
	for p := 0; p < *passes; p++ {
		bits.Reset()
		j := judge.NewRules() // a fresh judge: compilation is timed too
		c0 := rusage.CPUTime()
		t0 := time.Now()
		for i := range d.Items {
			it := &d.Items[i]
			for _, v := range j.Judge(ctx, &judge.Input{Response: it.Response, Rubric: &d.Rubrics[it.Rubric]}) {
				if v.Met != nil && *v.Met {
					bits.WriteByte('1')
				} else {
					bits.WriteByte('0')
				}
			}
		}
		dt := time.Since(t0)
		cpu := rusage.CPUTime() - c0
		if p == 0 || dt < best {
			best = dt
		}
		if p == 0 || cpu < bestCPU {
			bestCPU = cpu
		}
	}
	s := bits.String()
	sum := sha256.Sum256([]byte(s))
	fmt.Fprintf(stdout, "go items=%d verdicts=%d met=%d sha256=%x\n", len(d.Items), len(s), strings.Count(s, "1"), sum[:8])
	sec := best.Seconds()
	fmt.Fprintf(stdout, "go seconds=%.3f responses/s=%.0f MB/s=%.2f cpu_seconds=%.3f\n", sec, float64(len(d.Items))/sec, float64(nbytes)/sec/1e6, bestCPU.Seconds())
	return 0
}
