// Package judge decides, criterion by criterion, whether a response meets
// a rubric: from given labels, deterministic rule checks, an offline
// lexical heuristic, or an LLM grader behind an OpenAI-compatible API.
//
// Every verdict says which judge made it and, where there is one, the
// supporting span of the response. A judge never aborts a batch: a
// criterion it cannot decide carries an error instead. The package does
// no file I/O; the LLM judge's cache and HTTP transport are interfaces the
// host supplies.
package judge
