package model

import "sync"

// pool runs a loop's iterations on a fixed set of goroutines. Work is split
// into contiguous chunks aligned to a kernel's tile, and every output element
// is computed by exactly one goroutine in a fixed order, so results are
// bit-identical whatever the number of workers. Running a loop allocates
// nothing: the loop body is a func value made once, its arguments live in
// the caller's preallocated structs.
type pool struct {
	workers int
	jobs    chan job
	wg      sync.WaitGroup
}

type job struct {
	fn     func(lo, hi int)
	fnIdx  func(idx, lo, hi int)
	idx    int
	lo, hi int
}

// newPool starts workers-1 goroutines (the caller is the last worker).
// workers < 1 means 1.
func newPool(workers int) *pool {
	if workers < 1 {
		workers = 1
	}
	p := &pool{workers: workers}
	if workers > 1 {
		p.jobs = make(chan job, workers)
		for range workers - 1 {
			go func() {
				for j := range p.jobs {
					if j.fnIdx != nil {
						j.fnIdx(j.idx, j.lo, j.hi)
					} else {
						j.fn(j.lo, j.hi)
					}
					p.wg.Done()
				}
			}()
		}
	}
	return p
}

// close stops the goroutines; the pool must not be used afterwards.
func (p *pool) close() {
	if p.jobs != nil {
		close(p.jobs)
		p.jobs = nil
	}
}

// run calls fn(lo, hi) over [0, n) in at most p.workers chunks whose
// boundaries are multiples of align (except n itself), and waits.
func (p *pool) run(n, align int, fn func(lo, hi int)) {
	p.split(n, align, fn, nil)
}

// runIndexed is run with align 1 that also passes each chunk its index in
// [0, p.workers), so a loop body can use per-chunk scratch; which chunk runs
// which items never changes what an item computes.
func (p *pool) runIndexed(n int, fn func(idx, lo, hi int)) {
	p.split(n, 1, nil, fn)
}

func (p *pool) split(n, align int, fn func(lo, hi int), fnIdx func(idx, lo, hi int)) {
	if align < 1 {
		align = 1
	}
	units := (n + align - 1) / align
	w := min(p.workers, units)
	if w <= 1 {
		if n > 0 {
			call(fn, fnIdx, 0, 0, n)
		}
		return
	}
	per, extra := units/w, units%w
	lo := 0
	p.wg.Add(w - 1)
	for i := range w {
		u := per
		if i < extra {
			u++
		}
		hi := min(lo+u*align, n)
		if i == w-1 {
			call(fn, fnIdx, i, lo, hi)
		} else {
			p.jobs <- job{fn: fn, fnIdx: fnIdx, idx: i, lo: lo, hi: hi}
		}
		lo = hi
	}
	p.wg.Wait()
}

func call(fn func(lo, hi int), fnIdx func(idx, lo, hi int), idx, lo, hi int) {
	if fnIdx != nil {
		fnIdx(idx, lo, hi)
	} else {
		fn(lo, hi)
	}
}
