// Command loss runs the path `rcsd loss` takes for each trace, on one
// goroutine, timing each stage apart and optionally writing a CPU profile,
// to see where rcsd's time goes on bench/loss data (written by gen.py).
// rcsd loss itself has no profiling flag.
//
// Per line, as cmd/rcsd's runLossFile and api.LossComputer.Line do it:
// read the line (a 1 MiB bufio.Reader), trace.Parse, trace.Computer.Compute
// with the released RCSD kernel, api.CheckLoss (the first-token spike,
// heavy-clipping and leakage checks), trace.Batch.Add, and the output
// record encoded with go-json as rcsd encodes it (with the per-token
// outputs, or without them as --no-tokens) and discarded. It prints the
// batch loss and the seconds spent in each stage (wall time read around
// each call; the stages add up to the total within the timer overhead).
//
// usage: go run ./bench/loss [-no-tokens] [-cpuprofile FILE] TRACES.jsonl
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/trace"

	"github.com/rcsd-dev/rcsd/bench/internal/rusage"
)

// lossRecord is cmd/rcsd's output record (cmd/rcsd/loss.go).
type lossRecord struct {
	*trace.Result
	EngineVersion string `json:"engine_version"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loss", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noTokens := fs.Bool("no-tokens", false, "encode the records without the per-token outputs (rcsd loss --no-tokens)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to `FILE`")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: loss [-no-tokens] [-cpuprofile FILE] TRACES.jsonl")
		return 2
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer f.Close()
	k, err := distill.NewKernel(distill.RCSDReleased())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	comp, err := trace.NewComputer(k, trace.Options{})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	var tRead, tParse, tCompute, tCheck, tBatch, tEncode time.Duration
	var nbytes, nrec, nwarn, outBytes int
	batch := trace.NewBatch(distill.TokenMean)
	r := bufio.NewReaderSize(f, 1<<20)
	var buf []byte
	cpu0 := rusage.CPUTime()
	start := time.Now()
	for lineNo := 1; ; lineNo++ {
		t0 := time.Now()
		buf = buf[:0]
		var rerr error
		for {
			frag, e := r.ReadSlice('\n')
			buf = append(buf, frag...)
			if e == bufio.ErrBufferFull {
				continue
			}
			rerr = e
			break
		}
		line := bytes.TrimRight(buf, "\r\n")
		t1 := time.Now()
		tRead += t1.Sub(t0)
		if len(bytes.TrimSpace(line)) == 0 {
			if rerr != nil {
				break
			}
			continue
		}
		nbytes += len(buf)
		// rcsd copies each line before handing it to a worker.
		tr, dl := trace.Parse(append([]byte(nil), line...), lineNo, fs.Arg(0))
		t2 := time.Now()
		tParse += t2.Sub(t1)
		if tr == nil || dl.HasErrors() {
			fmt.Fprintln(stderr, dl)
			return 1
		}
		res, err := comp.Compute(tr)
		t3 := time.Now()
		tCompute += t3.Sub(t2)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		// api.LossComputer.Line also keeps the token texts for --format text.
		text := make([]string, len(tr.Student))
		for i, p := range tr.Student {
			text[i] = p.Token
		}
		_ = text
		nwarn += len(api.CheckLoss(tr, &res, fs.Arg(0), lineNo))
		t4 := time.Now()
		tCheck += t4.Sub(t3)
		batch.Add(&res)
		t5 := time.Now()
		tBatch += t5.Sub(t4)
		rec := res
		if *noTokens {
			rec.Tokens = nil
		}
		b, err := json.Marshal(lossRecord{Result: &rec, EngineVersion: api.EngineVersion})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		outBytes += len(b) + 1
		tEncode += time.Since(t5)
		nrec++
		if rerr != nil {
			break
		}
	}
	total := time.Since(start)
	cpu := rusage.CPUTime() - cpu0
	s := batch.Summary()
	fmt.Fprintf(stdout, "traces=%d tokens=%d clipped_tokens=%d loss=%.17g warnings=%d\n", s.Traces, s.ValidTokens, s.ClippedTokens, s.Loss, nwarn)
	fmt.Fprintf(stdout, "input %.1f MB, records %.1f MB (discarded); wall %.2f s, cpu %.2f s, %.1f MB/s, %.0f tokens/s\n",
		float64(nbytes)/1e6, float64(outBytes)/1e6, total.Seconds(), cpu.Seconds(),
		float64(nbytes)/1e6/total.Seconds(), float64(s.ValidTokens)/total.Seconds())
	pct := func(d time.Duration) string {
		return fmt.Sprintf("%6.2f s %5.1f%%", d.Seconds(), 100*d.Seconds()/total.Seconds())
	}
	fmt.Fprintf(stdout, "  read lines        %s\n", pct(tRead))
	fmt.Fprintf(stdout, "  trace.Parse       %s  (%.1f MB/s)\n", pct(tParse), float64(nbytes)/1e6/tParse.Seconds())
	fmt.Fprintf(stdout, "  Computer.Compute  %s  (%.0f tokens/s)\n", pct(tCompute), float64(s.ValidTokens)/tCompute.Seconds())
	fmt.Fprintf(stdout, "  api.CheckLoss     %s\n", pct(tCheck))
	fmt.Fprintf(stdout, "  Batch.Add         %s\n", pct(tBatch))
	fmt.Fprintf(stdout, "  encode record     %s\n", pct(tEncode))
	return 0
}
