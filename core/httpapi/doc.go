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
// CORS policy: a keyless server's API is public and stateless, so any
// origin may call it, without credentials (Access-Control-Allow-Origin: *,
// never Allow-Credentials); preflight OPTIONS requests are answered with
// 204. A server whose grader holds a key refuses every request (simple
// ones included, API and files alike) whose Origin header is neither its
// own nor in Options.AllowOrigins, with 403 before any work, and names
// the allowed origin in Access-Control-Allow-Origin; requests without an
// Origin (curl, scripts) are served. Static files get no CORS headers.
//
// Such a server also passes every reply body through the grader's
// redactor (core/redact): its key, any 8-byte piece of it and any Bearer
// or Authorization value are replaced by "[redacted]" before they leave.
package httpapi
