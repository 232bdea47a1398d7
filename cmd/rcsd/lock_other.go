//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos)

package main

import (
	"errors"
	"io/fs"
	"os"
)

// staleHint: without flock(2) a crashed run leaves its lock file behind.
const staleHint = " (if that process is gone, remove the lock file)"

// tryLock creates the lock file at path exclusively: its existence is the
// lock; held is set when it exists.
func tryLock(path string) (f *os.File, held bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return f, false, nil
}

func unlock(f *os.File, path string) {
	f.Close()
	os.Remove(path)
}
