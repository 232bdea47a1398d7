package score

import (
	"fmt"
	"math"
)

// Framework names the training framework whose GRPO advantage convention
// is followed.
type Framework string

const (
	// FrameworkTRL is Hugging Face TRL's GRPOTrainer
	// (trl/trainer/grpo_trainer.py, _generate_and_score_completions).
	FrameworkTRL Framework = "trl"
	// FrameworkVerl is verl's compute_grpo_outcome_advantage
	// (verl/trainer/ppo/core_algos.py).
	FrameworkVerl Framework = "verl"
)

// Scale says what the centred rewards are divided by.
type Scale string

const (
	ScaleGroup Scale = "group" // the group's standard deviation (n−1) plus ε
	ScaleBatch Scale = "batch" // the whole batch's standard deviation (n−1) plus ε; TRL only
	ScaleNone  Scale = "none"  // nothing: A = r − mean (Dr. GRPO)
)

// Valid reports whether s is a known scale.
func (s Scale) Valid() bool {
	switch s {
	case ScaleGroup, ScaleBatch, ScaleNone:
		return true
	}
	return false
}

// Convention is one framework's GRPO advantage recipe.
type Convention struct {
	Framework Framework
	Scale     Scale
	// Epsilon is added to the standard deviation before dividing.
	Epsilon float64
}

// TRL returns TRL's convention with the given scale_rewards setting
// (TRL's default is "group"); ε = 1e-4.
func TRL(scale Scale) Convention {
	return Convention{Framework: FrameworkTRL, Scale: scale, Epsilon: 1e-4}
}

// Verl returns verl's convention; normByStd is verl's
// norm_adv_by_std_in_grpo (default true); ε = 1e-6.
func Verl(normByStd bool) Convention {
	s := ScaleGroup
	if !normByStd {
		s = ScaleNone
	}
	return Convention{Framework: FrameworkVerl, Scale: s, Epsilon: 1e-6}
}

// Validate reports an error for an unknown framework or scale, a batch
// scale under verl (which has none), or a negative or NaN ε.
func (c Convention) Validate() error {
	switch c.Framework {
	case FrameworkTRL, FrameworkVerl:
	default:
		return fmt.Errorf("score: unknown GRPO framework %q (valid: trl, verl)", string(c.Framework))
	}
	if !c.Scale.Valid() {
		return fmt.Errorf("score: unknown GRPO scale %q (valid: group, batch, none)", string(c.Scale))
	}
	if c.Framework == FrameworkVerl && c.Scale == ScaleBatch {
		return fmt.Errorf("score: verl has no batch scaling (use group or none)")
	}
	if !(c.Epsilon >= 0) {
		return fmt.Errorf("score: GRPO epsilon must be >= 0, got %v", c.Epsilon)
	}
	return nil
}

// meanStd returns the mean and the unbiased (n−1) standard deviation of x
// (torch.Tensor.std's default), both by two passes in index order. std is
// NaN for len(x) < 2, as torch returns.
func meanStd(x []float64) (mean, std float64) {
	n := float64(len(x))
	var s float64
	for _, v := range x {
		s += v
	}
	mean = s / n
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / (n - 1))
}

// GRPO writes into dst the advantages of one group of rewards (the
// rollouts of one prompt) and returns dst:
//
//	A_i = (r_i − mean(r)) / (std(r) + ε)   scale group (or batch: the group is the batch)
//	A_i = r_i − mean(r)                    scale none
//
// with std the unbiased (n−1) standard deviation. A group of one follows
// each framework:
//
//   - TRL: the standard deviation is taken as 0 (current TRL guards
//     num_generations == 1; older releases produced NaN from torch.std), so
//     A = 0 under every scale.
//   - verl: the group uses mean 0 and std 1, so A = r/(1 + ε) when scaled
//     and A = r when not.
//
// Computation is in float64; TRL and verl compute in float32, so their
// values agree with these to float32 rounding. A NaN reward makes the whole
// group NaN, as in the frameworks.
//
// If dst is nil a new slice is allocated. GRPO panics if dst is not nil and
// len(dst) != len(rewards), if rewards is empty, or if conv is invalid.
func GRPO(dst, rewards []float64, conv Convention) []float64 {
	if err := conv.Validate(); err != nil {
		panic(err.Error())
	}
	if len(rewards) == 0 {
		panic("score: GRPO: empty group")
	}
	dst = makeDst(dst, len(rewards), "GRPO")
	scale := conv.Scale != ScaleNone
	mean, std := groupStats(rewards, conv)
	for i, r := range rewards {
		a := r - mean
		if scale {
			a /= std + conv.Epsilon
		}
		dst[i] = a
	}
	return dst
}

