// Package httpapi is the one net/http handler of rcsd's JSON API: the same
// http.Handler runs natively (`rcsd serve`, Go tests) and inside the
// Cloudflare Worker (cmd/worker), so both hosts answer byte for byte the
// same. It routes /api/v1/{method} to core/api.Call and adds only what
// HTTP needs: methods (405 with Allow), a body cap (413), media type
// (415), CORS, security headers, and optionally static files.
//
// Every non-2xx reply carries api.ErrorBody: the diagnostics, each with a
// stable code, as the CLI reports them. A 5xx says only that an internal
// error happened; no stack, panic value, input or secret leaves.
//
// The package never touches the process: no files (a host that serves
// static files passes a file server), flags, environment or standard
// streams, and it writes no log; a host that wants one line per request
// passes Options.Log.
//
// CORS policy: the API is public and stateless, so any origin may call
// it, without credentials (Access-Control-Allow-Origin: *, never
// Allow-Credentials); preflight OPTIONS requests are answered with 204.
// Static files get no CORS headers.
package httpapi
