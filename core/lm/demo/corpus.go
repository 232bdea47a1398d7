package demo

import "strings"

// DocumentSeparator is the line that ends each document in a corpus file.
const DocumentSeparator = "==="

// Documents splits a corpus file into documents: the text between lines
// holding exactly DocumentSeparator, without the newline that precedes the
// separator line. Text after the last separator is a document too. Empty
// documents are dropped; "\r\n" line ends are not special.
func Documents(text string) []string {
	var docs []string
	parts := strings.Split("\n"+text, "\n"+DocumentSeparator+"\n")
	parts[0] = strings.TrimPrefix(parts[0], "\n")
	for _, d := range parts {
		if d != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

// HeldOut reports whether document i (counted over all corpus files in
// lexical order of their names, from 0) belongs to the held-out slice: every
// tenth document, i mod 10 = 9. The embedded model never sees these.
func HeldOut(i int) bool { return i%10 == 9 }
