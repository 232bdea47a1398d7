package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/rcsd-dev/rcsd/core/eval"
)

// The files of an eval run: every output is checked before any work
// (writable, not an input, not another output), -o is locked for the
// run, and a JSONL -o gets a run record (FILE.run.json) saying which run
// wrote it, so --resume and `rcsd merge` refuse to mix runs.

// cachePath is the llm reply cache: --judge-cache, else -o FILE + .cache
// when -o is a regular file (never /dev/null.cache).
func (o *evalOptions) cachePath() string {
	if o.judgeCache != "" || o.out == "" || o.out == "-" || !isRegularOrAbsent(o.out) {
		return o.judgeCache
	}
	return o.out + ".cache"
}

// checkEvalPaths checks every file the run will write against every file
// it reads, before anything is read or judged.
func checkEvalPaths(o *evalOptions, files []string, stdin io.Reader, stderr io.Writer) int {
	var inputs, outputs []namedPath
	for _, f := range files {
		if f == "-" {
			if sf, ok := stdin.(*os.File); ok {
				if st, err := sf.Stat(); err == nil {
					inputs = append(inputs, namedPath{role: "standard input", path: "-", info: st})
				}
			}
			continue
		}
		inputs = append(inputs, namedPath{role: "the input", path: f})
	}
	if o.rubricFile != "" {
		inputs = append(inputs, namedPath{role: "--rubric", path: o.rubricFile})
	}
	if o.configFile != "" {
		inputs = append(inputs, namedPath{role: "--config", path: o.configFile})
	}
	add := func(role, p string) {
		if p != "" && p != "-" {
			outputs = append(outputs, namedPath{role: role, path: p})
		}
	}
	add("-o", o.out)
	add("--summary", o.summary)
	add("--report", o.reportFile)
	if o.judgeURL != "" {
		add("--judge-cache", o.cachePath())
	}
	add("--cpuprofile", o.cpuProfile)
	return checkPaths("eval", inputs, outputs, stderr)
}

// digestInputs computes the sha256 of every regular input file before
// the run; standard input and pipes are hashed as they are read.
func (r *evalRun) digestInputs(files []string) int {
	r.digests = make([]string, len(files))
	if r.opts.out == "" || r.opts.out == "-" || !isRegularOrAbsent(r.opts.out) || r.opts.format != "jsonl" {
		return exitOK // no run record: nothing needs the digests
	}
	for i, f := range files {
		if f == "-" {
			continue
		}
		if st, err := os.Stat(f); err != nil || !st.Mode().IsRegular() {
			continue // reported when read, or hashed as read
		}
		d, err := digestFile(f)
		if err != nil {
			fmt.Fprintf(r.stderr, "rcsd eval: %v\n", err)
			return exitFailure
		}
		r.digests[i] = d
	}
	return exitOK
}

// runID is this run's identity; Input is "" until every input is read.
func (r *evalRun) runID() eval.RunID {
	id := eval.RunID{Config: r.settings.Fingerprint(), Shard: 1, Of: 1}
	if r.opts.shard.n > 0 {
		id.Shard, id.Of = r.opts.shard.i, r.opts.shard.n
	}
	for _, d := range r.digests {
		if d == "" {
			return id
		}
	}
	id.Input = eval.InputFingerprint(r.digests)
	return id
}

// checkResumeRecord refuses to resume into an output that another run
// wrote: other settings, another shard or another input. An output with
// no run record (an older rcsd's) is resumed as before.
func (r *evalRun) checkResumeRecord() int {
	o := &r.opts
	old, err := readRunRecord(o.out)
	if err != nil {
		fmt.Fprintf(r.stderr, "rcsd eval: --resume: %v\n", err)
		return exitFailure
	}
	if old == nil {
		return exitOK
	}
	id := r.runID()
	refuse := func(why string) int {
		fmt.Fprintf(r.stderr, "rcsd eval: --resume: %s was written by another run (%s); resume it with that run's flags and input, or start again with --overwrite\n", o.out, why)
		return exitUsage
	}
	switch {
	case old.Run.Config != id.Config:
		d := strings.Join(old.Settings.Differences(r.settings), ", ")
		if d == "" {
			d = "other settings"
		}
		return refuse(d)
	case old.Run.Shard != id.Shard || old.Run.Of != id.Of:
		return refuse(fmt.Sprintf("%s, not %s", old.Run, id))
	case old.Run.Input != "" && id.Input != "" && old.Run.Input != id.Input:
		return refuse(fmt.Sprintf("input sha256 %.12s, not %.12s", old.Run.Input, id.Input))
	}
	return exitOK
}

// writeRunRecord writes the record of a run that has started: not
// complete, so a merge refuses the output until the run ends. A text
// output has no record; an earlier one is removed.
func (r *evalRun) writeRunRecord() error {
	if r.opts.format != "jsonl" {
		if err := os.Remove(runRecordPath(r.opts.out)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	r.runRec = &eval.RunRecord{Producer: r.settings.Engine, Run: r.runID(), Settings: r.settings}
	return writeRunRecord(r.opts.out, r.runRec)
}

// finishRunRecord rewrites the run record at the end: complete when the
// whole input was read, with the output's line count and digest.
func (r *evalRun) finishRunRecord(out *output, complete bool) error {
	if r.runRec == nil {
		return nil
	}
	rec := r.runRec
	rec.Run = r.runID()
	rec.Complete = complete && rec.Run.Input != ""
	rec.Skipped = r.skipped
	if rec.Complete {
		n, d, err := digestOutput(out.f)
		if err != nil {
			return err
		}
		rec.Records, rec.OutputSHA256 = n, d
	}
	return writeRunRecord(r.opts.out, rec)
}

func digestBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
