package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says how bad a diagnostic is.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Diagnostic is one problem found in an input, with enough location to
// find it in an editor.
type Diagnostic struct {
	Severity  Severity `json:"severity"`
	Code      string   `json:"code"` // stable, kebab-case, documented in docs/diagnostics.md
	Message   string   `json:"message"`
	Hint      string   `json:"hint,omitempty"`      // e.g. `did you mean "weight"?`
	File      string   `json:"file,omitempty"`      // file name as the user gave it
	Line      int      `json:"line,omitempty"`      // 1-based; 0 when unknown
	Column    int      `json:"column,omitempty"`    // 1-based, in bytes; 0 when unknown
	Path      string   `json:"path,omitempty"`      // JSON path, e.g. $.rubric[2].weight
	Criterion string   `json:"criterion,omitempty"` // criterion id, when one is concerned
	Record    string   `json:"record,omitempty"`    // item or trace id, when one is concerned
}

// String formats d as "file:line:col: severity code: message (hint)",
// the form compilers use so editors can jump to the location. Missing
// location parts are left out.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		b.WriteByte(':')
	}
	if d.Line > 0 {
		fmt.Fprintf(&b, "%d:", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&b, "%d:", d.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "%s %s: ", d.Severity, d.Code)
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString(" (")
		b.WriteString(d.Hint)
		b.WriteByte(')')
	}
	return b.String()
}

// List is an ordered set of diagnostics.
type List []Diagnostic

// HasErrors reports whether any diagnostic in l is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of diagnostics of severity s.
func (l List) Count(s Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// WithFile returns l with File set on every diagnostic that has none.
func (l List) WithFile(file string) List {
	for i := range l {
		if l[i].File == "" {
			l[i].File = file
		}
	}
	return l
}

// Sort orders l by file, line, column, then code, keeping the order of
// equal elements.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Code < b.Code
	})
}

// Errorf builds an error diagnostic at a JSON path.
func Errorf(code, path, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Error, Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

// Warnf builds a warning diagnostic at a JSON path.
func Warnf(code, path, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Warning, Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

// Err wraps a List as an error so it can cross APIs that return error.
type Err struct{ List List }

func (e *Err) Error() string {
	if len(e.List) == 0 {
		return "no diagnostics"
	}
	if len(e.List) == 1 {
		return e.List[0].String()
	}
	return fmt.Sprintf("%s (and %d more)", e.List[0].String(), len(e.List)-1)
}

// PrefixPath rewrites every JSON path in l that is relative to a value
// ("$", "$.x", "$[0]") to be relative to prefix instead, e.g. "$.rubric".
func (l List) PrefixPath(prefix string) List {
	for i := range l {
		p := l[i].Path
		switch {
		case p == "" || p == "$":
			l[i].Path = prefix
		case strings.HasPrefix(p, "$"):
			l[i].Path = prefix + p[1:]
		}
	}
	return l
}
