package main

import (
	"fmt"
	"os"
	"time"

	json "github.com/goccy/go-json"
)

// An output is written by one process at a time: the writer holds
// OUT.lock, a file beside the output that names it (process id, host,
// command, start time) so a second run can say who is writing. On Linux,
// macOS and the BSDs the lock is flock(2) on that file, which the kernel
// drops when its holder dies, so a crashed run never blocks the next one
// (lock_flock.go); elsewhere the file's existence is the lock
// (lock_other.go).

// lockHolder is the content of a lock file.
type lockHolder struct {
	PID     int    `json:"pid"`
	Host    string `json:"host"`
	Command string `json:"command"`
	Started string `json:"started"`
}

func (h lockHolder) String() string {
	return fmt.Sprintf("%s (pid %d on %s, since %s)", h.Command, h.PID, h.Host, h.Started)
}

func lockPath(out string) string { return realPath(out) + ".lock" }

// outputLock is a held lock; release gives it up and removes the file.
type outputLock struct {
	f    *os.File
	path string
}

// lockOutput takes the lock of the output out for command ("rcsd eval"),
// or says which process holds it.
func lockOutput(out, command string) (*outputLock, error) {
	p := lockPath(out)
	f, held, err := tryLock(p)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %v", out, err)
	}
	if held {
		who := "another process"
		if b, err := os.ReadFile(p); err == nil {
			var h lockHolder
			if json.Unmarshal(b, &h) == nil && h.PID > 0 {
				who = h.String()
			}
		}
		return nil, fmt.Errorf("%s is being written by %s, which holds %s; wait for it to end or stop it%s", out, who, p, staleHint)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Command: command,
		Started: time.Now().UTC().Format(time.RFC3339)})
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(b, '\n'), 0)
	}
	if err != nil {
		unlock(f, p)
		return nil, fmt.Errorf("cannot lock %s: %v", out, err)
	}
	return &outputLock{f: f, path: p}, nil
}

// release removes the lock file and drops the lock, in that order, so
// no one can take the lock on a file that is about to go.
func (l *outputLock) release() { unlock(l.f, l.path) }
