package world

import (
	"fmt"
	"math/rand/v2"
)

// Split names a part of the world: train tasks (the only ones
// pretraining and training ever see) or held-out tasks.
type Split string

const (
	Train   Split = "train"
	HeldOut Split = "heldout"
)

// ParseSplit returns the split named s.
func ParseSplit(s string) (Split, error) {
	switch Split(s) {
	case Train, HeldOut:
		return Split(s), nil
	}
	return "", fmt.Errorf("unknown split %q (want train or heldout)", s)
}

// IsHeldOut reports whether the combination of activity a, season s and
// audience u is held out. Exactly one activity in ten is held out for
// each (season, audience) pair, 20 of the 200 combinations; every single
// value and every pair of values still occurs in training, so held-out
// tasks are unseen combinations of seen features (TestSplitCoversPairs).
func IsHeldOut(a, s, u int) bool { return (a+3*s+7*u)%10 == 0 }

// HeldOutSize is the number of tasks HeldOutTasks returns.
const HeldOutSize = 500

// heldOutSeed fixes the held-out tasks: they never change with a seed.
const heldOutSeed = 0x6c61622d68656c64 // "lab-held"

// features lists the prompts' feature combinations of a split in a
// stable order.
func features(split Split, d Difficulty) []Features {
	var out []Features
	nplaces := 1
	if d.Place {
		nplaces = len(places)
	}
	for a := range activities {
		for s := range seasons {
			for u := range audiences {
				if IsHeldOut(a, s, u) != (split == HeldOut) {
					continue
				}
				for to := range tones {
					for p := 0; p < nplaces; p++ {
						for days := 1; days <= MaxDays; days++ {
							f := Features{Activity: a, Season: s, Audience: u, Tone: to, Place: p, Days: days}
							if !d.Place {
								f.Place = -1
							}
							out = append(out, f)
						}
					}
				}
			}
		}
	}
	return out
}

// PromptCount returns how many distinct prompts a split has at d.
func PromptCount(split Split, d Difficulty) int { return len(features(split, d)) }

// Generator draws tasks deterministically: task i of a split depends on
// the seed, the split, the difficulty and i only (not on how many tasks
// were drawn before), so any range of indices can be generated alone or
// in parallel. A Generator is immutable and safe for concurrent use.
type Generator struct {
	seed  uint64
	d     Difficulty
	train []Features
	held  []Features
}

// NewGenerator returns a generator of tasks at difficulty d.
func NewGenerator(seed uint64, d Difficulty) (*Generator, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("difficulty: %w", err)
	}
	return &Generator{seed: seed, d: d, train: features(Train, d), held: features(HeldOut, d)}, nil
}

// Difficulty returns the generator's difficulty.
func (g *Generator) Difficulty() Difficulty { return g.d }

// rng returns the random stream of task i of split under the seed.
func (g *Generator) rng(split Split, i int) *rand.Rand {
	stream := uint64(i) << 1
	if split == HeldOut {
		stream |= 1
	}
	return rand.New(rand.NewPCG(g.seed, stream^0x9e3779b97f4a7c15))
}

// Task returns task i (i >= 0) of split: features drawn uniformly among
// the split's combinations, then the task's secrets, criteria, weights
// and reference answer.
func (g *Generator) Task(split Split, i int) *Task {
	rng := g.rng(split, i)
	fs := g.train
	if split == HeldOut {
		fs = g.held
	}
	f := fs[rng.IntN(len(fs))]
	return newTask(taskID(split, g.seed, i), split, g.d, f, rng)
}

func taskID(split Split, seed uint64, i int) string {
	return fmt.Sprintf("lab-%s-s%d-%06d", split, seed, i)
}

// HeldOutTasks returns the fixed held-out split at difficulty d:
// HeldOutSize tasks with distinct prompts (at levels with the place
// feature; level 1 has 420 held-out prompts, so 80 recur), the same for every seed and
// every call. None of their feature combinations occurs in a train task.
func HeldOutTasks(d Difficulty) ([]*Task, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("difficulty: %w", err)
	}
	fs := features(HeldOut, d)
	rng := rand.New(rand.NewPCG(heldOutSeed, 0))
	perm := rng.Perm(len(fs))
	out := make([]*Task, HeldOutSize)
	for i := range out {
		// Past the split's prompt count (420 at level 1, which has no
		// place feature) prompts recur with other secrets and criteria.
		r := rand.New(rand.NewPCG(heldOutSeed, uint64(i)+1))
		out[i] = newTask(fmt.Sprintf("lab-heldout-%04d", i), HeldOut, d, fs[perm[i%len(fs)]], r)
	}
	return out, nil
}
