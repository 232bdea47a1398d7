package main

import (
	"bufio"
	"fmt"
	"hash/maphash"
	"io"
	"os"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/eval"
)

const mergeHelp = `
Usage: rcsd merge -o OUT.jsonl [--summary FILE] SHARD.jsonl...

Join the outputs of a sharded run ('rcsd eval --shard i/n') into one file,
in the order the shards are given, and summarise the whole. Every line must
be an 'rcsd eval' record. A record that appears in two shards is kept once
when both copies are identical and is an error when they differ. A shard
whose last line was cut by a crash is reported: finish that shard with
'rcsd eval --resume' first.

Examples:
  for i in 1 2 3 4; do rcsd eval --shard $i/4 -o part$i.jsonl items.jsonl & done; wait
  rcsd merge -o all.jsonl --summary summary.json part*.jsonl

Exit codes: 0 merged; 1 conflicting or malformed records; 2 usage error;
3 I/O failure.
`

func runMerge(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", mergeHelp, stderr)
	out := fs.String("o", "", "write the merged records to `FILE` (default standard output)")
	summary := fs.String("summary", "", "write the aggregate in HealthBench's layout to `FILE`")
	seed := fs.Uint("seed", 0, "bootstrap `seed` (NumPy-compatible)")
	boot := fs.Int("bootstrap", 1000, "bootstrap `samples`")
	quiet := fs.Bool("q", false, "no summary table on standard error")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "rcsd merge: give the shard outputs to join (rcsd merge -h)")
		return exitUsage
	}
	var w io.Writer = stdout
	if *out != "" {
		for _, f := range files {
			if f == *out {
				fmt.Fprintf(stderr, "rcsd merge: -o %s is also an input\n", f)
				return exitUsage
			}
		}
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd merge: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	type key struct {
		id string
		i  int
	}
	seen := map[key]uint64{} // line hashes: identical duplicates are dropped
	hseed := maphash.MakeSeed()
	sum := eval.NewSummary()
	status := exitOK
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(stderr, "rcsd merge: %v\n", err)
			return exitFailure
		}
		lr := newLineReader(f, eval.MaxLineBytes)
		var group []eval.Result
		for {
			line, n, tooLong, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				fmt.Fprintf(stderr, "rcsd merge: %s: %v\n", file, err)
				return exitFailure
			}
			if len(trimSpace(line)) == 0 && !tooLong {
				continue
			}
			var res eval.Result
			if tooLong || json.Unmarshal(line, &res) != nil || res.ID == "" {
				fmt.Fprintf(stderr, "%s:%d: error bad-record: not an rcsd eval record (a shard cut by a crash? finish it with rcsd eval --resume)\n", file, n)
				status = exitBadInput
				continue
			}
			k := key{res.ID, res.ResponseIndex}
			h := maphash.Bytes(hseed, line)
			if prev, dup := seen[k]; dup {
				if prev != h {
					fmt.Fprintf(stderr, "%s:%d: error conflicting-record: %q response %d differs from an earlier shard's record\n", file, n, res.ID, res.ResponseIndex)
					status = exitBadInput
				}
				continue
			}
			seen[k] = h
			bw.Write(line)
			bw.WriteByte('\n')
			if len(group) > 0 && group[0].ID != res.ID {
				sum.Add(nil, group)
				group = group[:0]
			}
			group = append(group, res)
		}
		if len(group) > 0 {
			sum.Add(nil, group)
		}
		f.Close()
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintf(stderr, "rcsd merge: %v\n", err)
		return exitFailure
	}
	stats := aggregate(sum, uint32(*seed), *boot)
	if err := writeSummaryFile(*summary, stats); err != nil {
		fmt.Fprintf(stderr, "rcsd merge: %v\n", err)
		return exitFailure
	}
	if !*quiet {
		printSummary(stderr, sum, stats, 0)
	}
	return status
}
