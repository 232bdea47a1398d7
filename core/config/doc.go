// Package config reads rcsd config files: versioned YAML or JSON that
// capture the settings of a run (where rubrics come from, the judge,
// scoring and GRPO conventions, the teacher's template, privileged fields
// and weights, the loss, sampling) so that `rcsd eval --config FILE`,
// `rcsd loss --config FILE`, `rcsd export` and the playground agree on one
// file. Presets (rcsd, opsd, rgsd, sdpo) carry the published settings.
//
// Unknown fields are errors with a "did you mean" hint, every problem is
// reported at once with its line, column and JSON path, and API keys are
// never part of a config. It never touches the process: hosts read the
// file and resolve relative paths.
package config
