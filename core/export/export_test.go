package export_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml "go.yaml.in/yaml/v3"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/export"
)

const engine = "rcsd 0.1.0"

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func parseConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	c, dl := config.Parse("c.yaml", []byte(text))
	if c == nil {
		t.Fatalf("config: %v", dl)
	}
	return c
}

func run(t *testing.T, target export.Target, cfg, items string) export.Result {
	t.Helper()
	return export.Export(export.Request{Target: target, Config: parseConfig(t, cfg), ConfigFile: "rcsd.yaml",
		Items: items, ItemsFile: "items.jsonl", EngineVersion: engine})
}

func file(t *testing.T, r export.Result, name string) []byte {
	t.Helper()
	for _, f := range r.Files {
		if f.Name == name {
			return f.Content
		}
	}
	t.Fatalf("no file %s in %v", name, names(r))
	return nil
}

func names(r export.Result) []string {
	var n []string
	for _, f := range r.Files {
		n = append(n, f.Name)
	}
	return n
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", path)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from its golden file (UPDATE_GOLDEN=1 rewrites it; -want +got):\n%s", path, d)
	}
}

// TestGolden: the released RCSD setting with four records (two good, one
// without a rubric, one with a bad weight) exported to every target.
func TestGolden(t *testing.T) {
	for _, target := range export.Targets() {
		t.Run(string(target), func(t *testing.T) {
			r := run(t, target, read(t, "rcsd.yaml"), read(t, "items.jsonl"))
			if r.Records != 4 || r.Rows != 2 || r.Skipped != 2 {
				t.Errorf("records %d rows %d skipped %d, want 4 2 2", r.Records, r.Rows, r.Skipped)
			}
			for _, f := range r.Files {
				golden(t, filepath.Join(string(target), f.Name), f.Content)
			}
			var dl []string
			for _, d := range r.Diagnostics {
				dl = append(dl, d.String())
			}
			golden(t, filepath.Join(string(target), "diagnostics.txt"), []byte(strings.Join(dl, "\n")+"\n"))
		})
	}
}

type keyed struct {
	Key    string
	Target any
	Status export.Status
}

