package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
)

// span is a byte range [start, end) of a file.
type span struct{ start, end int64 }

// hasUnjudged reports whether a record has a criterion the judge failed to
// decide. It reads the verdicts, not the record's "unjudged" count, which
// records written before statuses existed gave not-applicable criteria too.
func hasUnjudged(res *eval.Result) bool {
	for k := range res.Criteria {
		if res.Criteria[k].State() == judge.StatusUnjudged {
			return true
		}
	}
	return false
}

// retryUnjudged rewrites the first size bytes of the output without the
// drop ranges (sorted, disjoint), keeping the file itself (its inode, and
// any lock on it): the kept records are copied to a temporary file beside
// it, synced, then copied back over the truncated output. A crash while
// copying back leaves a prefix of the kept records (a torn last line is
// cut by the next --resume), and whatever is missing is judged again: no
// record is ever lost or left twice.
func (r *evalRun) retryUnjudged(f *os.File, size int64, drop []span) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(r.opts.out), "."+filepath.Base(r.opts.out)+".resume*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	at := int64(0)
	keep := func(end int64) error {
		if end > at {
			if _, err := io.Copy(tmp, io.NewSectionReader(f, at, end-at)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, d := range drop {
		if err := keep(d.start); err != nil {
			return err
		}
		at = d.end
	}
	if err := keep(size); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(f, io.NewSectionReader(tmp, 0, 1<<62)); err != nil {
		return err
	}
	return f.Sync()
}
