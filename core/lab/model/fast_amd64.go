//go:build amd64 && !purego

package model

func ntBlockFast[F Float](t *ntArgs[F], lo, hi, k0, k1 int) bool { return false }
