package main

import (
	"strings"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/grader"
	"github.com/rcsd-dev/rcsd/core/httpapi"
)

// The operator's grader settings: two vars and a secret
// (`wrangler secret put RCSD_JUDGE_API_KEY`), as rcsd serve reads them.
const (
	envJudgeURL   = "RCSD_JUDGE_URL"
	envJudgeModel = "RCSD_JUDGE_MODEL"
	envJudgeKey   = "RCSD_JUDGE_API_KEY"
	// envAllowOrigins lists, comma-separated, the web origins that may
	// call a Worker holding a key (besides its own pages); see
	// httpapi.Options.AllowOrigins.
	envAllowOrigins = "RCSD_ALLOW_ORIGINS"
)

// workerOptions is the Worker's handler configuration, shared with the
// native test that compares `wrangler dev` with the same handler byte for
// byte. getenv reads the Worker's vars and secrets; post sends the
// grader's requests.
//
// The llm judge is available when the operator sets RCSD_JUDGE_URL and
// RCSD_JUDGE_MODEL (and the key as a secret, when the grader needs one):
// its client is core/grader over the Workers runtime's fetch, not
// net/http's Client, whose transport and crypto/tls would take the Worker
// over the free plan's 3 MB (docs/worker.md). A URL the grader client
// refuses (not http(s), or carrying credentials) leaves the judge
// unavailable, as no setting does. With a key, the handler refuses web
// pages of other origins than its own and RCSD_ALLOW_ORIGINS (403, before
// any work) and redacts every reply; entries of RCSD_ALLOW_ORIGINS that
// are not origins match nothing. No demo model (size): the playground
// method needs traces here. No file server: the assets configuration
// serves the files.
func workerOptions(getenv func(string) string, post grader.Post) httpapi.Options {
	o := httpapi.Options{
		Host:         api.Host{Limits: api.DefaultLimits},
		MaxBodyBytes: httpapi.DefaultMaxBodyBytes,
		AllowOrigins: strings.Split(getenv(envAllowOrigins), ","),
	}
	url, model := getenv(envJudgeURL), getenv(envJudgeModel)
	if url != "" && model != "" && post != nil {
		if g, err := grader.NewChatter(url, model, getenv(envJudgeKey), post); err == nil {
			o.Host.Grader = g
		}
	}
	return o
}
