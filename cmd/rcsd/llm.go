package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote"
)

// llmSettings configures the llm grader of `rcsd eval` (from --judge-url,
// --judge-model, --judge-mode, --judge-cache, RCSD_JUDGE_API_KEY,
// --concurrency, --judge-timeout and --judge-retries).
type llmSettings struct {
	url, model, mode, cache, key string
	// concurrency bounds the grader requests in flight across the whole
	// run; 0 means defaultLLMConcurrency.
	concurrency int
	// timeout bounds one attempt; retries is how many times a failed
	// attempt (timeout, 408, 429, 5xx, broken reply) is tried again.
	timeout time.Duration
	retries int
}

const (
	// defaultLLMConcurrency suits a local vLLM or SGLang server, which
	// batches concurrent requests, and stays under the rate limits of
	// most hosted APIs.
	defaultLLMConcurrency = 16
	// llmReask is how many more times a question whose reply cannot be
	// read is asked. simple-evals asks until the reply is valid; a bound
	// keeps a grader that never complies from stalling the run, and the
	// criterion is then reported unjudged instead.
	llmReask = 2
)

// newLLMJudge builds the llm judge for s. The returned func closes the
// reply cache and the idle connections; it returns the first error met
// while writing the cache, since Put cannot report one.
func newLLMJudge(s llmSettings) (judge.Judge, func() error, error) {
	mode, err := judge.ParseLLMMode(s.mode)
	if err != nil {
		return nil, nil, fmt.Errorf("--judge-mode: %v", err)
	}
	if strings.TrimSpace(s.model) == "" {
		return nil, nil, errors.New("--judge-url needs --judge-model (the grader's model name, as the server knows it)")
	}
	if _, err := remote.Endpoint(s.url); err != nil {
		return nil, nil, fmt.Errorf("--judge-url: %v", err)
	}
	conc := s.concurrency
	if conc <= 0 {
		conc = defaultLLMConcurrency
	}
	transport := remote.NewTransport(conc)
	client := &remote.Client{
		BaseURL: s.url,
		Model:   s.model,
		// The key goes into the Authorization header only; the client
		// redacts any echo of it from errors and replies.
		APIKey:     s.key,
		HTTP:       &http.Client{Transport: transport},
		Limiter:    remote.NewLimiter(conc),
		MaxRetries: max(s.retries, 0),
		Timeout:    max(s.timeout, 0),
	}
	j := &judge.LLM{Client: client, Mode: mode, Reask: llmReask}
	if s.cache == "" {
		return j, func() error { transport.CloseIdleConnections(); return nil }, nil
	}
	c, err := openReplyCache(s.cache, client.Redactor())
	if err != nil {
		return nil, nil, err
	}
	j.Cache = c
	return j, func() error {
		transport.CloseIdleConnections()
		return c.Close()
	}, nil
}

// The reply cache file is JSON Lines: a header line, then one line per
// grader reply, appended as replies arrive, so an interrupted run keeps
// everything it was told and its rerun asks nothing twice.
//
//	{"format":"rcsd-judge-cache","version":1}
//	{"key":"<hex sha-256 of model, mode and messages>","reply":"<the grader's text>"}
//
// Only one process should append to a file at a time (nothing locks it);
// each rcsd eval -o FILE run gets its own FILE.cache by default.
const (
	cacheFormat  = "rcsd-judge-cache"
	cacheVersion = 1
)

type cacheHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

type cacheEntry struct {
	Key   string `json:"key"`
	Reply string `json:"reply"`
}

// cacheHeaderLine is the exact first line of every cache file.
var cacheHeaderLine = func() []byte {
	b, err := json.Marshal(cacheHeader{cacheFormat, cacheVersion})
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}()

// replyCache is the on-disk judge.Cache. Every entry is held in memory
// (about the size of the file), looked up there, and appended to the file
// by one write call per entry under a mutex, so entries never interleave.
// Every reply is redacted (the grader's key, its pieces, Bearer and
// Authorization values) before it is stored or, from an older file,
// loaded.
type replyCache struct {
	path string
	red  *redact.Redactor

	mu      sync.RWMutex
	f       *os.File // nil once closed
	entries map[string]string
	err     error // the first write error; later entries stay in memory only
}

