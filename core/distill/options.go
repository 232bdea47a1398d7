package distill

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// Divergence names the per-position divergence between the student S and
// the teacher T.
type Divergence string

const (
	// Forward is KL(T‖S) = Σ_v T_v (log T_v − log S_v), RCSD's released loss.
	Forward Divergence = "forward"
	// Reverse is KL(S‖T) = Σ_v S_v (log S_v − log T_v).
	Reverse Divergence = "reverse"
	// JSD is the generalised Jensen–Shannon divergence in TRL's convention:
	// M = (1−β)S + βT, JSD_β = β KL(T‖M) + (1−β) KL(S‖M). β = 0 is forward
	// KL(T‖S) and β = 1 is reverse KL(S‖T), special-cased (not limits).
	JSD Divergence = "jsd"
)

// Support names the set of vocabulary entries the divergence is summed over.
type Support string

const (
	// Full sums over the whole vocabulary.
	Full Support = "full"
	// TeacherTopK sums over the teacher's k most probable tokens.
	TeacherTopK Support = "teacher-topk"
	// StudentTopK sums over the student's k most probable tokens.
	StudentTopK Support = "student-topk"
)

// Reduction names how per-token values become one loss.
type Reduction string

const (
	// TokenMean is Σ over valid tokens / number of valid tokens in the batch.
	TokenMean Reduction = "token-mean"
	// SequenceMean is the mean over sequences (with at least one valid
	// token) of each sequence's token mean.
	SequenceMean Reduction = "sequence-mean"
	// Sum is the plain sum over valid tokens.
	Sum Reduction = "sum"
	// BatchMean is Σ over valid tokens / number of sequences in the batch,
	// PyTorch's and TRL's "batchmean" when no label mask is passed.
	BatchMean Reduction = "batchmean"
)

// Estimator names a sampled-token estimator that replaces the
// distribution divergence. The empty string selects the distribution loss.
type Estimator string

const (
	// NoEstimator selects the distribution divergence (the default).
	NoEstimator Estimator = ""
	// SampledToken is RCSD's alternative ("thinking machines") loss:
	// A_t = log T(y_t) − log S(y_t) (stop-gradient), loss term −A_t log S(y_t).
	SampledToken Estimator = "sampled-token"
	// K1 is verl's k1 = Δ with Δ = log S(y_t) − log T(y_t).
	K1 Estimator = "k1"
	// Abs is verl's |Δ|.
	Abs Estimator = "abs"
	// K2 is verl's ½Δ².
	K2 Estimator = "k2"
	// K3 is verl's low-variance e^u − u − 1, u = clamp(−Δ, −20, 20), result
	// clamped to [−10, 10].
	K3 Estimator = "k3"
	// Tinker is tinker-cookbook's a_t = −λ(log S − log T), optionally summed
	// over the future with discount γ, used as a policy-gradient advantage.
	Tinker Estimator = "tinker"
	// RLLM is rllm's A_t = clamp(log T − log S, −5, 5) used as a
	// policy-gradient advantage.
	RLLM Estimator = "rllm"
)

// RLLMAdvantageClip is the bound rllm applies to its distillation advantage.
const RLLMAdvantageClip = 5.0

// TailClampMax is the upper clamp on log Σ_{top-k} p applied before the tail
// bucket log(1 − Σ p) is formed, mirroring TRL's SDPO `_add_tail_log_probs`
// (torch.clamp(log_s, max=-1e-7)). A clamped tail has zero gradient.
const TailClampMax = -1e-7

