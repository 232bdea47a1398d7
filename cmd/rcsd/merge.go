package main

import (
	"bufio"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/eval"
)

const mergeHelp = `
Usage: rcsd merge -o OUT.jsonl [--summary FILE] SHARD.jsonl...

Join the outputs of a sharded run ('rcsd eval --shard i/n') into one file,
in the order the shards are given, and summarise the whole. Every line must
be an 'rcsd eval' record. A record that appears in two shards is kept once
when both copies are identical and is an error when they differ.

Each shard's run record (SHARD.jsonl.run.json, written by 'rcsd eval')
must show one finished run: the same settings and input, shards 1 to n of
the same n, each once, none changed since its run wrote it. Otherwise
nothing is merged and the message names the files: a shard still running
or interrupted is finished with 'rcsd eval --resume'. --unchecked joins
files without run records (an older rcsd's, or made by hand).

The merge is all or nothing: the records go to a temporary file that
replaces -o (or is copied to standard output) only after every shard was
read whole without error.

Examples:
  for i in 1 2 3 4; do rcsd eval --shard $i/4 -o part$i.jsonl items.jsonl & done; wait
  rcsd merge -o all.jsonl --summary summary.json part*.jsonl

Exit codes: 0 merged; 1 shards that are not one finished run, conflicting
or malformed records (nothing written); 2 usage error; 3 I/O failure.
`

func runMerge(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", mergeHelp, stderr)
	out := fs.String("o", "", "write the merged records to `FILE` (default standard output)")
	summary := fs.String("summary", "", "write the aggregate in HealthBench's layout to `FILE`")
	seed := fs.Uint("seed", 0, "bootstrap `seed` (NumPy-compatible)")
	boot := fs.Int("bootstrap", 1000, "bootstrap `samples`")
	quiet := fs.Bool("q", false, "no summary table on standard error")
	unchecked := fs.Bool("unchecked", false, "join files without run records, without checking that they are the shards of one finished run")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagsExit(err)
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "rcsd merge: give the shard outputs to join (rcsd merge -h)")
		return exitUsage
	}
	m := &merger{files: files, out: *out, stdout: stdout, stderr: stderr, checked: !*unchecked}
	var inputs, outputs []namedPath
	for _, f := range files {
		inputs = append(inputs, namedPath{role: "the shard", path: f})
	}
	for _, o := range []namedPath{{role: "-o", path: *out}, {role: "--summary", path: *summary}} {
		if o.path != "" && o.path != "-" {
			outputs = append(outputs, o)
		}
	}
	if code := checkPaths("merge", inputs, outputs, stderr); code != exitOK {
		return code
	}
	if m.toFile() && isRegularOrAbsent(m.out) {
		l, err := lockOutput(m.out, "rcsd merge")
		if err != nil {
			fmt.Fprintf(stderr, "rcsd merge: %v\n", err)
			return exitFailure
		}
		defer l.release()
	}
	if m.checked {
		if code := m.checkShards(); code != exitOK {
			return code
		}
	}
	sum, code := m.merge()
	if code != exitOK {
		return code
	}
	stats := aggregate(sum, uint32(*seed), *boot)
	if err := writeSummaryFile(*summary, stats); err != nil {
		fmt.Fprintf(stderr, "rcsd merge: %v\n", err)
		return exitFailure
	}
	if !*quiet {
		printSummary(stderr, sum, stats, 0)
	}
	return exitOK
}

// merger is one `rcsd merge`.
type merger struct {
	files          []string
	out            string
	stdout, stderr io.Writer
	checked        bool
	shards         []eval.Shard // with checked, one per file
}

func (m *merger) toFile() bool { return m.out != "" && m.out != "-" }

// checkShards reads every shard's run record and refuses a set that is
// not exactly one finished run.
func (m *merger) checkShards() int {
	status := exitOK
	for _, f := range m.files {
		rec, err := readRunRecord(f)
		switch {
		case err != nil:
			fmt.Fprintln(m.stderr, err)
			status = exitBadInput
		case rec == nil:
			fmt.Fprintf(m.stderr, "%s: error no-run-record: there is no run record %s saying which run wrote it (an older rcsd's output, or a file made by hand) (merge with --unchecked to join files without checking that they form one run)\n", f, runRecordPath(f))
			status = exitBadInput
		default:
			m.shards = append(m.shards, eval.Shard{File: f, Run: rec})
		}
	}
	if status == exitOK {
		dl := eval.CheckShards(m.shards)
		for _, d := range dl {
			fmt.Fprintln(m.stderr, d.String())
		}
		if dl.HasErrors() {
			status = exitBadInput
		}
	}
	if status != exitOK {
		m.nothingWritten()
	}
	return status
}

