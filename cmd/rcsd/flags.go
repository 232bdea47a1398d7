package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// newFlagSet builds a FlagSet whose -h output is the command's help text
// followed by its flags, written to w.
func newFlagSet(name, help string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rcsd "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprint(w, strings.TrimLeft(help, "\n"))
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args allowing flags after positional arguments
// (`rcsd eval items.jsonl -o out.jsonl`), which Go's flag package stops at.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagsExit is the exit code for parseFlags' error: 0 after -h (the help
// was printed), a usage error otherwise (the flag package said why).
func flagsExit(err error) int {
	if errors.Is(err, errHelp) {
		return exitOK
	}
	return exitUsage
}

// oneFile reports whether files is exactly one input, saying on stderr
// what cmd wants otherwise ("give one items file, or - for standard input").
func oneFile(files []string, cmd, what string, stderr io.Writer) bool {
	if len(files) == 1 {
		return true
	}
	fmt.Fprintf(stderr, "rcsd %s: give one %s file, or - for standard input (rcsd %s -h)\n", cmd, what, cmd)
	return false
}

func suggest(word string, cands []string) string { return diag.Suggest(word, cands) }

// shardFlag is "i/n": process the records whose 0-based line index modulo
// n equals i-1 (shards are numbered from 1).
type shardFlag struct{ i, n int }

func (s *shardFlag) String() string {
	if s.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.i, s.n)
}

func (s *shardFlag) Set(v string) error {
	a, b, ok := strings.Cut(v, "/")
	if !ok {
		return fmt.Errorf("want i/n, e.g. 2/8")
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return fmt.Errorf("want i/n with 1 <= i <= n, e.g. 2/8")
	}
	s.i, s.n = i, n
	return nil
}

// keep reports whether the record at 1-based line belongs to the shard.
func (s *shardFlag) keep(line int) bool {
	return s.n <= 1 || (line-1)%s.n == s.i-1
}
