package judge

import (
	"encoding/json"
	"fmt"
)

// Status is what became of one criterion for one response. Its string
// form is the verdict's "status" field in JSON.
type Status string

const (
	// StatusMet: the judge decided the criterion is met (Met is true).
	StatusMet Status = "met"
	// StatusNotMet: the judge decided it is not met (Met is false).
	StatusNotMet Status = "not_met"
	// StatusUnjudged: the judge tried and failed (a grader that is down
	// or answers 500, a reply that cannot be read, a check that does not
	// compile, labels not aligned with the criteria); Met is nil and Error
	// says why. The response's score is unknown until it is judged again.
	StatusUnjudged Status = "unjudged"
	// StatusNotApplicable: the judge has no means to decide this criterion
	// (rules on a criterion without checks, labels with no label for it,
	// lexical on a description with no key terms); Met is nil and
	// Explanation says why. Scores leave the criterion out.
	StatusNotApplicable Status = "not_applicable"
)

// Statuses lists every status in a stable order.
var Statuses = []Status{StatusMet, StatusNotMet, StatusUnjudged, StatusNotApplicable}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusMet, StatusNotMet, StatusUnjudged, StatusNotApplicable:
		return true
	}
	return false
}

// Reasons of not-applicable verdicts, in Explanation.
const (
	ReasonNoChecks = "no checks"
	ReasonNoLabel  = "no label for criterion"
	ReasonNoTerms  = "no key terms in criterion"
)

// State returns v's status: Status when set, else the one Met implies
// (nil is unjudged).
func (v *Verdict) State() Status {
	if v.Status != "" {
		return v.Status
	}
	switch {
	case v.Met == nil:
		return StatusUnjudged
	case *v.Met:
		return StatusMet
	}
	return StatusNotMet
}

// Settle fills in the Status of every verdict that has none, from Met
// (see State). Judges set StatusNotApplicable themselves; everything else
// follows from Met.
func Settle(vs []Verdict) {
	for i := range vs {
		vs[i].Status = vs[i].State()
	}
}

// notApplicable returns the verdict of a criterion the judge has no means
// to decide.
func notApplicable(id string, kind Kind, why string) Verdict {
	return Verdict{ID: id, Judge: kind, Status: StatusNotApplicable, Explanation: why}
}

// UnmarshalJSON reads a verdict and checks that its status and met agree.
// A record written before statuses existed has no "status": it is derived
// from met, and a null met whose error is one of the not-applicable
// reasons (ReasonNoChecks, ReasonNoLabel, ReasonNoTerms) reads as
// not_applicable, so old outputs resume, merge and report as new ones do.
func (v *Verdict) UnmarshalJSON(b []byte) error {
	type plain Verdict
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*v = Verdict(p)
	if v.Status == "" {
		if v.Met == nil {
			switch v.Error {
			case ReasonNoChecks, ReasonNoLabel, ReasonNoTerms:
				v.Status = StatusNotApplicable
				return nil
			}
		}
		v.Status = v.State()
		return nil
	}
	return v.checkStatus()
}

// checkStatus reports a status that is unknown or contradicts Met.
func (v *Verdict) checkStatus() error {
	if !v.Status.Valid() {
		return fmt.Errorf("criterion %q: unknown status %q (valid: met, not_met, unjudged, not_applicable)", v.ID, v.Status)
	}
	want := "null"
	switch v.Status {
	case StatusMet:
		want = "true"
	case StatusNotMet:
		want = "false"
	}
	got := "null"
	if v.Met != nil {
		got = fmt.Sprint(*v.Met)
	}
	if got != want {
		return fmt.Errorf("criterion %q: status %q needs met %s, got %s", v.ID, v.Status, want, got)
	}
	return nil
}
