package main

import (
	"runtime/debug"
	"sync"
	"time"
)

// releaseMemory returns rcsd serve's idle hook: a second after the last
// request in flight finished (and no new one started since), the heap a
// burst of large requests grew is given back to the system, so the
// server's resident memory returns near its idle size instead of staying
// at the burst's peak (Go's background scavenger takes minutes). At most
// one release is pending; the hook itself never blocks a reply.
func releaseMemory() func() {
	var mu sync.Mutex
	var pending *time.Timer
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if pending != nil {
			pending.Reset(time.Second)
			return
		}
		pending = time.AfterFunc(time.Second, func() {
			mu.Lock()
			pending = nil
			mu.Unlock()
			debug.FreeOSMemory()
		})
	}
}
