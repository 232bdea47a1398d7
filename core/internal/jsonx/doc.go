// Package jsonx is the core's JSON codec: github.com/goccy/go-json in
// native builds (fast), the standard library's encoding/json when built
// with the rcsd_stdjson tag (the WebAssembly builds: go-json adds about
// 1.4 MB gzip to a .wasm). Both give the same values for the same input;
// the core's diagnostics never quote a codec's own error text (the slow
// paths that explain bad input use encoding/json in every build), so the
// CLI, the playground and the Worker report bad input identically.
package jsonx