// TestRCSDPresetLands: the released RCSD setting (method.md §2: forward
// KL, τ 1.2, teacher top-20, per-entry clip 0.05, token mean, frozen
// teacher, one rollout per prompt) in every target, with the knobs each
// cannot express listed.
func TestRCSDPresetLands(t *testing.T) {
	tests := []struct {
		target export.Target
		keys   []keyed  // the loss, teacher and sampling keys written
		not    []string // knobs not expressed exactly
	}{
		{export.TRLSDFT, []keyed{
			{"distillation_alpha", 0.0, export.Converted},             // β 0 = α 0, forward KL (self_distillation_config.py)
			{"distillation_mode", "topk_logits", export.Approximated}, // TRL's top-k is the student's
			{"distillation_topk", 20, export.Approximated},
			{"distillation_add_tail", false, export.Mapped},
			{"temperature", 1.2, export.Mapped},
			{"loss_type", "dapo", export.Converted},
			{"teacher_model_kind", "base", export.Converted},
			{"teacher_prompt_template", "{prompt}\n\n{privileged_context}", export.Converted},
			{"num_generations", 1, export.Mapped},
			{"distillation_is_clip", nil, export.Converted},
		}, []string{"loss.support", "loss.top_k", "loss.clip_entry"}},
		{export.TRLGKD, []keyed{
			{"lmbda", 1.0, export.Fixed},
			{"beta", 0.0, export.Converted}, // GKD: beta 0 is forward KL (gkd_config.py)
			{"temperature", 1.2, export.Mapped},
			{"teacher_model_name_or_path", nil, export.Converted},
			{"max_new_tokens", 2048, export.Mapped},
		}, []string{"loss.support", "loss.clip_entry", "prompt.variant", "prompt.thinking"}},
		{export.Verl, []keyed{
			{"actor_rollout_ref.actor.policy_loss.loss_mode", "sdpo", export.Fixed},
			{"actor_rollout_ref.actor.self_distillation.alpha", 0.0, export.Converted},
			{"actor_rollout_ref.actor.self_distillation.distillation_topk", 20, export.Approximated},
			{"actor_rollout_ref.actor.self_distillation.distillation_add_tail", false, export.Mapped},
			{"actor_rollout_ref.actor.self_distillation.teacher_update_rate", 0.0, export.Converted},
			{"actor_rollout_ref.actor.loss_agg_mode", "token-mean", export.Mapped},
			{"actor_rollout_ref.rollout.temperature", 1.2, export.Mapped},
			{"actor_rollout_ref.rollout.n", 1, export.Mapped},
			{"data.max_response_length", 2048, export.Mapped},
		}, []string{"loss.support", "loss.clip_entry"}},
		{export.Tinker, []keyed{
			{"loss_fn", "cross_entropy", export.Fixed},
			{"reverse", false, export.Converted},
			{"topk", 20, export.Mapped}, // tinker's top-K is the teacher's, as RCSD's
			{"temperature", 1.2, export.Mapped},
			{"teacher_sync_every", nil, export.Converted},
			{"max_tokens", 2048, export.Mapped},
		}, []string{"loss.temperature", "loss.clip_entry", "loss.reduction"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.target), func(t *testing.T) {
			r := run(t, tt.target, "schema_version: 1\npreset: rcsd\nprompt: {chat: qwen3}\nsampling: {temperature: 1.2, rollouts_per_prompt: 1, max_new_tokens: 2048}\n", "")
			if r.Diagnostics.HasErrors() {
				t.Fatal(r.Diagnostics)
			}
			got := map[string]keyed{}
			var not []string
			for _, m := range r.Mappings {
				if m.Key != "" {
					if _, dup := got[m.Key]; !dup {
						got[m.Key] = keyed{m.Key, m.Target, m.Status}
					}
				}
				if m.Status == export.Approximated || m.Status == export.Unmappable {
					not = append(not, m.Knob)
				}
				if m.Status != export.Unused && m.Source == "" && m.Key != "" {
					t.Errorf("%s → %s has no source", m.Knob, m.Key)
				}
			}
			for _, k := range tt.keys {
				if d := cmp.Diff(k, got[k.Key]); d != "" {
					t.Errorf("key %s (-want +got):\n%s", k.Key, d)
				}
			}
			if d := cmp.Diff(tt.not, not); d != "" {
				t.Errorf("knobs not expressed exactly (-want +got):\n%s", d)
			}
			// Each one is a warning too, and a line of NOTES.md.
			notes := string(file(t, r, export.NotesFile))
			for _, k := range tt.not {
				found := false
				for _, d := range r.Diagnostics {
					found = found || d.Path == "$."+k
				}
				if !found {
					t.Errorf("no warning for %s", k)
				}
				if !strings.Contains(notes, "- **`"+k+"`") {
					t.Errorf("NOTES.md does not list %s", k)
				}
			}
		})
	}
}

