//go:build rcsd_nomodel

package demo

// embedded is absent in this build: the host passes model.bin.gz to
// SetData (the browser playground fetches it beside the .wasm).
var embedded []byte
