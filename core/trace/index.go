package trace

// idIndex maps token ids to small ints (list positions) for one position's
// lists at a time: open addressing over a power-of-two table, cleared in
// O(1) by bumping a generation stamp. It replaces a map on the hot path
// (a trace of 4096 positions × top-20 does ~10⁵ inserts).
type idIndex struct {
	keys  []int32
	vals  []int32
	stamp []uint32
	gen   uint32
	mask  uint32
	shift uint32 // 32 − log2(table size): the hash's top bits pick the slot
}

// reset empties the index and sizes it for n entries (load ≤ 1/2).
func (x *idIndex) reset(n int) {
	if len(x.keys) < 2*n || len(x.keys) == 0 {
		size, bits := 16, uint32(4)
		for size < 2*n {
			size <<= 1
			bits++
		}
		x.keys = make([]int32, size)
		x.vals = make([]int32, size)
		x.stamp = make([]uint32, size)
		x.gen = 0
		x.mask = uint32(size - 1)
		x.shift = 32 - bits
	}
	x.gen++
	if x.gen == 0 { // wrapped: stale stamps could match
		clear(x.stamp)
		x.gen = 1
	}
}

func (x *idIndex) slot(id int32) uint32 {
	return (uint32(id) * 0x9E3779B1) >> x.shift
}

// put inserts id → v unless id is present; it returns the value held and
// true when id was already there.
func (x *idIndex) put(id, v int32) (int32, bool) {
	for i := x.slot(id); ; i = (i + 1) & x.mask {
		if x.stamp[i] != x.gen {
			x.stamp[i] = x.gen
			x.keys[i] = id
			x.vals[i] = v
			return 0, false
		}
		if x.keys[i] == id {
			return x.vals[i], true
		}
	}
}

// get returns the value of id.
func (x *idIndex) get(id int32) (int32, bool) {
	for i := x.slot(id); ; i = (i + 1) & x.mask {
		if x.stamp[i] != x.gen {
			return 0, false
		}
		if x.keys[i] == id {
			return x.vals[i], true
		}
	}
}