// TestConventions: rcsd's β, TRL's α and GKD's beta, SDPO's alpha all
// read 0 as forward KL(T‖S) and 1 as reverse KL(S‖T), with the same
// mixture M = (1−β)S + βT in between (TRL self_distillation_loss.py
// _compute_divergence and gkd_trainer.py generalized_jsd_loss, checked by
// hand against distill's JSD); an EMA decay d is the update rate 1 − d
// (TRL teacher_sync.py: teacher = (1 − rate)·teacher + rate·student).
func TestConventions(t *testing.T) {
	tests := []struct {
		name, loss, teacher string
		target              export.Target
		key                 string
		want                any
	}{
		{"forward→α", "{divergence: forward}", "", export.TRLSDFT, "distillation_alpha", 0.0},
		{"reverse→α", "{divergence: reverse}", "", export.TRLSDFT, "distillation_alpha", 1.0},
		{"jsd→α", "{divergence: jsd, beta: 0.3}", "", export.TRLSDFT, "distillation_alpha", 0.3},
		{"jsd β1 is reverse", "{divergence: jsd, beta: 1}", "", export.TRLSDFT, "distillation_alpha", 1.0},
		{"forward→GKD beta", "{divergence: forward}", "", export.TRLGKD, "beta", 0.0},
		{"reverse→GKD beta", "{divergence: reverse}", "", export.TRLGKD, "beta", 1.0},
		{"jsd→GKD beta", "{divergence: jsd, beta: 0.3}", "", export.TRLGKD, "beta", 0.3},
		{"reverse→SDPO alpha", "{divergence: reverse}", "", export.Verl, "actor_rollout_ref.actor.self_distillation.alpha", 1.0},
		{"sampled-token→TRL mode", "{estimator: sampled-token}", "", export.TRLSDFT, "distillation_mode", "sampled_token"},
		{"sampled-token→TRL α 1", "{estimator: sampled-token}", "", export.TRLSDFT, "distillation_alpha", 1.0},
		{"sampled-token→tinker topk 0", "{estimator: sampled-token}", "", export.Tinker, "topk", 0},
		{"full→TRL full_logits", "{support: full}", "", export.TRLSDFT, "distillation_mode", "full_logits"},
		{"full→SDPO topk null", "{support: full}", "", export.Verl, "actor_rollout_ref.actor.self_distillation.distillation_topk", nil},
		{"student top-k→TRL", "{support: student-topk, top_k: 100, tail: true}", "", export.TRLSDFT, "distillation_add_tail", true},
		{"sequence-mean→grpo", "{reduction: sequence-mean}", "", export.TRLSDFT, "loss_type", "grpo"},
		{"batchmean→verl", "{reduction: batchmean}", "", export.Verl, "actor_rollout_ref.actor.loss_agg_mode", "seq-mean-token-sum"},
		{"ema→TRL rate", "", "{mode: ema, ema_decay: 0.999}", export.TRLSDFT, "teacher_update_rate", 0.001},
		{"ema→TRL kind", "", "{mode: ema, ema_decay: 0.999}", export.TRLSDFT, "teacher_model_kind", "ema"},
		{"ema→TRL sync", "", "{mode: ema, ema_decay: 0.999}", export.TRLSDFT, "teacher_sync_steps", 1},
		{"ema→SDPO rate", "", "{mode: ema, ema_decay: 0.95}", export.Verl, "actor_rollout_ref.actor.self_distillation.teacher_update_rate", 0.05},
		{"live→SDPO rate 1", "", "{mode: live}", export.Verl, "actor_rollout_ref.actor.self_distillation.teacher_update_rate", 1.0},
		{"live→TRL", "", "{mode: live}", export.TRLSDFT, "teacher_model_kind", "live"},
		{"live→tinker sync 1", "", "{mode: live}", export.Tinker, "teacher_sync_every", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := "schema_version: 1\n"
			if tt.loss != "" {
				cfg += "loss: " + tt.loss + "\n"
			}
			if tt.teacher != "" {
				cfg += "teacher: " + tt.teacher + "\n"
			}
			r := run(t, tt.target, cfg, "")
			if r.Diagnostics.HasErrors() {
				t.Fatal(r.Diagnostics)
			}
			for _, m := range r.Mappings {
				if m.Key == tt.key {
					if d := cmp.Diff(tt.want, m.Target); d != "" {
						t.Errorf("%s (-want +got):\n%s", tt.key, d)
					}
					return
				}
			}
			t.Errorf("no key %s in %+v", tt.key, r.Mappings)
		})
	}
}

// TestInexpressible: a loss a target cannot run is an error at the knob's
// path, and nothing is exported.
func TestInexpressible(t *testing.T) {
	tests := []struct {
		target export.Target
		loss   string
		want   string
	}{
		{export.TRLSDFT, "{estimator: rllm}", "error export-inexpressible: $.loss.estimator: trl-sdft cannot run loss.estimator = rllm: no target has rllm's clipped advantage clamp(log T − log S, −5, 5)"},
		{export.Verl, "{estimator: k3}", "error export-inexpressible: $.loss.estimator: verl cannot run loss.estimator = k3: verl's KL estimators (kl_loss_type kl/abs/mse/low_var_kl) penalise against a reference policy that sees the student's prompt, not a privileged teacher; no target applies them to a rubric-conditioned teacher"},
		{export.TRLGKD, "{estimator: sampled-token}", "error export-inexpressible: $.loss.estimator: trl-gkd cannot run loss.estimator = sampled-token: GKD computes the generalised JSD over the whole vocabulary only; use trl-sdft (distillation_mode sampled_token)"},
		{export.Tinker, "{divergence: jsd, beta: 0.5}", "error export-inexpressible: $.loss.divergence: tinker cannot run loss.divergence = jsd (beta 0.5): tinker's SDFT has forward and reverse KL only"},
		{export.TRLSDFT, "{estimator: tinker, discount: 0.9}", "error export-inexpressible: $.loss.discount: trl-sdft cannot run loss.discount = 0.9: TRL's sampled-token loss has no discounted future sum"},
	}
	for _, tt := range tests {
		t.Run(string(tt.target)+" "+tt.loss, func(t *testing.T) {
			r := run(t, tt.target, "schema_version: 1\nloss: "+tt.loss+"\n", read(t, "items.jsonl"))
			var errs []string
			for _, d := range r.Diagnostics {
				if d.Severity == "error" {
					errs = append(errs, d.String())
				}
			}
			if d := cmp.Diff([]string{tt.want}, errs); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
			if len(r.Files) != 0 || r.Rows != 0 {
				t.Errorf("exported %v despite the error", names(r))
			}
		})
	}
}

