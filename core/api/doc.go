// Package api is the one front door to the rcsd core. The CLI, the
// WebAssembly bridge and the Cloudflare Worker all call it with the same
// JSON-shaped requests and get the same JSON-shaped responses, so the
// three hosts cannot drift. Types live in api.go, logic in impl.go.
//
// The package never touches the process: no files, flags, environment or
// standard streams. Hosts read those and pass values in.
package api