// Options are the knobs of the distillation loss. The zero value is
// forward KL over the full vocabulary at temperature 1, token mean.
type Options struct {
	Divergence Divergence `json:"divergence,omitempty"` // "" means forward
	// Beta is the JSD interpolation β ∈ [0, 1] (TRL convention: 0 forward,
	// 1 reverse). It applies only to Divergence jsd.
	Beta float64 `json:"beta,omitempty"`
	// Temperature τ divides both logit vectors before normalising; 0 means 1.
	Temperature float64 `json:"temperature,omitempty"`
	Support     Support `json:"support,omitempty"` // "" means full
	TopK        int     `json:"top_k,omitempty"`
	// Tail adds one bucket log(1 − Σ_{top-k} p) to each side instead of
	// renormalising over the top-k entries.
	Tail bool `json:"tail,omitempty"`
	// ClipEntry caps each (position, vocabulary entry) term before the sum
	// over the vocabulary (RCSD); 0 is off. A capped term has zero gradient.
	ClipEntry float64 `json:"clip_entry,omitempty"`
	// ClipToken caps each position's divergence after the vocabulary sum;
	// 0 is off. A capped token has zero gradient.
	ClipToken float64   `json:"clip_token,omitempty"`
	Reduction Reduction `json:"reduction,omitempty"` // "" means token-mean
	// SkipFirst leaves the first N completion positions out of the loss.
	SkipFirst int `json:"skip_first,omitempty"`
	// MaskThinking leaves out every position up to and including the first
	// ThinkEndToken; a sequence without one is dropped entirely.
	MaskThinking  bool      `json:"mask_thinking,omitempty"`
	ThinkEndToken int       `json:"think_end_token,omitempty"`
	Estimator     Estimator `json:"estimator,omitempty"`
	// KLCoef is tinker's λ; 0 means 1.
	KLCoef float64 `json:"kl_coef,omitempty"`
	// Discount is tinker's γ for the discounted future sum; 0 is off.
	Discount float64 `json:"discount,omitempty"`
}

// RCSDReleased returns the setting of RCSD's released Stage II runs
// (carriegu0818/RCSD, rcsd_trainer_reward.py): forward KL (β = 0),
// τ = 1.2, teacher top-20 renormalised, per-entry clip 0.05, token mean.
func RCSDReleased() Options {
	return Options{
		Divergence:  Forward,
		Temperature: 1.2,
		Support:     TeacherTopK,
		TopK:        20,
		ClipEntry:   0.05,
		Reduction:   TokenMean,
	}
}

// normalized returns o with the documented defaults filled in and the JSD
// endpoints rewritten to the pure KLs.
func (o Options) normalized() Options {
	if o.Divergence == "" {
		o.Divergence = Forward
	}
	if o.Divergence == JSD && o.Beta == 0 {
		o.Divergence = Forward
	}
	if o.Divergence == JSD && o.Beta == 1 {
		o.Divergence = Reverse
	}
	if o.Estimator != NoEstimator && o.Divergence == Forward {
		o.Divergence = Reverse
	}
	if o.Temperature == 0 {
		o.Temperature = 1
	}
	if o.Support == "" {
		o.Support = Full
	}
	if o.Reduction == "" {
		o.Reduction = TokenMean
	}
	if o.KLCoef == 0 {
		o.KLCoef = 1
	}
	return o
}

