package main

import (
	"fmt"
	"io"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// diagPrinter writes diagnostics one per line in the compiler form
// (file:line:col: severity code: message), counting them.
type diagPrinter struct {
	w                io.Writer
	quiet            bool
	errors, warnings int
}

func (p *diagPrinter) print(l diag.List) {
	for _, d := range l {
		switch d.Severity {
		case diag.Error:
			p.errors++
		case diag.Warning:
			p.warnings++
		}
		if p.quiet && d.Severity != diag.Error {
			continue
		}
		fmt.Fprintln(p.w, d.String())
	}
}
