//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/wasm/jsfetch"
)

func main() {
	workers.Serve(httpapi.New(workerOptions(getenv, jsfetch.Worker)))
}

// getenv reads a var or secret of the Worker ("" when unset or not a
// string).
func getenv(name string) (s string) {
	defer func() {
		if recover() != nil { // no runtime context: no settings
			s = ""
		}
	}()
	if v := cloudflare.GetBinding(name); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}
