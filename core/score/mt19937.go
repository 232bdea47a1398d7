package score

// RandomState reproduces the part of numpy's legacy numpy.random.RandomState
// (the generator behind np.random.seed and np.random.choice) that the
// HealthBench bootstrap uses: MT19937 seeded from one 32-bit integer, and
// uniform integers in [0, n) drawn by masked rejection sampling on 32-bit
// outputs.
//
// With the same seed, NewRandomState(seed).Intn(n) returns the same sequence
// as np.random.seed(seed); np.random.randint(0, n) (and therefore as
// np.random.choice(values, k) over a population of size n), for
// 1 <= n <= 2^32. The sources followed are numpy's
// numpy/random/src/mt19937/mt19937.c (mt19937_seed, mt19937_gen),
// numpy/random/_mt19937.pyx (_legacy_seeding) and
// numpy/random/src/distributions/distributions.c
// (random_bounded_uint64_fill, buffered_bounded_masked_uint32).
//
// A RandomState is not safe for concurrent use.
type RandomState struct {
	key [mtN]uint32
	pos int
}

const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// NewRandomState returns a generator in the state np.random.seed(seed)
// leaves numpy's global RandomState in. numpy accepts seeds in
// [0, 2^32-1], which is exactly the range of uint32.
func NewRandomState(seed uint32) *RandomState {
	r := &RandomState{}
	r.Seed(seed)
	return r
}

// Seed resets r as np.random.seed(seed) does (Knuth's init_genrand
// recurrence key[i] = 1812433253·(key[i−1] ⊕ (key[i−1] >> 30)) + i).
func (r *RandomState) Seed(seed uint32) {
	s := seed
	for i := 0; i < mtN; i++ {
		r.key[i] = s
		s = 1812433253*(s^(s>>30)) + uint32(i) + 1
	}
	r.pos = mtN
}

// generate refills the state block (mt19937_gen).
func (r *RandomState) generate() {
	var y uint32
	k := &r.key
	i := 0
	for ; i < mtN-mtM; i++ {
		y = (k[i] & mtUpperMask) | (k[i+1] & mtLowerMask)
		k[i] = k[i+mtM] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	}
	for ; i < mtN-1; i++ {
		y = (k[i] & mtUpperMask) | (k[i+1] & mtLowerMask)
		k[i] = k[i+(mtM-mtN)] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	}
	y = (k[mtN-1] & mtUpperMask) | (k[0] & mtLowerMask)
	k[mtN-1] = k[mtM-1] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	r.pos = 0
}

// Uint32 returns the next tempered 32-bit output (genrand_int32).
func (r *RandomState) Uint32() uint32 {
	if r.pos == mtN {
		r.generate()
	}
	y := r.key[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Intn returns a uniform integer in [0, n) exactly as numpy's legacy
// randint(0, n) does: with rng = n−1 and mask the smallest 2^k−1 ≥ rng,
// draw 32-bit outputs until (u & mask) ≤ rng.
//
// Intn panics if n < 1 or n > 2^32 (numpy switches to 64-bit draws above
// that, which this type does not reproduce).
func (r *RandomState) Intn(n int) int {
	if n < 1 || uint64(n) > 1<<32 {
		panic("score: RandomState.Intn: n out of range [1, 2^32]")
	}
	rng := uint32(n - 1)
	if rng == 0 {
		return 0
	}
	if rng == 0xffffffff {
		return int(r.Uint32())
	}
	mask := rng
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	for {
		v := r.Uint32() & mask
		if v <= rng {
			return int(v)
		}
	}
}

// Float64 returns a uniform float64 in [0, 1) with 53 random bits, as
// numpy's legacy random_sample does (genrand_res53: (a>>5)·2^26 + (b>>6),
// divided by 2^53).
func (r *RandomState) Float64() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) / 9007199254740992.0
}
