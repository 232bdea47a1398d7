package score

import (
	"math"
	"testing"
)

func approxSlice(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol) {
			t.Errorf("%s[%d] = %.17g, want %.17g", name, i, got[i], want[i])
		}
	}
}

// Reference values from numpy 1.24.2 (float64, std with ddof=1, which is
// torch.std's default), by this snippet:
//
//	def trl(r, scale, G):   # trl/trainer/grpo_trainer.py _generate_and_score_completions
//	    r = np.array(r); g = r.reshape(-1, G); adv = r - np.repeat(g.mean(1), G)
//	    if scale in ("group", "none"): std = np.repeat(g.std(1, ddof=1), G) if G > 1 else np.zeros_like(r)
//	    else: std = np.full_like(r, r.std(ddof=1)) if r.size > 1 else np.zeros_like(r)
//	    return adv / (std + 1e-4) if scale != "none" else adv
//	def verl(r, norm, idx):  # verl/trainer/ppo/core_algos.py compute_grpo_outcome_advantage
//	    per reward: g = rewards sharing idx; m, s = (0, 1) if len(g) == 1 else (g.mean(), g.std(ddof=1))
//	    (x - m) / (s + 1e-6) if norm else x - m
//
// plus hand derivations where noted. Tolerance 1e-12.
func TestGRPO(t *testing.T) {
	tests := []struct {
		name    string
		rewards []float64
		conv    Convention
		want    []float64
	}{
		// Hand: mean 0.5, deviations ±0.5, s² = 1/3, A = 0.5/(1/√3 + 1e-4).
		{"trl-group-binary", []float64{1, 0, 0, 1}, TRL(ScaleGroup),
			[]float64{0.5 / (1/math.Sqrt(3) + 1e-4), -0.5 / (1/math.Sqrt(3) + 1e-4), -0.5 / (1/math.Sqrt(3) + 1e-4), 0.5 / (1/math.Sqrt(3) + 1e-4)}},
		{"trl-group", []float64{0.2, 0.5, 0.9, 0.4}, TRL(ScaleGroup),
			[]float64{-1.01870329442667, 0.0, 1.3582710592355602, -0.33956776480888995}},
		// One group: batch scaling uses the same std as group scaling.
		{"trl-batch-one-group", []float64{0.2, 0.5, 0.9, 0.4}, TRL(ScaleBatch),
			[]float64{-1.01870329442667, 0.0, 1.3582710592355602, -0.33956776480888995}},
		{"trl-none", []float64{0.2, 0.5, 0.9, 0.4}, TRL(ScaleNone),
			[]float64{-0.3, 0.0, 0.4, -0.09999999999999998}},
		// numpy: the constant group's mean rounds to 0.6999999999999998, so
		// A is rounding noise 1.11e-16/1e-4, not 0; torch would give its own noise.
		{"trl-group-constant", []float64{0.7, 0.7, 0.7}, TRL(ScaleGroup),
			[]float64{1.110223024623647e-12, 1.110223024623647e-12, 1.110223024623647e-12}},
		// Hand: TRL takes std = 0 for one generation, and r − mean = 0.
		{"trl-singleton", []float64{0.8}, TRL(ScaleGroup), []float64{0}},
		{"trl-singleton-none", []float64{0.8}, TRL(ScaleNone), []float64{0}},
		{"verl-norm", []float64{0.2, 0.5, 0.9, 0.4}, Verl(true),
			[]float64{-1.0190458692034328, 0.0, 1.3587278256045772, -0.33968195640114424}},
		{"verl-no-norm", []float64{0.2, 0.5, 0.9, 0.4}, Verl(false),
			[]float64{-0.3, 0.0, 0.4, -0.09999999999999998}},
		// Hand: verl uses mean 0, std 1 for a group of one: 0.8/(1 + 1e-6).
		{"verl-singleton", []float64{0.8}, Verl(true), []float64{0.7999992000008002}},
		{"verl-singleton-no-norm", []float64{0.8}, Verl(false), []float64{0.8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GRPO(nil, tt.rewards, tt.conv)
			approxSlice(t, "A", got, tt.want, 1e-12)
			dst := make([]float64, len(tt.rewards))
			if got2 := GRPO(dst, tt.rewards, tt.conv); &got2[0] != &dst[0] {
				t.Errorf("GRPO did not write into dst")
			}
			approxSlice(t, "dst", dst, tt.want, 1e-12)
		})
	}
}

