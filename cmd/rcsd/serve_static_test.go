package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is the server's standard error, read while the process
// still writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rawGet sends path exactly as given (no cleaning, no escaping) and
// returns the status and the body.
func rawGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: rcsd\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// --dir serves what lies inside the directory and nothing else: no link
// leads out of it, no directory is listed, and a path that is not a
// clean name gets 400, not 500.
func TestServeStaticConfined(t *testing.T) {
	top := t.TempDir()
	writeFile(t, top, "secret.txt", "the operator's secret\n")
	dir := filepath.Join(top, "site")
	for _, d := range []string{"site", "site/docs", "site/empty"} {
		if err := os.Mkdir(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "index.html", "<!doctype html><title>rcsd playground</title>\n")
	writeFile(t, dir, "docs/index.html", "docs\n")
	writeFile(t, dir, "empty/.keep", "")
	for link, target := range map[string]string{
		"leak.txt":   "../secret.txt",                  // a file outside
		"up":         "..",                             // a directory outside
		"abs.txt":    filepath.Join(top, "secret.txt"), // an absolute link outside
		"alias.html": "index.html",                     // a link that stays inside
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	s := startServe(t, nil, "--dir", dir, "-q")
	const notFound, bad = "404 page not found\n", "400 bad request: the path must be valid UTF-8 without control characters or \"..\" segments\n"
	cases := []struct {
		path string
		code int
		body string
	}{
		{"/", 200, "<!doctype html><title>rcsd playground</title>\n"},
		{"/index.html", 200, "<!doctype html><title>rcsd playground</title>\n"},
		{"/alias.html", 200, "<!doctype html><title>rcsd playground</title>\n"},
		{"/docs/", 200, "docs\n"},
		{"/leak.txt", 404, notFound},
		{"/abs.txt", 404, notFound},
		{"/up/secret.txt", 404, notFound},
		{"/up/", 404, notFound},
		{"/empty/", 404, notFound},
		{"/empty", 404, notFound},
		{"/nope.js", 404, notFound},
		{"/index.html/x", 404, notFound},
		{"/%00", 400, bad},
		{"/index.html%00.js", 400, bad},
		{"/%0a", 400, bad},
		{"/%ff", 400, bad},
		{"/../secret.txt", 400, bad},
		{"/%2e%2e/secret.txt", 400, bad},
		{"/docs/..%2f..%2fsecret.txt", 400, bad},
	}
	for _, c := range cases {
		code, body := rawGet(t, s.url, c.path)
		if code != c.code || body != c.body {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	if code, body := rawGet(t, s.url, "/docs"); code != 301 || !strings.Contains(body, `href="/docs/"`) {
		t.Errorf("GET /docs: %d %q, want a redirect to /docs/", code, body)
	}
}

// The playground's own files are served whole, with their types.
func TestServeStaticPlayground(t *testing.T) {
	const site = "../../site"
	s := startServe(t, nil, "--dir", site, "-q")
	ents, err := os.ReadDir(site)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	n := 0
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		want, err := os.ReadFile(filepath.Join(site, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		code, h, body := get(t, "GET", s.url+e.Name(), "")
		if code != 200 || body != string(want) || h.Get("Content-Type") != types[filepath.Ext(e.Name())] {
			t.Errorf("GET /%s: %d %q, %d bytes of %d", e.Name(), code, h.Get("Content-Type"), len(body), len(want))
		}
		n++
	}
	if n < 5 {
		t.Errorf("only %d files in %s", n, site)
	}
	if code, _, body := get(t, "GET", s.url, ""); code != 200 || !strings.Contains(body, "<!doctype html>") {
		t.Errorf("GET /: %d %.100q", code, body)
	}
}

// A client that reads a large file a trickle at a time loses its
// connection: the server finishes the request (its log line appears)
// long before the file could have been read, and the client then reads
// to the end of what was sent and finds the connection closed.
func TestServeDropsSlowReader(t *testing.T) {
	dir := t.TempDir()
	const size = 64 << 20
	f, err := os.Create(filepath.Join(dir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: no disk written
		t.Fatal(err)
	}
	f.Close()
	s := startServe(t, nil, "--dir", dir, "--write-timeout", "1s")

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		// A small receive window, so the server's writes block soon.
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
	}}
	conn, err := d.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(s.url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The whole test's bound, far above the 1 s the server allows: what
	// is checked is that the server closes, not how soon.
	conn.SetDeadline(time.Now().Add(90 * time.Second))
	io.WriteString(conn, "GET /big.bin HTTP/1.1\r\nHost: rcsd\r\n\r\n")

	// Trickle: 256 bytes every 20 ms (about 13 KB/s; the file would
	// take over an hour) until the server logs the request as done.
	logged := func() bool { return strings.Contains(s.stderr.String(), `GET "/big.bin" 200 `) }
	var got int64
	buf := make([]byte, 64<<10)
	var rerr error
	for !logged() {
		var n int
		n, rerr = conn.Read(buf[:256])
		got += int64(n)
		if rerr != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rerr != nil && !logged() {
		t.Fatalf("read %d bytes, then %v before the server logged the request; stderr:\n%s", got, rerr, s.stderr)
	}
	// Now read fast: what the server sent before it gave up, then the end.
	for rerr == nil {
		var n int
		n, rerr = conn.Read(buf)
		got += int64(n)
	}
	var ne net.Error
	if errors.As(rerr, &ne) && ne.Timeout() {
		t.Fatalf("the connection stayed open after %d bytes", got)
	}
	t.Logf("the client read %d bytes of %d before the server closed", got, size)
	if got >= size {
		t.Errorf("the client got all %d bytes; the server should have dropped it", got)
	}
	line := s.stderr.String()
	i := strings.Index(line, `GET "/big.bin" 200 `)
	sent, _, _ := strings.Cut(line[i+len(`GET "/big.bin" 200 `):], "B")
	if n, err := strconv.ParseInt(sent, 10, 64); err != nil || n >= size {
		t.Errorf("the server's log says it sent %q bytes of %d", sent, size)
	}
	// The server still answers.
	if code, _, _ := get(t, "GET", s.url+"api/v1/version", ""); code != 200 {
		t.Errorf("after the slow reader: version %d", code)
	}
	s.stop(t, syscall.SIGTERM)
}