func badFloat(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

// Validate reports every problem with o at once. Paths are JSON paths of
// the option fields. Contradictory settings (a sampled-token estimator
// with forward KL, a tail with the full support, β with a pure KL) are
// errors; a JSD endpoint β ∈ {0, 1} is an info note.
func (o Options) Validate() diag.List {
	var l diag.List
	switch o.Divergence {
	case "", Forward, Reverse, JSD:
	default:
		l = append(l, withHint(diag.Errorf("distill-unknown-divergence", "$.divergence",
			"unknown divergence %q", o.Divergence), `one of "forward", "reverse", "jsd"`))
	}
	switch {
	case badFloat(o.Beta) || o.Beta < 0 || o.Beta > 1:
		l = append(l, diag.Errorf("distill-bad-beta", "$.beta", "beta %v is outside [0, 1]", o.Beta))
	case o.Beta != 0 && o.Divergence != JSD && o.Estimator == NoEstimator:
		div := o.Divergence
		if div == "" {
			div = Forward // the default, which a β would otherwise silently leave
		}
		l = append(l, withHint(diag.Errorf("distill-beta-without-jsd", "$.beta",
			"beta %v is set but divergence is %q", o.Beta, div),
			`beta applies only to "jsd"; TRL convention: beta 0 = forward, 1 = reverse`))
	case o.Divergence == JSD && (o.Beta == 0 || o.Beta == 1):
		name := "forward KL(T‖S)"
		if o.Beta == 1 {
			name = "reverse KL(S‖T)"
		}
		l = append(l, diag.Diagnostic{Severity: diag.Info, Code: "distill-jsd-endpoint", Path: "$.beta",
			Message: fmt.Sprintf("jsd with beta %v is %s (TRL convention, special-cased, not the limit of the interior formula)", o.Beta, name)})
	}
	if badFloat(o.Temperature) || o.Temperature < 0 {
		l = append(l, withHint(diag.Errorf("distill-bad-temperature", "$.temperature",
			"temperature %v must be a positive finite number", o.Temperature), "use 1 (or leave it out) for no temperature"))
	}
	switch o.Support {
	case "", Full:
		if o.TopK != 0 {
			l = append(l, withHint(diag.Errorf("distill-topk-without-topk-support", "$.top_k",
				"top_k %d is set but support is full", o.TopK), `use support "teacher-topk" or "student-topk"`))
		}
		if o.Tail {
			l = append(l, diag.Errorf("distill-tail-without-topk", "$.tail",
				"a tail bucket needs a top-k support"))
		}
	case TeacherTopK, StudentTopK:
		if o.TopK < 1 {
			l = append(l, diag.Errorf("distill-bad-topk", "$.top_k",
				"support %q needs top_k ≥ 1, got %d", o.Support, o.TopK))
		}
	default:
		l = append(l, withHint(diag.Errorf("distill-unknown-support", "$.support",
			"unknown support %q", o.Support), `one of "full", "teacher-topk", "student-topk"`))
	}
	if badFloat(o.ClipEntry) || o.ClipEntry < 0 {
		l = append(l, diag.Errorf("distill-bad-clip", "$.clip_entry", "clip_entry %v must be ≥ 0 and finite (0 is off)", o.ClipEntry))
	}
	if badFloat(o.ClipToken) || o.ClipToken < 0 {
		l = append(l, diag.Errorf("distill-bad-clip", "$.clip_token", "clip_token %v must be ≥ 0 and finite (0 is off)", o.ClipToken))
	}
	switch o.Reduction {
	case "", TokenMean, SequenceMean, Sum, BatchMean:
	default:
		l = append(l, withHint(diag.Errorf("distill-unknown-reduction", "$.reduction",
			"unknown reduction %q", o.Reduction), `one of "token-mean", "sequence-mean", "sum", "batchmean"`))
	}
	if o.SkipFirst < 0 {
		l = append(l, diag.Errorf("distill-bad-skip", "$.skip_first", "skip_first %d must be ≥ 0", o.SkipFirst))
	}
	if o.ThinkEndToken < 0 {
		l = append(l, diag.Errorf("distill-bad-think-token", "$.think_end_token", "think_end_token %d must be a token id ≥ 0", o.ThinkEndToken))
	} else if o.ThinkEndToken != 0 && !o.MaskThinking {
		l = append(l, withHint(diag.Warnf("distill-think-token-unused", "$.think_end_token",
			"think_end_token is set but mask_thinking is false"), "set mask_thinking to drop the thinking block"))
	}
	if badFloat(o.KLCoef) || o.KLCoef < 0 {
		l = append(l, diag.Errorf("distill-bad-kl-coef", "$.kl_coef", "kl_coef %v must be ≥ 0 and finite", o.KLCoef))
	}
	if badFloat(o.Discount) || o.Discount < 0 || o.Discount > 1 {
		l = append(l, diag.Errorf("distill-bad-discount", "$.discount", "discount %v is outside [0, 1]", o.Discount))
	}
	switch o.Estimator {
	case NoEstimator:
		if o.KLCoef != 0 {
			l = append(l, diag.Errorf("distill-option-needs-estimator", "$.kl_coef", "kl_coef applies only to estimator %q", Tinker))
		}
		if o.Discount != 0 {
			l = append(l, diag.Errorf("distill-option-needs-estimator", "$.discount", "discount applies only to estimator %q", Tinker))
		}
	case SampledToken, K1, Abs, K2, K3, Tinker, RLLM:
		if o.Divergence == Forward || o.Divergence == JSD {
			l = append(l, withHint(diag.Errorf("distill-estimator-divergence", "$.divergence",
				"estimator %q estimates reverse KL(S‖T) from the sampled token; divergence %q contradicts it", o.Estimator, o.Divergence),
				`leave divergence out or set "reverse"`))
		}
		if o.Support != "" && o.Support != Full {
			l = append(l, diag.Errorf("distill-estimator-support", "$.support",
				"estimator %q uses only the sampled token; support %q does not apply", o.Estimator, o.Support))
		}
		if o.ClipEntry != 0 {
			l = append(l, diag.Errorf("distill-estimator-clip", "$.clip_entry",
				"estimator %q has no vocabulary entries to clip", o.Estimator))
		}
		if o.ClipToken != 0 {
			l = append(l, withHint(diag.Errorf("distill-estimator-clip", "$.clip_token",
				"estimator %q: clip_token does not apply to a sampled-token term", o.Estimator),
				`rllm's advantage clip is built in; use estimator "rllm"`))
		}
		if o.Estimator != Tinker {
			if o.KLCoef != 0 {
				l = append(l, diag.Errorf("distill-option-needs-estimator", "$.kl_coef", "kl_coef applies only to estimator %q", Tinker))
			}
			if o.Discount != 0 {
				l = append(l, diag.Errorf("distill-option-needs-estimator", "$.discount", "discount applies only to estimator %q", Tinker))
			}
		}
	default:
		l = append(l, withHint(diag.Errorf("distill-unknown-estimator", "$.estimator",
			"unknown estimator %q", o.Estimator), `one of "sampled-token", "k1", "abs", "k2", "k3", "tinker", "rllm" (or leave it out)`))
	}
	return l
}

func errFromList(l diag.List) error {
	var errs diag.List
	for _, d := range l {
		if d.Severity == diag.Error {
			errs = append(errs, d)
		}
	}
	return &diag.Err{List: errs}
}

func withHint(d diag.Diagnostic, hint string) diag.Diagnostic {
	d.Hint = hint
	return d
}

// ParseOptions decodes JSON options (field names as in Options' tags),
// rejecting unknown fields, and validates them. The returned options are
// usable only when the list has no errors.
func ParseOptions(data []byte) (Options, diag.List) {
	var o Options
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Options{}, diag.List{jsonDiag(err)}
	}
	if dec.More() {
		return Options{}, diag.List{diag.Errorf("distill-bad-json", "$", "trailing data after the options object")}
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return Options{}, diag.List{diag.Errorf("distill-bad-json", "$", "trailing data after the options object")}
	}
	return o, o.Validate()
}

func jsonDiag(err error) diag.Diagnostic {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := "$"
		if te.Field != "" {
			path = "$." + te.Field
		}
		return diag.Errorf("distill-bad-json", path, "expected %s, got JSON %s", te.Type, te.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name := strings.Trim(f, `"`)
		d := diag.Errorf("distill-unknown-field", "$."+name, "unknown option %q", name)
		if s := diag.Suggest(name, optionFields); s != "" {
			d.Hint = fmt.Sprintf("did you mean %q?", s)
		}
		return d
	}
	return diag.Errorf("distill-bad-json", "$", "%s", strings.TrimPrefix(msg, "json: "))
}

var optionFields = []string{"divergence", "beta", "temperature", "support", "top_k", "tail",
	"clip_entry", "clip_token", "reduction", "skip_first", "mask_thinking", "think_end_token",
	"estimator", "kl_coef", "discount"}
