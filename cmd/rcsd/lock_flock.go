//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// staleHint: the kernel drops a dead holder's lock, so a lock file left by
// a crash never blocks.
const staleHint = ""

// tryLock opens (creating) the lock file at path and takes an exclusive
// flock(2) on it without waiting; held is set when another open file
// holds it.
func tryLock(path string) (f *os.File, held bool, err error) {
	for range 8 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, false, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, true, nil
			}
			return nil, false, err
		}
		// The holder before us removes the file before it unlocks; if it
		// did so between our open and our flock, we hold a file no one
		// else will open: start again on the file the path names now.
		mine, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(mine, now) {
			return f, false, nil
		}
		f.Close()
	}
	return nil, false, fmt.Errorf("the lock file %s keeps being replaced", path)
}

func unlock(f *os.File, path string) {
	os.Remove(path)
	f.Close()
}
