//go:build js && wasm

// Command wasm is the playground's WebAssembly bridge. It exposes one
// namespace object, globalThis.rcsd, whose functions each return a
// Promise and take and give JSON strings; the work runs in a goroutine
// and a panic becomes a rejected Promise, never a crash of the instance.
// Besides one function per method of the core's JSON front door, it has
// details (a compact playground reply's token alternatives, from the
// bridge's cache), setModel and setGrader. It holds no logic: wasm/bridge
// does the work and is tested natively.
// The page runs it in a Web Worker (site/worker.js) so it never blocks the page.
package main

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/wasm/bridge"
	"github.com/rcsd-dev/rcsd/wasm/jsfetch"
)

func main() {
	b := bridge.New()
	ns := js.Global().Get("Object").New()
	ns.Set("version", promise(func([]js.Value) (string, error) { return b.Version(), nil }))
	for _, m := range api.Methods() {
		if m == api.MethodVersion {
			continue
		}
		method := m
		ns.Set(method, promise(func(args []js.Value) (string, error) {
			return b.Call(context.Background(), method, []byte(argString(args, 0))), nil
		}))
	}
	ns.Set("details", promise(func(args []js.Value) (string, error) {
		return b.Details([]byte(argString(args, 0))), nil
	}))
	ns.Set("setModel", promise(func(args []js.Value) (string, error) {
		if len(args) == 0 || args[0].Type() != js.TypeObject {
			return "", errors.New("setModel needs a Uint8Array")
		}
		buf := make([]byte, args[0].Get("length").Int())
		js.CopyBytesToGo(buf, args[0])
		if err := b.SetModel(buf); err != nil {
			return "", err
		}
		return b.Version(), nil
	}))
	ns.Set("setGrader", promise(func(args []js.Value) (string, error) {
		if err := b.SetGrader([]byte(argString(args, 0)), jsfetch.Browser); err != nil {
			return "", err
		}
		return b.Version(), nil
	}))
	js.Global().Set("rcsd", ns)
	if ready := js.Global().Get("rcsdReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

func argString(args []js.Value, i int) string {
	if i < len(args) && args[i].Type() == js.TypeString {
		return args[i].String()
	}
	return ""
}

// promise wraps f as a JavaScript function returning a Promise. The
// arguments are read before f's goroutine starts; a panic in f rejects.
func promise(f func([]js.Value) (string, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		var handler js.Func
		handler = js.FuncOf(func(_ js.Value, pr []js.Value) any {
			resolve, reject := pr[0], pr[1]
			go func() {
				defer handler.Release()
				defer func() {
					if p := recover(); p != nil {
						reject.Invoke(js.Global().Get("Error").New("internal error in the rcsd bridge"))
					}
				}()
				out, err := f(args)
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				resolve.Invoke(out)
			}()
			return nil
		})
		return js.Global().Get("Promise").New(handler)
	})
}
