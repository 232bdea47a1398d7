package main

import (
	"context"
	"io"
	"strings"
	"sync"
)

// record is one non-blank JSONL line going through a pipeline.
type record struct {
	line    []byte
	lineNo  int
	tooLong bool
}

// pipeline reads the JSONL records of in, hands them to workers goroutines
// (each built by newWorker, so each can own scratch that is not safe for
// concurrent use), and calls emit with every result in input order on the
// caller's goroutine. A record longer than maxBytes is passed with tooLong
// set and no line. It stops reading when ctx is done or emit returns
// false, and returns the first read error.
func pipeline[R any](ctx context.Context, in io.Reader, maxBytes, workers int, newWorker func() func(record) R, emit func(R) bool) error {
	type job struct {
		seq int
		rec record
		out R
	}
	jobs := make(chan *job, 4*workers)
	done := make(chan *job, 4*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		work := newWorker()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.out = work(j.rec)
				done <- j
			}
		}()
	}
	var readErr error
	go func() {
		defer func() {
			close(jobs)
			wg.Wait()
			close(done)
		}()
		lr := newLineReader(in, maxBytes)
		for seq := 0; ctx.Err() == nil; {
			line, lineNo, tooLong, err := lr.next()
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				return
			}
			if !tooLong && strings.TrimSpace(string(line)) == "" {
				continue
			}
			j := &job{seq: seq, rec: record{lineNo: lineNo, tooLong: tooLong}}
			if !tooLong {
				j.rec.line = append([]byte(nil), line...)
			}
			select {
			case jobs <- j:
			case <-stop:
				return
			}
			seq++
		}
	}()
	pending := map[int]*job{}
	next := 0
	stopped := false
	for j := range done {
		if stopped {
			continue // drain the workers
		}
		pending[j.seq] = j
		for {
			j, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if !emit(j.out) {
				stopped = true
				close(stop)
				break
			}
		}
	}
	return readErr
}
