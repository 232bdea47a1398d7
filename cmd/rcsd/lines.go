package main

import (
	"bufio"
	"bytes"
	"io"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// lineReader reads JSONL records without ever holding more than max bytes
// of one line: a longer line is consumed, reported as too long and
// dropped, so one runaway record cannot exhaust memory.
type lineReader struct {
	r    *bufio.Reader
	max  int
	line int   // number of the line last returned (1-based)
	n    int64 // bytes consumed
	buf  []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<20), max: max}
}

// next returns the next line without its terminator (the slice is valid
// until the next call), its number, and whether it exceeded max (then the
// returned line is empty). It returns io.EOF after the last line; a final
// line without a newline is still returned.
func (lr *lineReader) next() (line []byte, lineNo int, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		frag, e := lr.r.ReadSlice('\n')
		lr.n += int64(len(frag))
		if !tooLong {
			if len(lr.buf)+len(frag) > lr.max+2 { // +2: the terminator does not count
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, frag...)
			}
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		if e != nil && e != io.EOF {
			return nil, lr.line, false, e
		}
		if e == io.EOF && len(lr.buf) == 0 && !tooLong && len(frag) == 0 {
			return nil, lr.line, false, io.EOF
		}
		lr.line++
		b := lr.buf
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b = b[:n-1]
			if n := len(b); n > 0 && b[n-1] == '\r' {
				b = b[:n-1]
			}
		}
		if lr.line == 1 {
			// A UTF-8 byte order mark (Windows editors write one) is not
			// part of the first record, as rubric and config files skip it.
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		if len(b) > lr.max { // the check above allowed for a terminator the line may not have
			tooLong = true
		}
		if tooLong {
			b = nil
		}
		return b, lr.line, tooLong, nil
	}
}
