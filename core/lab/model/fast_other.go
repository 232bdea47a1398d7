//go:build !amd64 || purego

package model

// ntBlockFast has no assembly kernel on this platform.
func ntBlockFast[F Float](t *ntArgs[F], lo, hi, k0, k1 int, first bool) bool { return false }

func ntFast[F Float](t *ntArgs[F], kk int) bool { return false }
