// Package eval turns one input record (an item: prompt, rubric, responses,
// optional labels) into scored results: it parses the record, runs the
// chosen judge per criterion, applies a scoring rule and computes GRPO
// advantages across an item's responses. It also accumulates the
// run summary (HealthBench aggregate layout, pass rates, errors).
//
// It never reads files, flags or the environment: hosts (the CLI, the
// WebAssembly bridge, the Worker) feed it bytes and write its output.
package eval
