// Package report renders the result of an `rcsd eval` run as one
// self-contained HTML page: run metadata and counts, the HealthBench-style
// aggregate, per-criterion pass rates with inline bars, a score histogram
// drawn as inline SVG, and the lowest-scoring responses with every
// criterion's evidence span highlighted in the text.
//
// The page needs no network: CSS and SVG are inline, there are no fonts,
// images or external scripts; a few lines of inline JavaScript make
// tables sortable, and the page reads fully without them. Every string
// taken from the input (responses, prompts, criteria, ids, tags) goes
// through html/template's contextual escaping. Marks use the Okabe–Ito
// palette and never rely on colour alone: each span opens with a labelled
// icon (✓ met, ⚠ pitfall present, ✗ not met) and has its own underline
// style.
//
// The package only lays out numbers it is given: it never scores,
// aggregates or judges (that is core/eval and core/score), and it never
// touches files or the process; Write takes an io.Writer. LowestK lets a
// host stream any number of results and keep only the K responses to show.
package report
