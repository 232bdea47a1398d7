// Package diag defines the diagnostics every rcsd component reports: a
// stable code, a severity, a location (file, line, column, JSON path,
// criterion id) and a message with an optional hint.
//
// Diagnostics are plain data: they serialise to JSON unchanged, so the CLI,
// the WebAssembly bridge and the Worker show the same text. The package
// never prints and never touches the process.
package diag