// TestRoundTrip reads every exported file back (YAML, JSON, JSONL) and
// compares it with what the export meant to write.
func TestRoundTrip(t *testing.T) {
	items := read(t, "items.jsonl")
	cfg := read(t, "rcsd.yaml")

	sdft := run(t, export.TRLSDFT, cfg, items)
	var y map[string]any
	if err := yaml.Unmarshal(file(t, sdft, export.SDFTConfigFile), &y); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"generate_from_teacher": false, "distillation_alpha": 0.0, "distillation_mode": "topk_logits",
		"distillation_topk": 20, "distillation_add_tail": false, "temperature": 1.2, "loss_type": "dapo",
		"num_loss_tokens_to_skip": 0, "teacher_model_kind": "base", "teacher_prompt_template": "{prompt}\n\n{privileged_context}",
		"chat_template_kwargs": map[string]any{"enable_thinking": false}, "max_completion_length": 2048,
		"num_generations": 1, "distillation_is_clip": nil,
	}
	if d := cmp.Diff(want, y); d != "" {
		t.Errorf("sdft_config.yaml (-want +got):\n%s", d)
	}
	type sdftRow struct {
		Prompt     []eval.Message `json:"prompt"`
		Privileged string         `json:"privileged_context"`
	}
	var rows []sdftRow
	for _, l := range strings.Split(strings.TrimSpace(string(file(t, sdft, export.TrainFile))), "\n") {
		var r sdftRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	wantRows := []sdftRow{
		{[]eval.Message{{Role: "user", Content: "What is the capital of France?"}},
			"Reference Answer:\nParis.\n\nRubric (JSON array):\n" +
				`[{"title": "Names Paris", "description": "Essential Criteria: Names Paris as the capital.", "weight": 5}, {"title": "Lyon", "description": "Pitfall Criteria: Claims Lyon is the capital.", "weight": -1}]` +
				"\n\nUse the reference answer and the rubric as guidance."},
		{[]eval.Message{{Role: "system", Content: "Answer briefly."}, {Role: "user", Content: "Why is the sky blue?"}},
			"Reference Answer:\nRayleigh scattering favours short wavelengths.\n\nRubric (JSON array):\n" +
				`[{"title": "Rayleigh", "description": "Mentions Rayleigh scattering.", "weight": 4}]` +
				"\n\nUse the reference answer and the rubric as guidance."},
	}
	if d := cmp.Diff(wantRows, rows); d != "" {
		t.Errorf("train.jsonl (-want +got):\n%s", d)
	}

	v := run(t, export.Verl, cfg, items)
	var vy map[string]any
	if err := yaml.Unmarshal(file(t, v, export.VerlConfigFile), &vy); err != nil {
		t.Fatal(err)
	}
	sd := vy["actor_rollout_ref"].(map[string]any)["actor"].(map[string]any)["self_distillation"].(map[string]any)
	wantSD := map[string]any{"full_logit_distillation": true, "alpha": 0.0, "distillation_topk": 20, "distillation_add_tail": false,
		"teacher_regularization": "ema", "teacher_update_rate": 0.0, "reprompt_template": "{prompt}\n\n{feedback}", "feedback_template": "{feedback_raw}",
		"include_environment_feedback": true, "environment_feedback_only_without_solution": false, "is_clip": nil}
	if d := cmp.Diff(wantSD, sd); d != "" {
		t.Errorf("verl self_distillation (-want +got):\n%s", d)
	}
	if got := vy["defaults"]; !cmp.Equal(got, []any{"ppo_trainer", "_self_"}) {
		t.Errorf("defaults %v", got)
	}
	if len(v.Verl) != 2 || v.Verl[0].ExtraInfo.PrivilegedContext != rows[0].Privileged || v.Verl[1].RewardModel.GroundTruth != "Rayleigh scattering favours short wavelengths." {
		t.Errorf("verl rows %+v", v.Verl)
	}

	tk := run(t, export.Tinker, cfg, items)
	var tj map[string]any
	if err := json.Unmarshal(file(t, tk, export.TinkerSDFTFile), &tj); err != nil {
		t.Fatal(err)
	}
	wantTJ := map[string]any{"loss_fn": "cross_entropy", "reverse": false, "topk": 20.0, "temperature": 1.2, "teacher_sync_every": nil,
		"demo_template": "{question}\n\n{golden_answer}", "renderer_name": "qwen3_disable_thinking", "max_tokens": 2048.0}
	if d := cmp.Diff(wantTJ, tj); d != "" {
		t.Errorf("tinker_sdft.json (-want +got):\n%s", d)
	}
	var first map[string]string
	line, _, _ := strings.Cut(string(file(t, tk, export.TrainFile)), "\n")
	if err := json.Unmarshal([]byte(line), &first); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"id": "q1", "question": "What is the capital of France?", "golden_answer": rows[0].Privileged}, first); d != "" {
		t.Errorf("tinker row (-want +got):\n%s", d)
	}
}

