package score

import "math"

// pairwiseSum returns the sum of x in the order numpy's float64 add.reduce
// uses on a contiguous array (DOUBLE_pairwise_sum in
// numpy/core/src/umath/loops_utils.h.src): plain left-to-right below 8
// elements, eight interleaved accumulators up to 128, and a recursive split
// at a multiple of 8 above that. Matching the order, not just the value,
// lets bootstrap results agree with numpy to the last bit rather than to
// rounding.
func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		var res float64
		for _, v := range x {
			res += v
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += x[i]
			r[1] += x[i+1]
			r[2] += x[i+2]
			r[3] += x[i+3]
			r[4] += x[i+4]
			r[5] += x[i+5]
			r[6] += x[i+6]
			r[7] += x[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += x[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(x[:n2]) + pairwiseSum(x[n2:])
	}
}

// npBufSize is numpy's default ufunc buffer size (np.getbufsize()). A
// reduction over more elements runs its inner loop once per block of this
// many, adding each block's pairwise sum to the running total.
const npBufSize = 8192

// npSum is np.add.reduce over a contiguous float64 array: the total starts
// at the additive identity 0 and adds the pairwise sum of each 8192-element
// block in turn (checked against numpy 1.24 for n up to 50001; see
// TestNpSumMatchesNumpy).
func npSum(x []float64) float64 {
	var res float64
	for len(x) > npBufSize {
		res += pairwiseSum(x[:npBufSize])
		x = x[npBufSize:]
	}
	return res + pairwiseSum(x)
}

// npMean is np.mean for a non-empty float64 slice: npSum(x) / n.
func npMean(x []float64) float64 {
	return npSum(x) / float64(len(x))
}

// npStd is np.std(x) (ddof = 0): sqrt(mean((x − mean(x))²)). scratch must
// have len(x) elements; it is overwritten.
func npStd(x, scratch []float64) float64 {
	m := npMean(x)
	for i, v := range x {
		d := v - m
		scratch[i] = d * d
	}
	return math.Sqrt(npMean(scratch))
}
