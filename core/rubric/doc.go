// Package rubric defines the rubric schema (criteria with weights or
// points, categories, polarity, tags and machine checks), imports it from
// the formats found in the wild (the project's own YAML/JSON file, the
// RCSD / Rubrics-as-Rewards array, HealthBench rows, RubricHub aliases)
// with format auto-detection, and validates and lints it, reporting every
// problem at once with its file position and JSON path.
//
// It never judges responses and never computes scores; it never touches
// the process (no os, no flag).
package rubric
