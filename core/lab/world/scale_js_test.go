//go:build js

package world

// scaled returns a tenth of n under js/wasm (make test-wasm runs the
// core's tests under Node, about 10x slower): the same checks on fewer
// tasks, so the suite stays under half a minute there.
func scaled(n int) int { return max(1, n/10) }
