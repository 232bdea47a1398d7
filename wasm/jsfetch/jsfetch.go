//go:build js && wasm

// Package jsfetch is grader.Post over the JavaScript runtime's fetch: the
// browser's in the playground's Web Worker, the Workers runtime's in the
// Cloudflare Worker. It links no net/http client.
package jsfetch

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/rcsd-dev/rcsd/core/grader"
)

// Browser is Post for a page: no cookies or other credentials, no
// referrer, so a grader on another origin learns nothing of the page.
var Browser grader.Post = func(ctx context.Context, url string, header map[string]string, body []byte) (int, []byte, error) {
	return post(ctx, url, header, body, true)
}

// Worker is Post for the Workers runtime, whose fetch takes neither
// credentials nor referrerPolicy (it sends none of either).
var Worker grader.Post = func(ctx context.Context, url string, header map[string]string, body []byte) (int, []byte, error) {
	return post(ctx, url, header, body, false)
}

func post(ctx context.Context, url string, header map[string]string, body []byte, browser bool) (status int, reply []byte, err error) {
	defer func() {
		// A fetch that throws (a URL the runtime refuses) is an error of
		// this request, not a crash of the instance.
		if p := recover(); p != nil {
			status, reply, err = 0, nil, fmt.Errorf("fetch: %v", p)
		}
	}()
	h := js.Global().Get("Object").New()
	for k, v := range header {
		h.Set(k, v)
	}
	init := js.Global().Get("Object").New()
	init.Set("method", "POST")
	init.Set("headers", h)
	init.Set("body", string(body))
	if browser {
		init.Set("credentials", "omit")
		init.Set("referrerPolicy", "no-referrer")
	}
	// Invoked as a plain function (this undefined): the Workers runtime
	// refuses fetch called on another `this` ("Illegal invocation").
	resp, err := await(ctx, js.Global().Get("fetch").Invoke(url, init))
	if err != nil {
		return 0, nil, err
	}
	text, err := await(ctx, resp.Call("text"))
	if err != nil {
		return 0, nil, err
	}
	return resp.Get("status").Int(), []byte(text.String()), nil
}

// await waits for a JavaScript Promise from a goroutine.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: a[0]}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: fmt.Errorf("%s", a[0].Call("toString").String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}
