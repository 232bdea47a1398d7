package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/score"
)

func TestParseGood(t *testing.T) {
	yamlDoc := `# eval settings for the medical examples
schema_version: 1
rubric: rubrics/answer-format.yaml
judge:
  kind: llm
  url: http://127.0.0.1:8000/v1
  model: grader
  mode: per-response
  timeout: 90s
  retries: 3
scoring:
  rule: rar-category
  grpo: verl
  seed: 42
  bootstrap: 200
concurrency: 8
`
	seed, boot, retries := uint32(42), 200, 3
	want := &config.Config{SchemaVersion: 1, Rubric: "rubrics/answer-format.yaml",
		Judge: config.Judge{Kind: judge.KindLLM, URL: "http://127.0.0.1:8000/v1", Model: "grader", Mode: "per-response",
			Timeout: config.Duration(90 * time.Second), Retries: &retries},
		Scoring:     config.Scoring{Rule: score.RuleRaRCategory, GRPO: "verl", Seed: &seed, Bootstrap: &boot},
		Concurrency: 8}
	got, dl := config.Parse("c.yaml", []byte(yamlDoc))
	if len(dl) != 0 {
		t.Fatalf("diagnostics: %v", dl)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse YAML (-want +got):\n%s", d)
	}
	jsonDoc := `{"schema_version": 1, "rubric": "rubrics/answer-format.yaml",
  "judge": {"kind": "llm", "url": "http://127.0.0.1:8000/v1", "model": "grader", "mode": "per-response", "timeout": "1m30s", "retries": 3},
  "scoring": {"rule": "rar-category", "grpo": "verl", "seed": 42, "bootstrap": 200}, "concurrency": 8}`
	got, dl = config.Parse("c.json", []byte(jsonDoc))
	if len(dl) != 0 {
		t.Fatalf("diagnostics: %v", dl)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse JSON (-want +got):\n%s", d)
	}
}

// TestParseBad: every problem of a config is reported at once, located
// at its line and column, with the whole message.
func TestParseBad(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "# nothing\n", []string{"c.yaml: error config-empty: the config file has no value (start with schema_version: 1)"}},
		{"not an object", "[1, 2]", []string{"c.yaml:1:1: error wrong-type: $: a config file is an object, not an array (start with schema_version: 1)"}},
		{"no version", "judge:\n  kind: rules\n", []string{"c.yaml:1:1: error missing-schema-version: $: the config file has no schema_version (add schema_version: 1)"}},
		{"new version", "schema_version: 2\n", []string{"c.yaml:1:17: error unsupported-schema-version: $.schema_version: schema_version 2 is newer than this rcsd reads (1) (upgrade rcsd)"}},
		{"typos and types", "schema_version: 1\njudge:\n  knd: rules\n  retries: many\nscoring:\n  rule: healthbench\n  seed: -1\nconcurency: 4\n", []string{
			`c.yaml:3:8: error unknown-field: $.judge.knd: unknown field "knd" (did you mean "kind"?)`,
			`c.yaml:4:12: error wrong-type: $.judge.retries: must be an integer, not a string`,
			`c.yaml:7:9: error wrong-type: $.scoring.seed: must be an integer in [0, 4294967295], not -1`,
			`c.yaml:8:13: error unknown-field: $.concurency: unknown field "concurency" (did you mean "concurrency"?)`,
		}},
		{"type and value errors together", "schema_version: 1\njudge:\n  kind: oracle\n  mode: batch\n  url: ftp://x\n  timeout: soon\n  retries: [1]\nscoring:\n  rule: healthbnch\n  grpo: ppo\n", []string{
			`c.yaml:3:9: error bad-value: $.judge.kind: unknown judge "oracle" (one of: auto, labels, rules, lexical, llm)`,
			`c.yaml:4:9: error bad-value: $.judge.mode: unknown llm judge mode "batch" (one of: per-criterion, per-response)`,
			`c.yaml:5:8: error bad-value: $.judge.url: the grader URL "ftp://x" is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)`,
			`c.yaml:6:12: error bad-value: $.judge.timeout: "soon": time: invalid duration "soon"`,
			`c.yaml:7:12: error wrong-type: $.judge.retries: must be an integer, not an array`,
			`c.yaml:9:9: error bad-value: $.scoring.rule: unknown scoring rule "healthbnch" (did you mean "healthbench"?)`,
			`c.yaml:10:9: error bad-value: $.scoring.grpo: unknown GRPO convention "ppo" (one of: trl, trl-batch, trl-none, verl, verl-nostd)`,
		}},
		{"bad enums", "schema_version: 1\njudge:\n  kind: oracle\n  mode: batch\n  url: ftp://x\nscoring:\n  rule: healthbnch\n  grpo: ppo\nconcurrency: -2\n", []string{
			`c.yaml:3:9: error bad-value: $.judge.kind: unknown judge "oracle" (one of: auto, labels, rules, lexical, llm)`,
			`c.yaml:4:9: error bad-value: $.judge.mode: unknown llm judge mode "batch" (one of: per-criterion, per-response)`,
			`c.yaml:5:8: error bad-value: $.judge.url: the grader URL "ftp://x" is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)`,
			`c.yaml:7:9: error bad-value: $.scoring.rule: unknown scoring rule "healthbnch" (did you mean "healthbench"?)`,
			`c.yaml:8:9: error bad-value: $.scoring.grpo: unknown GRPO convention "ppo" (one of: trl, trl-batch, trl-none, verl, verl-nostd)`,
			`c.yaml:9:14: error bad-value: $.concurrency: concurrency -2 is negative (0 picks a default)`,
		}},
		{"llm without url", `{"schema_version": 1, "judge": {"kind": "llm"}}`, []string{
			`c.yaml:1:32: error missing-value: $.judge: the llm judge needs a grader url and model (add "url" and "model")`,
		}},
		{"credentials in url", "schema_version: 1\njudge: {url: 'https://user:secret@api.example.com/v1', model: m}\n", []string{
			`c.yaml:2:14: error bad-value: $.judge.url: the grader URL carries credentials (set RCSD_JUDGE_API_KEY instead; a config file is shared and committed)`,
		}},
		{"yaml syntax", "schema_version: 1\njudge:\n  kind: \"rules\n", []string{
			`c.yaml:3:9: error config-syntax: the quoted text starting here has no closing "`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dl := config.Parse("c.yaml", []byte(tt.in))
			if c != nil {
				t.Errorf("got a config despite errors")
			}
			var got []string
			for _, d := range dl {
				got = append(got, d.String())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
		})
	}
}

