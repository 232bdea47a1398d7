// Package export maps an rcsd config (and, optionally, items) to the files
// a native training framework runs: TRL's self-distillation (SDFT) and GKD
// trainers, verl with the lasgroup/SDPO self-distillation loss, and
// tinker-cookbook's SDFT and on-policy distillation recipes.
//
// Every knob of the config is accounted for in a Mapping: written to a
// target key (as is, converted, or approximated), or unmappable. An
// approximated or unmappable knob is a warning and a line of the
// NOTES.md written next to the export; a loss the target cannot express
// at all is an error and nothing is exported. Nothing is dropped
// silently. Direction conventions (β, α, update rates) are converted
// explicitly, each with the source that defines the target's meaning.
//
// The package returns files as names and bytes and never touches the
// process (no os, flag, log or syscall/js), so the browser playground
// calls it too. verl's Parquet dataset is returned as rows (VerlRow);
// core/export/parquet encodes them, kept apart so that a WebAssembly
// build of this package does not link a Parquet library.
package export
