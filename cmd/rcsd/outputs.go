package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rcsd-dev/rcsd/core/eval"
)

// Files are compared by identity (device and inode, after symlinks), never
// by name: ./p1.jsonl, a symlink to it and a hard link to it are all
// p1.jsonl.

// namedPath is a file a command reads or writes, with the flag or role
// that named it ("-o", "--summary", "the input").
type namedPath struct {
	role, path string
	// info, for an input already open (standard input), replaces a stat
	// of path.
	info os.FileInfo
}

func (p namedPath) stat() (os.FileInfo, error) {
	if p.info != nil {
		return p.info, nil
	}
	return os.Stat(p.path)
}

// sameFile reports whether a and b are one regular file. A path that
// does not exist is no file; devices and pipes are left out (a terminal
// is both standard input and /dev/stdout, which is fine).
func sameFile(a, b namedPath) bool {
	sa, err := a.stat()
	if err != nil || !sa.Mode().IsRegular() {
		return false
	}
	sb, err := b.stat()
	if err != nil || !sb.Mode().IsRegular() {
		return false
	}
	return os.SameFile(sa, sb)
}

// checkPaths runs before any work: every output must be writable (its
// folder exists and takes new files, it is not a folder) and must be
// neither an input nor another output. It prints the first problem found
// as "rcsd CMD: ..." and returns its exit code, exitOK when all is well:
// a clash of files is a usage error, an output that cannot be written an
// I/O failure.
func checkPaths(cmd string, inputs, outputs []namedPath, stderr io.Writer) int {
	for i, o := range outputs {
		for _, in := range inputs {
			if sameFile(o, in) {
				fmt.Fprintf(stderr, "rcsd %s: %s %s is %s %s (the same file); writing it would destroy what is read\n", cmd, o.role, o.path, in.role, in.path)
				return exitUsage
			}
		}
		for _, p := range outputs[:i] {
			if sameFile(o, p) || (filepath.Clean(o.path) == filepath.Clean(p.path) && isRegularOrAbsent(o.path)) {
				fmt.Fprintf(stderr, "rcsd %s: %s %s and %s %s are the same file; give each output its own\n", cmd, o.role, o.path, p.role, p.path)
				return exitUsage
			}
		}
	}
	for _, o := range outputs {
		if err := checkWritable(o.path); err != nil {
			fmt.Fprintf(stderr, "rcsd %s: %s %s: %v\n", cmd, o.role, o.path, err)
			return exitFailure
		}
	}
	return exitOK
}

// checkWritable says why path cannot be written, or nil. A device or a
// pipe (/dev/null, /dev/stdout) is written as it is; a regular file, or
// one to create, needs a folder that takes new files (outputs are
// written through a temporary file or next to a lock file there).
func checkWritable(path string) error {
	st, statErr := os.Stat(path)
	switch {
	case statErr == nil && st.IsDir():
		return errors.New("is a folder; give a file name")
	case statErr == nil && !st.Mode().IsRegular():
		return nil
	}
	dir := filepath.Dir(path)
	if statErr == nil {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			dir = filepath.Dir(real)
		}
	}
	// The folder first: it says why a path under a missing folder or
	// under a file cannot be made.
	dst, err := os.Stat(dir)
	switch {
	case err != nil && errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the folder %s does not exist", dir)
	case err != nil:
		return err
	case !dst.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	case statErr != nil && !errors.Is(statErr, fs.ErrNotExist):
		return statErr
	}
	tmp, err := os.CreateTemp(dir, ".rcsd-check-*")
	if err != nil {
		return fmt.Errorf("cannot create files in %s: %v", dir, errors.Unwrap(err))
	}
	tmp.Close()
	os.Remove(tmp.Name())
	if statErr == nil {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot be written: %v", errors.Unwrap(err))
		}
		f.Close()
	}
	return nil
}

// isRegularOrAbsent reports whether path is a regular file or does not
// exist yet: the outputs that get a lock, a run record and a truncation.
// Devices and pipes (/dev/null, /dev/stdout) get none of these.
func isRegularOrAbsent(path string) bool {
	st, err := os.Stat(path)
	return err != nil || st.Mode().IsRegular()
}

// realPath is path with symlinks resolved, or path when it does not
// exist yet: files beside an output (its lock, its run record) sit
// beside the file itself, whatever link names it.
func realPath(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return path
}

// runRecordPath is where the run record of the output out lives.
func runRecordPath(out string) string { return realPath(out) + ".run.json" }

// readRunRecord reads out's run record; nil, nil when there is none.
func readRunRecord(out string) (*eval.RunRecord, error) {
	p := runRecordPath(out)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, dl := eval.ParseRunRecord(p, data)
	if dl.HasErrors() {
		return nil, errors.New(dl[0].String())
	}
	return rec, nil
}

// writeRunRecord replaces out's run record.
func writeRunRecord(out string, rec *eval.RunRecord) error {
	rec.SchemaVersion = eval.RunRecordVersion
	return writeFileAtomic(runRecordPath(out), rec.Encode())
}

// digestFile returns the sha256 hex of the file at path.
func digestFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// countingDigest hashes the bytes written to it and counts their lines.
type countingDigest struct {
	h     hash.Hash
	lines int64
}

func newCountingDigest() *countingDigest { return &countingDigest{h: sha256.New()} }

func (c *countingDigest) Write(p []byte) (int, error) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return c.h.Write(p)
}

func (c *countingDigest) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// digestOutput returns the line count and the sha256 hex of f's bytes,
// read from its start with ReadAt (f's offset is left alone).
func digestOutput(f *os.File) (lines int64, digest string, err error) {
	st, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	d := newCountingDigest()
	if _, err := io.Copy(d, io.NewSectionReader(f, 0, st.Size())); err != nil {
		return 0, "", err
	}
	return d.lines, d.sum(), nil
}