// Batch layouts; values from the numpy snippet above TestGRPO.
func TestGRPOBatch(t *testing.T) {
	r := []float64{1, 0, 0.5, 0.5, 0.25, 1}
	tests := []struct {
		name string
		g    int
		conv Convention
		want []float64
	}{
		{"trl-group-g2", 2, TRL(ScaleGroup), []float64{0.7070067953266834, -0.7070067953266834, 0, 0, -0.7069734729900489, 0.7069734729900489}},
		{"trl-batch-g2", 2, TRL(ScaleBatch), []float64{1.2480639573544197, -1.2480639573544197, 0, 0, -0.9360479680158148, 0.9360479680158148}},
		{"trl-none-g2", 2, TRL(ScaleNone), []float64{0.5, -0.5, 0, 0, -0.375, 0.375}},
		// Hand: groups of one under TRL are all 0, whatever the scale.
		{"trl-batch-g1", 1, TRL(ScaleBatch), []float64{0, 0, 0, 0, 0, 0}},
		// Hand: verl groups of one: r/(1+1e-6).
		{"verl-g1", 1, Verl(true), []float64{1 / 1.000001, 0, 0.5 / 1.000001, 0.5 / 1.000001, 0.25 / 1.000001, 1 / 1.000001}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			approxSlice(t, "A", GRPOBatch(nil, r, tt.g, tt.conv), tt.want, 1e-12)
		})
	}
}

// verl groups by uid, not position; numpy snippet above TestGRPO with
// idx = [7, 3, 7, 3, 5].
func TestGRPOIndexed(t *testing.T) {
	got := GRPOIndexed(nil, []float64{1, 0.3, 0, 0.5, 0.9}, []int{7, 3, 7, 3, 5}, Verl(true))
	want := []float64{0.7071057811879616, -0.7071017812219027, -0.7071057811879616, 0.7071017812219024, 0.8999991000009001}
	approxSlice(t, "A", got, want, 1e-12)
	// Contiguous indices give the same as GRPOBatch.
	r := []float64{1, 0, 0.5, 0.5, 0.25, 1}
	for _, conv := range []Convention{TRL(ScaleGroup), TRL(ScaleBatch), TRL(ScaleNone), Verl(true), Verl(false)} {
		approxSlice(t, string(conv.Framework)+"/"+string(conv.Scale),
			GRPOIndexed(nil, r, []int{0, 0, 1, 1, 2, 2}, conv), GRPOBatch(nil, r, 2, conv), 0)
	}
}

func TestConventionValidate(t *testing.T) {
	tests := []struct {
		name string
		conv Convention
		want string
	}{
		{"trl", TRL(ScaleBatch), ""},
		{"verl", Verl(false), ""},
		{"unknown-framework", Convention{Framework: "openrlhf", Scale: ScaleGroup}, `score: unknown GRPO framework "openrlhf" (valid: trl, verl)`},
		{"unknown-scale", Convention{Framework: FrameworkTRL, Scale: "token"}, `score: unknown GRPO scale "token" (valid: group, batch, none)`},
		{"verl-batch", Convention{Framework: FrameworkVerl, Scale: ScaleBatch}, "score: verl has no batch scaling (use group or none)"},
		{"nan-eps", Convention{Framework: FrameworkTRL, Scale: ScaleGroup, Epsilon: math.NaN()}, "score: GRPO epsilon must be >= 0, got NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.conv.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGRPOPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"empty", func() { GRPO(nil, nil, TRL(ScaleGroup)) }},
		{"dst-len", func() { GRPO(make([]float64, 1), []float64{1, 2}, TRL(ScaleGroup)) }},
		{"bad-conv", func() { GRPO(nil, []float64{1}, Convention{}) }},
		{"batch-multiple", func() { GRPOBatch(nil, []float64{1, 2, 3}, 2, TRL(ScaleGroup)) }},
		{"batch-zero-group", func() { GRPOBatch(nil, []float64{1, 2}, 0, TRL(ScaleGroup)) }},
		{"indexed-len", func() { GRPOIndexed(nil, []float64{1, 2}, []int{0}, Verl(true)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.f()
		})
	}
}
