// Package source maps JSON paths such as $.rubric[2].weight to line and
// column positions in the JSON or YAML text they came from, and builds
// such paths with the keys quoted when they need it ($["odd key"]).
//
// It is meant for error paths: Locate re-scans the document each time,
// favouring correctness and robustness (malformed or huge input never
// panics; a path that does not exist falls back to its nearest existing
// ancestor) over speed. It never decodes values and never touches the
// process.
package source
