// Command worker is rcsd's Cloudflare Worker: the JSON API of
// core/httpapi (the handler `rcsd serve` runs natively) compiled with
// standard Go to WebAssembly (GOOS=js GOARCH=wasm, -tags
// rcsd_stdjson,rcsd_nomodel) and run by github.com/syumai/workers. The
// playground's static files are not served by this code: the Worker's
// "assets" configuration (wrangler.jsonc) serves bin/site before the
// Worker runs, which runs first only for /api/*.
//
// main_js.go only plumbs the platform (environment, fetch); the
// configuration is options.go, shared with the native tests that compare
// `wrangler dev` with the same handler byte for byte. See docs/worker.md.
package main
