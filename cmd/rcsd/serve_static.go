package main

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// The server's time limits (docs/cli.md#rcsd-serve). Reading is bounded
// by the http.Server's own timeouts; writing by a stall limit per write
// (--write-timeout), not by http.Server.WriteTimeout: that one counts
// from the request's headers, so it would cut an llm-judge evaluation
// that rightly takes minutes before its first byte, while a stall limit
// cuts only a client that stops reading.
const (
	serveReadHeaderTimeout = 10 * time.Second  // slowloris: the headers of a request
	serveReadTimeout       = 60 * time.Second  // a whole request, body included
	serveIdleTimeout       = 120 * time.Second // a kept-alive connection between requests
	serveWriteStall        = 30 * time.Second  // --write-timeout's default
)

// staticFiles serves the files under one directory, opened as an
// os.Root so that no path and no symbolic link leads out of it. Unlike
// http.FileServer it lists no directory (a directory is its index.html
// or 404), answers 400 to a path that is not a clean, valid UTF-8 name
// (a NUL, a control character, a ".." segment) and 404 to any file it
// cannot open inside the root, never 500 and never the reason.
type staticFiles struct {
	fsys fs.FS
}

func newStaticFiles(root *os.Root) http.Handler {
	return staticFiles{fsys: root.FS()}
}

func (s staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := staticName(r.URL.Path)
	if !ok {
		http.Error(w, "400 bad request: the path must be valid UTF-8 without control characters or \"..\" segments", http.StatusBadRequest)
		return
	}
	f, st, err := s.open(name)
	if err != nil {
		notFound(w, err)
		return
	}
	defer f.Close()
	if st.IsDir() {
		f.Close()
		f, st, err = s.open(path.Join(name, "index.html"))
		if err != nil || !st.Mode().IsRegular() {
			notFound(w, err)
			return
		}
		defer f.Close()
		if !strings.HasSuffix(r.URL.Path, "/") {
			// Relative links in the index resolve against the slash.
			http.Redirect(w, r, path.Base(r.URL.Path)+"/", http.StatusMovedPermanently)
			return
		}
	}
	rs, ok := f.(io.ReadSeeker)
	if !st.Mode().IsRegular() || !ok {
		notFound(w, nil)
		return
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), rs)
}

func (s staticFiles) open(name string) (fs.File, fs.FileInfo, error) {
	f, err := s.fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// notFound answers 403 for a file the server may not read and 404 for
// everything else, a link out of the directory included: the client
// learns nothing of what lies outside.
func notFound(w http.ResponseWriter, err error) {
	if errors.Is(err, fs.ErrPermission) {
		http.Error(w, "403 forbidden", http.StatusForbidden)
		return
	}
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// staticName turns a URL path into a name for fs.FS ("." for "/"), or
// reports false for one that is not valid UTF-8, holds a control
// character (NUL included) or a ".." segment. Empty and "." segments
// are cleaned away.
func staticName(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || !utf8.ValidString(p) {
		return "", false
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return "", false
		}
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	return name, fs.ValidPath(name)
}

// stallLimit gives each write of a reply d to go out (and the final flush
// after the handler returns), so a client that stops reading loses its
// connection after d instead of holding it forever; a slow reader that
// keeps reading is not cut, however long the reply.
func stallLimit(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), d: d}
		h.ServeHTTP(sw, r)
		sw.extend()
	})
}

type stallWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (s *stallWriter) extend() { s.rc.SetWriteDeadline(time.Now().Add(s.d)) }

// Write extends the limit per 64 KiB, so that one large reply counts as
// many writes.
func (s *stallWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		c := b[:min(len(b), 64<<10)]
		s.extend()
		m, err := s.ResponseWriter.Write(c)
		n += m
		if err != nil {
			return n, err
		}
		b = b[len(c):]
	}
	return n, nil
}

func (s *stallWriter) Flush() {
	s.extend()
	s.rc.Flush()
}

// Unwrap lets an http.ResponseController reach the connection.
func (s *stallWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
