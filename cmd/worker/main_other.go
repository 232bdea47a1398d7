//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// The Worker runs only as WebAssembly under workerd; natively the same
// handler is `rcsd serve`.
func main() {
	fmt.Fprintln(os.Stderr, "cmd/worker is the Cloudflare Worker: build it with `make worker` (GOOS=js GOARCH=wasm) and run it with `make worker-dev`; natively, use `rcsd serve`")
	os.Exit(2)
}
