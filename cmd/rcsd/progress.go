package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress draws a one-line bar on standard error while a file is read,
// only when standard error is a terminal. It redraws at most five times a
// second from its own goroutine so the hot path only stores a number.
type progress struct {
	w       io.Writer
	name    string
	total   int64
	start   time.Time
	mu      sync.Mutex
	n       int64
	stop    chan struct{}
	stopped sync.Once
	active  bool
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, name string, total int64, enabled bool) *progress {
	p := &progress{w: w, name: name, total: total, start: time.Now(), stop: make(chan struct{})}
	p.active = enabled && isTerminal(w)
	if p.active {
		go p.loop()
	}
	return p
}

func (p *progress) set(n int64) {
	p.mu.Lock()
	p.n = n
	p.mu.Unlock()
}

func (p *progress) loop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	n := p.n
	p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(n) / el / (1 << 20)
	}
	width := 30
	if p.total > 0 {
		frac := min(float64(n)/float64(p.total), 1)
		fill := int(frac * float64(width))
		eta := "?"
		if frac > 0 {
			eta = (time.Duration(el/frac*(1-frac)) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %.1f MB/s eta %s ", p.name, strings.Repeat("█", fill), strings.Repeat("░", width-fill), frac*100, rate, eta)
		return
	}
	fmt.Fprintf(p.w, "\r%s %.1f MB read, %.1f MB/s ", p.name, float64(n)/(1<<20), rate)
}

// done removes the bar.
func (p *progress) done() {
	p.stopped.Do(func() {
		close(p.stop)
		if p.active {
			fmt.Fprintf(p.w, "\r\033[K")
		}
	})
}
