// Package config reads rcsd config files: versioned YAML or JSON that
// capture the settings of a run (the shared rubric, the judge, scoring and
// GRPO conventions) so that `rcsd eval --config FILE`, the playground's
// export and, later, `rcsd loss` and `rcsd export` agree on one file.
//
// Unknown fields are errors with a "did you mean" hint, every problem is
// reported at once with its line, column and JSON path, and API keys are
// never part of a config. It never touches the process: hosts read the
// file and resolve relative paths.
package config
