package rubric

// Diagnostic codes reported by this package. They are stable: tools
// match on them. docs/diagnostics.md (## Rubric) explains each one.
const (
	// Reading the file.
	CodeEmptyInput       = "empty-input"
	CodeInvalidUTF8      = "invalid-utf8"
	CodeJSONSyntax       = "json-syntax"
	CodeYAMLSyntax       = "yaml-syntax"
	CodeTrailingData     = "trailing-data"
	CodeWrongType        = "wrong-type"
	CodeNumberRange      = "number-out-of-range"
	CodeNonFiniteNumber  = "non-finite-number"
	CodeUnknownField     = "unknown-field"
	CodeMissingField     = "missing-field"
	CodeMissingVersion   = "missing-schema-version"
	CodeBadVersion       = "unsupported-schema-version"
	CodeUnknownFormat    = "unknown-format"
	CodeAmbiguousFormat  = "ambiguous-format"
	CodeMixedFormats     = "mixed-formats"
	CodeDefaultWeight    = "default-weight"
	CodeEmptyRubric      = "empty-rubric"
	CodeEmptyDescription = "empty-description"
	CodeEmptyID          = "empty-id"
	CodeDuplicateID      = "duplicate-id"
	CodeNonFiniteWeight  = "non-finite-weight"
	CodeWeightBounds     = "weight-out-of-bounds"
	CodeUnknownCategory  = "unknown-category"
	CodeUnknownPolarity  = "unknown-polarity"

	// Machine checks.
	CodeUnknownCheckKind  = "unknown-check-kind"
	CodeCheckMissingField = "check-missing-field"
	CodeCheckIgnoredField = "check-ignored-field"
	CodeCheckBadRegex     = "check-bad-regex"
	CodeCheckBadTolerance = "check-bad-tolerance"
	CodeCheckBadRange     = "check-bad-range"
	CodeCheckUnknownUnit  = "check-unknown-unit"

	// Lints.
	CodeCriteriaCount    = "criteria-count"
	CodeNoNegative       = "no-negative-criterion"
	CodeWeightRange      = "weight-range"
	CodeDuplicateCrit    = "duplicate-criterion"
	CodeNearDuplicate    = "near-duplicate-criterion"
	CodeGenericCriterion = "generic-criterion"
	CodePitfallPolarity  = "pitfall-polarity"
	CodePolarityMismatch = "polarity-mismatch"
	CodeNoPositiveWeight = "no-positive-weight"
)