// TestNoSecrets: the config type has no field that could hold an API key.
func TestNoSecrets(t *testing.T) {
	_, dl := config.Parse("c.yaml", []byte("schema_version: 1\njudge:\n  api_key: sk-123\n"))
	if len(dl) != 1 || !strings.Contains(dl[0].String(), `unknown field "api_key"`) || strings.Contains(dl[0].String(), "sk-123") {
		t.Errorf("api_key: %v", dl)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("schema_version: 1\njudge: {kind: rules}\n"))
	f.Add([]byte(`{"schema_version": 1, "scoring": {"seed": 1e30}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, dl := config.Parse("f", data)
		if (c == nil) != dl.HasErrors() {
			t.Fatalf("config %v with diagnostics %v", c, dl)
		}
	})
}

// TestLossSections: a preset fills what the file leaves out; a loss
// section is taken whole; bad loss values are reported at their paths.
func TestLossSections(t *testing.T) {
	c, dl := config.Parse("c.yaml", []byte("schema_version: 1\npreset: rcsd\nprompt: {chat: qwen3}\n"))
	if len(dl) != 0 {
		t.Fatal(dl)
	}
	if d := cmp.Diff(distill.RCSDReleased(), c.LossOptions()); d != "" {
		t.Errorf("preset loss (-want +got):\n%s", d)
	}
	if o := c.PromptOptions(); o.Variant != prompt.RCSD || o.Chat != prompt.Qwen3 {
		t.Errorf("prompt options %+v", o)
	}
	c, dl = config.Parse("c.yaml", []byte("schema_version: 1\npreset: rcsd\nloss: {divergence: jsd, beta: 0.5}\nprompt: {variant: rgsd, chat: llama3}\n"))
	if len(dl) != 0 {
		t.Fatal(dl)
	}
	if got := c.LossOptions(); got != (distill.Options{Divergence: distill.JSD, Beta: 0.5}) {
		t.Errorf("loss section %+v", got)
	}
	if c.PromptOptions().Variant != prompt.RGSD {
		t.Errorf("the file's variant lost to the preset's")
	}
	_, dl = config.Parse("c.yaml", []byte("schema_version: 1\npreset: rcds\nloss:\n  divergence: forward\n  beta: 0.3\n  temprature: 1.2\ntrace: {missing: guess}\n"))
	var got []string
	for _, d := range dl {
		got = append(got, d.String())
	}
	want := []string{
		`c.yaml:2:9: error bad-value: $.preset: unknown preset "rcds" (did you mean "rcsd"?)`,
		`c.yaml:5:9: error distill-beta-without-jsd: $.loss.beta: beta 0.3 is set but divergence is "forward" (beta applies only to "jsd"; TRL convention: beta 0 = forward, 1 = reverse)`,
		`c.yaml:6:15: error unknown-field: $.loss.temprature: unknown field "temprature" (did you mean "temperature"?)`,
		`c.yaml:7:18: error trace-unknown-missing: $.trace.missing: unknown missing-log-prob policy "guess" (one of "error", "floor")`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diagnostics (-want +got):\n%s", d)
	}
}