func (m *merger) nothingWritten() {
	if m.toFile() {
		fmt.Fprintf(m.stderr, "rcsd merge: nothing merged; %s is unchanged\n", m.out)
	} else {
		fmt.Fprintln(m.stderr, "rcsd merge: nothing merged")
	}
}

// merge joins the shards into a temporary file and, when every shard was
// read whole without error, puts it in place: renamed over -o (a regular
// file) or copied to standard output or the device -o names.
func (m *merger) merge() (*eval.Summary, int) {
	dir, pattern := "", "rcsd-merge-*.jsonl"
	regular := m.toFile() && isRegularOrAbsent(m.out)
	target := m.out
	if regular {
		if real, err := filepath.EvalSymlinks(m.out); err == nil {
			target = real
		}
		dir, pattern = filepath.Dir(target), "."+filepath.Base(target)+".merge*"
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		fmt.Fprintf(m.stderr, "rcsd merge: %v\n", err)
		return nil, exitFailure
	}
	placed := false
	defer func() {
		if !placed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	written := newCountingDigest()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, written), 1<<20)
	sum, status := m.join(bw)
	if status == exitOK {
		if err := bw.Flush(); err != nil {
			fmt.Fprintf(m.stderr, "rcsd merge: %v\n", err)
			status = exitFailure
		}
	}
	if status != exitOK {
		m.nothingWritten()
		return nil, status
	}
	fail := func(err error) (*eval.Summary, int) {
		fmt.Fprintf(m.stderr, "rcsd merge: %v\n", err)
		return nil, exitFailure
	}
	if !regular {
		w := m.stdout
		if m.toFile() {
			f, err := os.OpenFile(m.out, os.O_WRONLY, 0)
			if err != nil {
				return fail(err)
			}
			defer f.Close()
			w = f
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return fail(err)
		}
		if _, err := io.Copy(w, tmp); err != nil {
			return fail(err)
		}
		return sum, exitOK
	}
	// A stale run record must not describe the new file: remove it
	// first, write the new one after the rename.
	if err := os.Remove(runRecordPath(m.out)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fail(err)
	}
	placed = true
	if m.checked {
		first := m.shards[0].Run
		rec := &eval.RunRecord{Producer: first.Producer, Settings: first.Settings, Complete: true,
			Run:     eval.RunID{Config: first.Run.Config, Input: first.Run.Input, Shard: 1, Of: 1},
			Records: written.lines, OutputSHA256: written.sum()}
		for _, s := range m.shards {
			rec.Skipped += s.Run.Skipped
		}
		if err := writeRunRecord(m.out, rec); err != nil {
			return fail(err)
		}
	}
	return sum, exitOK
}

// join reads every shard whole into w, checking each record, and with
// run records that each shard still holds what its run wrote.
func (m *merger) join(w io.Writer) (*eval.Summary, int) {
	type key struct {
		id string
		i  int
	}
	seen := map[key]uint64{} // line hashes: identical duplicates are dropped
	hseed := maphash.MakeSeed()
	sum := eval.NewSummary()
	status := exitOK
	for k, file := range m.files {
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(m.stderr, "rcsd merge: %v\n", err)
			return nil, exitFailure
		}
		read := newCountingDigest()
		lr := newLineReader(io.TeeReader(f, read), eval.MaxLineBytes)
		var group []eval.Result
		for {
			line, n, tooLong, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				fmt.Fprintf(m.stderr, "rcsd merge: %s: %v\n", file, err)
				return nil, exitFailure
			}
			if len(trimSpace(line)) == 0 && !tooLong {
				continue
			}
			var res eval.Result
			if tooLong || json.Unmarshal(line, &res) != nil || res.ID == "" {
				fmt.Fprintf(m.stderr, "%s:%d: error bad-record: not an rcsd eval record (a shard cut by a crash? finish it with rcsd eval --resume)\n", file, n)
				status = exitBadInput
				continue
			}
			k := key{res.ID, res.ResponseIndex}
			h := maphash.Bytes(hseed, line)
			if prev, dup := seen[k]; dup {
				if prev != h {
					fmt.Fprintf(m.stderr, "%s:%d: error conflicting-record: %q response %d differs from an earlier shard's record\n", file, n, res.ID, res.ResponseIndex)
					status = exitBadInput
				}
				continue
			}
			seen[k] = h
			w.Write(line)
			w.Write([]byte{'\n'})
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
		if m.checked {
			rec := m.shards[k].Run
			if d := read.sum(); read.lines != rec.Records || d != rec.OutputSHA256 {
				fmt.Fprintf(m.stderr, "%s: error changed-shard: it holds %d line(s) (sha256 %.12s) but its run wrote %d (sha256 %.12s): it was cut, edited or appended to since (finish or redo it with rcsd eval --resume)\n",
					file, read.lines, d, rec.Records, rec.OutputSHA256)
				status = exitBadInput
			}
		}
	}
	return sum, status
}
