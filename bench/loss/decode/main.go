// Command decode times ways of decoding bench/loss trace lines with the
// JSON libraries rcsd already uses, to see how much of trace.Parse's time
// its decoding choices cost. It is an experiment beside the benchmark, not
// part of it: none of the variants validates a trace or builds
// lm.Positions as trace.Parse does.
//
//   - "stream + strconv": what trace.Parse's fast path does — a go-json
//     Decoder over bytes.NewReader(line) with DisallowUnknownFields and
//     DecodeNoCopyString into the same wire types (numbers as json.Number
//     strings), then strconv.ParseInt / ParseFloat on every number;
//   - the same decoding without the strconv pass;
//   - go-json UnmarshalNoEscape from the line in memory, same types, + strconv;
//   - int and float64 fields (no json.Number), by UnmarshalNoEscape and by
//     the Decoder, with DisallowUnknownFields;
//   - encoding/json Unmarshal into the int/float64 types, for reference.
//
// Lines are read one at a time and copied, as rcsd's reader does, so the
// garbage collector runs with the small live heap it has in rcsd. Each
// variant makes -passes passes over the file; the fastest is printed.
//
// usage: go run ./bench/loss/decode [-passes 3] [-lines N] TRACES.jsonl
package main

import (
	"bufio"
	"bytes"
	stdjson "encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	json "github.com/goccy/go-json"
)

// The wire types of core/trace's fast path (core/trace/parse.go).
type wireAlt struct {
	TokenID json.Number `json:"token_id"`
	Token   string      `json:"token"`
	LogProb json.Number `json:"logprob"`
}

type wirePos struct {
	TokenID json.Number `json:"token_id"`
	Token   string      `json:"token"`
	LogProb json.Number `json:"logprob"`
	Top     []wireAlt   `json:"top"`
}

type rawRef []byte

func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

type wireTrace struct {
	SchemaVersion json.Number          `json:"schema_version"`
	ID            rawRef               `json:"id"`
	Student       []wirePos            `json:"student"`
	Teacher       []wirePos            `json:"teacher"`
	Criteria      map[string][]wirePos `json:"criteria"`
	ThinkEndToken json.Number          `json:"think_end_token"`
	Mask          rawRef               `json:"mask"`
	Meta          rawRef               `json:"meta"`
}

// The same records with typed numbers.
type typedAlt struct {
	TokenID int     `json:"token_id"`
	Token   string  `json:"token"`
	LogProb float64 `json:"logprob"`
}

type typedPos struct {
	TokenID int        `json:"token_id"`
	Token   string     `json:"token"`
	LogProb float64    `json:"logprob"`
	Top     []typedAlt `json:"top"`
}

type typedTrace struct {
	SchemaVersion int                   `json:"schema_version"`
	ID            rawRef                `json:"id"`
	Student       []typedPos            `json:"student"`
	Teacher       []typedPos            `json:"teacher"`
	Criteria      map[string][]typedPos `json:"criteria"`
	ThinkEndToken int                   `json:"think_end_token"`
	Mask          []bool                `json:"mask"`
	Meta          rawRef                `json:"meta"`
}

// numbers reads every number of w as trace.Parse's fastPositions does.
func numbers(w *wireTrace) error {
	for _, side := range [][]wirePos{w.Student, w.Teacher} {
		for i := range side {
			p := &side[i]
			if _, err := strconv.ParseInt(string(p.TokenID), 10, 64); err != nil {
				return err
			}
			if _, err := strconv.ParseFloat(string(p.LogProb), 64); err != nil {
				return err
			}
			for j := range p.Top {
				if _, err := strconv.ParseInt(string(p.Top[j].TokenID), 10, 64); err != nil {
					return err
				}
				if _, err := strconv.ParseFloat(string(p.Top[j].LogProb), 64); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func stream(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	return dec.DecodeWithOption(v, json.DecodeNoCopyString())
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	passes := fs.Int("passes", 3, "passes per variant; the fastest is printed")
	maxLines := fs.Int("lines", 200, "read the first `N` lines (0: all)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: decode [-passes 3] [-lines N] TRACES.jsonl")
		return 2
	}
	variants := []struct {
		name string
		fn   func([]byte) error
	}{
		{"stream + strconv (trace.Parse's fast path)", func(l []byte) error {
			var w wireTrace
			if err := stream(l, &w); err != nil {
				return err
			}
			return numbers(&w)
		}},
		{"stream, json.Number fields, no strconv", func(l []byte) error {
			var w wireTrace
			return stream(l, &w)
		}},
		{"UnmarshalNoEscape + strconv", func(l []byte) error {
			var w wireTrace
			if err := json.UnmarshalNoEscape(l, &w, json.DecodeNoCopyString()); err != nil {
				return err
			}
			return numbers(&w)
		}},
		{"UnmarshalNoEscape, int/float64 fields", func(l []byte) error {
			var w typedTrace
			return json.UnmarshalNoEscape(l, &w, json.DecodeNoCopyString())
		}},
		{"stream, int/float64 fields", func(l []byte) error {
			var w typedTrace
			return stream(l, &w)
		}},
		{"encoding/json Unmarshal, int/float64 fields", func(l []byte) error {
			var w typedTrace
			return stdjson.Unmarshal(l, &w)
		}},
	}
	for _, v := range variants {
		best := time.Duration(-1)
		var nbytes int64
		for range *passes {
			f, err := os.Open(fs.Arg(0))
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			r := bufio.NewReaderSize(f, 1<<20)
			nbytes = 0
			var buf []byte
			start := time.Now()
			for n := 0; *maxLines == 0 || n < *maxLines; n++ {
				buf = buf[:0]
				var rerr error
				for {
					frag, e := r.ReadSlice('\n')
					buf = append(buf, frag...)
					if e != bufio.ErrBufferFull {
						rerr = e
						break
					}
				}
				line := bytes.TrimSpace(buf)
				if len(line) > 0 {
					nbytes += int64(len(buf))
					if err := v.fn(append([]byte(nil), line...)); err != nil {
						fmt.Fprintf(stderr, "%s: line %d: %v\n", v.name, n+1, err)
						f.Close()
						return 1
					}
				}
				if rerr != nil {
					break
				}
			}
			d := time.Since(start)
			f.Close()
			if best < 0 || d < best {
				best = d
			}
		}
		fmt.Fprintf(stdout, "%-46s %7.2f s %7.1f MB/s\n", v.name, best.Seconds(), float64(nbytes)/1e6/best.Seconds())
	}
	return 0
}