// openReplyCache opens (creating it if needed) the cache file at path and
// loads its entries. A torn last line, left by a run killed mid-write, is
// cut off; any other line that is not a cache entry is an error, so a
// file that is not a cache (say, the results file given by mistake) is
// never appended to or cut.
func openReplyCache(path string, red *redact.Redactor) (*replyCache, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("judge cache: %v", err)
	}
	entries, keep, torn, err := loadReplyCache(bufio.NewReader(f), red)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("judge cache %s: %v (delete the file to start afresh)", path, err)
	}
	if torn {
		if err := f.Truncate(keep); err != nil {
			f.Close()
			return nil, fmt.Errorf("judge cache %s: cutting a torn last line: %v", path, err)
		}
	}
	if keep == 0 {
		if _, err := f.Write(cacheHeaderLine); err != nil {
			f.Close()
			return nil, fmt.Errorf("judge cache %s: %v", path, err)
		}
	}
	return &replyCache{path: path, red: red, f: f, entries: entries}, nil
}

// loadReplyCache reads a cache file. keep is the length of its whole
// lines; torn says bytes follow them without a final newline.
func loadReplyCache(r *bufio.Reader, red *redact.Redactor) (entries map[string]string, keep int64, torn bool, err error) {
	entries = make(map[string]string)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) == 0 {
				return entries, keep, false, nil
			}
			// An unterminated last line is a write cut short. Before the
			// header is whole, accept only a prefix of the header, so
			// that a foreign file is refused rather than truncated.
			if keep == 0 && !bytes.HasPrefix(cacheHeaderLine, line) {
				return nil, 0, false, errors.New("not an rcsd judge cache (no header line)")
			}
			return entries, keep, true, nil
		}
		if err != nil {
			return nil, 0, false, err
		}
		if n == 1 {
			if err := checkCacheHeader(line); err != nil {
				return nil, 0, false, err
			}
		} else {
			var e cacheEntry
			if err := decodeCacheLine(line, &e); err != nil || e.Key == "" {
				if err == nil {
					err = errors.New("no key")
				}
				return nil, 0, false, fmt.Errorf("line %d: not a cache entry: %v", n, err)
			}
			entries[e.Key] = red.String(e.Reply)
		}
		keep += int64(len(line))
	}
}

func checkCacheHeader(line []byte) error {
	var h cacheHeader
	if err := decodeCacheLine(line, &h); err != nil || h.Format != cacheFormat {
		return errors.New("not an rcsd judge cache (line 1 is not its header)")
	}
	if h.Version != cacheVersion {
		return fmt.Errorf("cache format version %d; this rcsd reads version %d", h.Version, cacheVersion)
	}
	return nil
}

// decodeCacheLine decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeCacheLine(line []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Get returns the reply stored under key.
func (c *replyCache) Get(key string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.entries[key]
	return r, ok
}

// Put stores reply under key and appends it to the file. A write error is
// kept for Close to return; after one, entries are kept in memory only.
func (c *replyCache) Put(key, reply string) {
	reply = c.red.String(reply)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode ends the line with '\n'
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cacheEntry{Key: key, Reply: reply}); err != nil {
		return // unreachable: two strings always encode
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok && old == reply {
		return
	}
	c.entries[key] = reply
	if c.f == nil || c.err != nil {
		return
	}
	if _, err := c.f.Write(buf.Bytes()); err != nil {
		c.err = fmt.Errorf("judge cache %s: %v", c.path, err)
	}
}

// Close closes the file and returns the first write error, if any. The
// cache still answers Get afterwards, from memory.
func (c *replyCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return c.err
	}
	err := c.f.Close()
	c.f = nil
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("judge cache %s: %v", c.path, err)
	}
	return c.err
}
