// Package world is the lab world: a generator, deterministic from a
// seed, of tasks made for a small model that must learn to read a
// rubric. A task is a prompt (a trip note for an audience: activity,
// season, audience, tone, place, days), a rubric of 3–8 weighted
// criteria in rcsd's own format with RaR categories and at least one
// pitfall, a reference answer, and guessed responses. Every criterion
// has one check the rules judge (core/judge) runs exactly, and the
// world knows the slot of the answer where each is won or lost, so
// rewards, verdicts and evidence spans are ground truth.
//
// Some criteria are a fixed function of the prompt's features (the
// activity's item, the water for the days and the season, the tone's
// opening, the tip unsafe for the audience, …): a student can learn
// them. Others are random per task and stated only by the rubric (the
// order of the steps, the meeting point, the sign-off, the banned
// extra): only a teacher that reads the rubric knows them. Difficulty is
// the knob; the held-out split (HeldOutTasks) is 500 tasks whose
// (activity, season, audience) combinations no train task or
// pretraining example ever has.
//
// The package also holds the world's tokenizer (word-level over its
// closed vocabulary, byte fallback, 844 tokens), the model's sequence
// layout (StudentContext, TeacherContext, AnswerIDs) and the
// pretraining corpus (Corpus). WriteItems writes tasks as JSONL items
// that rcsd validate, eval, teacher and the playground read unchanged.
// docs/lab.md describes the world and its measured figures.
//
// The package does no I/O beyond an io.Writer it is given, imports no
// os, and builds for js/wasm.
package world
