//go:build !js

package world

// scaled returns n: native runs check thousands of tasks.
func scaled(n int) int { return n }