// groupStats returns the mean and standard deviation one group is
// normalised with, singleton rules included.
func groupStats(g []float64, conv Convention) (mean, std float64) {
	if len(g) == 1 {
		if conv.Framework == FrameworkVerl {
			return 0, 1
		}
		return g[0], 0
	}
	return meanStd(g)
}

func makeDst(dst []float64, n int, fn string) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	if len(dst) != n {
		panic("score: " + fn + ": len(dst) != len(rewards)")
	}
	return dst
}

// GRPOBatch writes into dst the advantages of a batch laid out as TRL lays
// it out: consecutive groups of groupSize rewards (rewards[k·groupSize :
// (k+1)·groupSize] are the rollouts of prompt k), and returns dst. Each
// reward is centred on its group's mean; it is divided by its group's
// standard deviation plus ε under ScaleGroup, by the standard deviation of
// the whole batch plus ε under ScaleBatch (TRL: a batch of one reward uses
// 0), and by nothing under ScaleNone. Singleton groups follow GRPO.
//
// GRPOBatch allocates nothing when dst is given. It panics if groupSize < 1,
// len(rewards) is not a positive multiple of groupSize, dst is not nil and
// len(dst) != len(rewards), or conv is invalid.
func GRPOBatch(dst, rewards []float64, groupSize int, conv Convention) []float64 {
	if err := conv.Validate(); err != nil {
		panic(err.Error())
	}
	if groupSize < 1 || len(rewards) == 0 || len(rewards)%groupSize != 0 {
		panic("score: GRPOBatch: len(rewards) must be a positive multiple of groupSize >= 1")
	}
	dst = makeDst(dst, len(rewards), "GRPOBatch")
	var batchStd float64
	if conv.Scale == ScaleBatch {
		if len(rewards) > 1 {
			_, batchStd = meanStd(rewards)
		}
	}
	for k := 0; k < len(rewards); k += groupSize {
		g := rewards[k : k+groupSize]
		mean, std := groupStats(g, conv)
		if conv.Scale == ScaleBatch {
			std = batchStd
		}
		for i, r := range g {
			a := r - mean
			if conv.Scale != ScaleNone {
				a /= std + conv.Epsilon
			}
			dst[k+i] = a
		}
	}
	return dst
}

// GRPOIndexed writes into dst the advantages of a batch whose group of
// each reward is given by index, as verl groups rollouts by their uid
// (rewards with equal index[i] form one group, in any positions), and
// returns dst. Group statistics follow GRPO; ScaleBatch divides by the
// standard deviation of the whole batch as in GRPOBatch.
//
// GRPOIndexed allocates a map of the groups. It panics if len(index) !=
// len(rewards), rewards is empty, dst is not nil and len(dst) !=
// len(rewards), or conv is invalid.
func GRPOIndexed(dst, rewards []float64, index []int, conv Convention) []float64 {
	if err := conv.Validate(); err != nil {
		panic(err.Error())
	}
	if len(rewards) == 0 || len(index) != len(rewards) {
		panic("score: GRPOIndexed: len(index) must equal len(rewards) > 0")
	}
	dst = makeDst(dst, len(rewards), "GRPOIndexed")
	groups := make(map[int][]float64)
	for i, id := range index {
		groups[id] = append(groups[id], rewards[i])
	}
	type ms struct{ mean, std float64 }
	stats := make(map[int]ms, len(groups))
	for id, g := range groups {
		m, s := groupStats(g, conv)
		stats[id] = ms{m, s}
	}
	var batchStd float64
	if conv.Scale == ScaleBatch && len(rewards) > 1 {
		_, batchStd = meanStd(rewards)
	}
	for i, r := range rewards {
		st := stats[index[i]]
		a := r - st.mean
		switch conv.Scale {
		case ScaleGroup:
			a /= st.std + conv.Epsilon
		case ScaleBatch:
			a /= batchStd + conv.Epsilon
		}
		dst[i] = a
	}
	return dst
}
