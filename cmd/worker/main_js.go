//go:build js && wasm

package main

import (
	"github.com/syumai/workers"

	"github.com/rcsd-dev/rcsd/core/httpapi"
)

func main() {
	workers.Serve(httpapi.New(workerOptions()))
}
