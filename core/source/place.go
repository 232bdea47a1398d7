package source

import "github.com/rcsd-dev/rcsd/core/diag"

// Place finishes the diagnostics of one file: every diagnostic with a
// JSON path but no line gets the line and column of that path in data
// (JSON or YAML), all get file when they name none, and the list is
// sorted by position, the order an editor shows them in.
func Place(dl diag.List, data []byte, file string) diag.List {
	doc := NewDoc(data)
	for i := range dl {
		if dl[i].Line == 0 && dl[i].Path != "" {
			dl[i].Line, dl[i].Column = doc.Locate(dl[i].Path)
		}
	}
	dl.WithFile(file)
	dl.Sort()
	return dl
}