// TestRubricSources: a rubric file, a record field and an inline rubric
// reach the rows; the teacher's privileged fields are honoured.
func TestRubricSources(t *testing.T) {
	items := `{"id": "a", "prompt": "Q?", "reference_answer": "R.", "crit": [{"title": "T", "description": "D.", "weight": 2}]}` + "\n"
	tests := []struct {
		name, cfg string
		want      string
	}{
		{"field", "schema_version: 1\nrubrics: {field: crit}\n",
			"Reference Answer:\nR.\n\nRubric (JSON array):\n[{\"title\": \"T\", \"description\": \"D.\", \"weight\": 2}]\n\nUse the reference answer and the rubric as guidance."},
		{"inline, rubric only", "schema_version: 1\nrubrics:\n  inline: [{title: I, description: Inline., weight: 3}]\nteacher: {privileged: [rubric]}\n",
			"Rubric (JSON array):\n[{\"title\": \"I\", \"description\": \"Inline.\", \"weight\": 3}]\n\nUse the rubric as guidance."},
		{"opsd", "schema_version: 1\nprompt: {variant: opsd}\nrubrics: {field: crit}\n",
			"Reference Solution:\nR.\n\nUse the reference solution as guidance, reasoning in your own words."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseConfig(t, tt.cfg)
			req := export.Request{Target: export.TRLSDFT, Config: c, Items: items, ItemsFile: "i.jsonl", EngineVersion: engine}
			if c.RubricSourceOf().From == config.FromInline {
				r, dl := c.InlineRubric()
				if r == nil {
					t.Fatal(dl)
				}
				req.Rubric = r
			}
			res := export.Export(req)
			if res.Rows != 1 {
				t.Fatalf("rows %d: %v", res.Rows, res.Diagnostics)
			}
			var row struct {
				Privileged string `json:"privileged_context"`
			}
			if err := json.Unmarshal(file(t, res, export.TrainFile), &row); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, row.Privileged); d != "" {
				t.Errorf("privileged_context (-want +got):\n%s", d)
			}
		})
	}
	// A missing field is a located diagnostic and the record is skipped.
	res := export.Export(export.Request{Target: export.TRLSDFT, Config: parseConfig(t, "schema_version: 1\nrubrics: {field: rubric_v2}\n"), Items: items, ItemsFile: "i.jsonl"})
	if res.Skipped != 1 || len(res.Diagnostics) == 0 || !strings.Contains(res.Diagnostics[len(res.Diagnostics)-1].String(), `i.jsonl:1:1: error export-rubric-field: $: the record has no "rubric_v2" field`) {
		t.Errorf("skipped %d, diagnostics %v", res.Skipped, res.Diagnostics)
	}
}

func TestParseTarget(t *testing.T) {
	if _, err := export.ParseTarget("trl-sdtf"); err == nil || err.Error() != `unknown export target "trl-sdtf" (want trl-sdft, trl-gkd, verl, tinker); did you mean "trl-sdft"?` {
		t.Errorf("%v", err)
	}
}
