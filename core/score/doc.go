// Package score turns per-criterion verdicts into numbers: per-example
// rubric scores (HealthBench, Rubrics as Rewards, ResearchRubrics, a
// positive-only weighted mean, PaperBench trees), HealthBench's aggregate
// over examples with its bootstrap standard deviation, and GRPO group
// advantages in TRL's and verl's conventions.
//
// Every number is meant to equal the outside system's to the last digit or
// to float rounding; docs/scoring.md gives each formula, the source file it
// follows and a worked example. Two conventions run through the package:
//
//   - Polarity is HealthBench's: for a negative criterion (negative points,
//     a pitfall) "met" means the bad behaviour is present, and its weight
//     is negative. RaR's category variant frames pitfalls the other way
//     round; RaRCategory maps between the two explicitly.
//   - Verdicts are []*bool; a nil entry is an unjudged criterion.
//     Rule.ScoreVerdicts gives no score when an applicable criterion is
//     unjudged and leaves not-applicable criteria out of numerator and
//     denominator; the slice functions, like the systems they follow,
//     count a nil entry as not met.
//
// The HealthBench bootstrap draws from RandomState, a re-implementation of
// numpy's legacy MT19937 generator, and sums in numpy's pairwise order, so
// with the same seed its standard deviations equal simple-evals'.
//
// The package is pure float64 arithmetic: it never reads files, never
// logs, never judges criteria and never imports anything of the project
// but core/rubric. Functions panic on programmer errors (length
// mismatches, invalid enums), as gonum does, and report data problems
// through ok results.
package score
