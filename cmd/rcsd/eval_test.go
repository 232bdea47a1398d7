package main

import (
	"github.com/rcsd-dev/rcsd/internal/shareddata"

	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

// TestEvalHealthBenchConformance runs the HealthBench fixture through the
// CLI: every per-example score and tag score, and the whole aggregate,
// must equal testdata/healthbench/expected.json, which make_fixture.py
// computed with simple-evals' rules and NumPy (np.random.seed(0)). The
// docs promise equality for an uninterrupted run, so the comparison is
// exact: both sides print float64 values in their shortest round-trip
// form.
func TestEvalHealthBenchConformance(t *testing.T) {
	// The items are built from the public rows in ../shared/data and the
	// project's labels (never committed; internal/shareddata).
	dir := shareddata.HealthBenchFixture(t, "../..")
	var expected struct {
		Seed     int `json:"seed"`
		Examples []struct {
			ID      string             `json:"id"`
			Score   *float64           `json:"score"`
			Metrics map[string]float64 `json:"metrics"`
		} `json:"examples"`
		Aggregate map[string]float64 `json:"aggregate"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "expected.json"))), &expected); err != nil {
		t.Fatal(err)
	}
	if expected.Seed != 0 || len(expected.Examples) != 30 {
		t.Fatalf("unexpected fixture: seed %d, %d examples", expected.Seed, len(expected.Examples))
	}
	tmp := t.TempDir()
	out, sum := filepath.Join(tmp, "out.jsonl"), filepath.Join(tmp, "summary.json")
	stdout, stderr, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "--scoring", "healthbench",
		"-o", out, "--summary", sum, filepath.Join(dir, "items.jsonl"))
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}

	type record struct {
		ID        string             `json:"id"`
		Index     int                `json:"response_index"`
		Score     *float64           `json:"score"`
		Scoring   string             `json:"scoring"`
		TagScores map[string]float64 `json:"tag_scores"`
		Criteria  []struct {
			Judge string `json:"judge"`
			Met   *bool  `json:"met"`
		} `json:"criteria"`
	}
	var recs []record
	for _, line := range strings.Split(strings.TrimSuffix(readFile(t, out), "\n"), "\n") {
		var rec record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		recs = append(recs, rec)
	}
	if len(recs) != len(expected.Examples) {
		t.Fatalf("%d records, want %d", len(recs), len(expected.Examples))
	}
	for i, ex := range expected.Examples {
		r := recs[i]
		if r.ID != ex.ID || r.Index != 0 || r.Scoring != "healthbench" {
			t.Errorf("record %d: id %q index %d scoring %q, want %q 0 healthbench", i, r.ID, r.Index, r.Scoring, ex.ID)
			continue
		}
		if (r.Score == nil) != (ex.Score == nil) || (r.Score != nil && *r.Score != *ex.Score) {
			t.Errorf("%s: score %v, want %v", ex.ID, deref(r.Score), deref(ex.Score))
		}
		// metrics = overall_score + example tags + rubric tags; tag_scores
		// holds all but overall_score.
		want := map[string]float64{}
		for k, v := range ex.Metrics {
			if k != "overall_score" {
				want[k] = v
			}
		}
		if ex.Metrics["overall_score"] != deref(ex.Score) {
			t.Errorf("%s: fixture's overall_score differs from its score", ex.ID)
		}
		got := r.TagScores
		if got == nil {
			got = map[string]float64{}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: tag scores (-want +got):\n%s", ex.ID, d)
		}
		for k, c := range r.Criteria {
			if c.Judge != "labels" || c.Met == nil {
				t.Errorf("%s: criterion %d judged by %q (met %v), want a label", ex.ID, k, c.Judge, c.Met)
				break
			}
		}
	}

	gotAgg := metricsMap(t, sum)
	if d := cmp.Diff(expected.Aggregate, gotAgg); d != "" {
		t.Errorf("aggregate (-want +got):\n%s", d)
	}
	// HealthBench's layout: keys sorted.
	raw := readFile(t, sum)
	var keys []string
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var v any
		dec.Decode(&v)
	}
	if !sort.StringsAreSorted(keys) || len(keys) != len(expected.Aggregate) {
		t.Errorf("summary keys are not sorted or not all there (%d keys)", len(keys))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

const cfgItems = `{"id":"a","prompt":"Why is the sky blue?","rubric":[{"id":"c1","description":"Names Rayleigh scattering","weight":3},{"id":"c2","description":"Says shorter wavelengths scatter more","weight":1},{"id":"c3","description":"Claims the sky reflects the sea","weight":-1}],"responses":["Rayleigh scattering: shorter wavelengths scatter more.","The sky reflects the sea."],"labels":[[true,true,false],[false,false,true]]}
{"id":"b","prompt":"Why is grass green?","rubric":[{"id":"c1","description":"Names chlorophyll","weight":2},{"id":"c2","description":"Says chlorophyll reflects green light","weight":2}],"response":"Chlorophyll absorbs red and blue light and reflects green.","labels":[true,false]}
`

// TestEvalConfig: a config file sets the judge and the scoring rule, a
// flag given on the command line wins over it, paths in it are relative
// to its folder, and a bad config is reported with line:col and exit 2.
func TestEvalConfig(t *testing.T) {
	dir := t.TempDir()
	items := writeFile(t, dir, "items.jsonl", cfgItems)
	cfg := writeFile(t, dir, "rcsd.yaml", "schema_version: 1\njudge:\n  kind: labels\nscoring:\n  rule: rar\n  grpo: verl\n")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := rcsd(t, "", append(append([]string{"eval", "-q"}, args...), items)...)
		if code != 0 {
			t.Fatalf("rcsd eval %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	tests := []struct {
		name        string
		config, cli []string // the same run, with the config and with flags only
	}{
		{"config sets judge, scoring and grpo", []string{"--config", cfg}, []string{"--judge", "labels", "--scoring", "rar", "--grpo", "verl"}},
		{"--scoring overrides the config", []string{"--config", cfg, "--scoring", "weighted"}, []string{"--judge", "labels", "--scoring", "weighted", "--grpo", "verl"}},
		{"--judge overrides the config", []string{"--judge", "lexical", "--config", cfg}, []string{"--judge", "lexical", "--scoring", "rar", "--grpo", "verl"}},
		{"flags after the file override too", []string{"--config", cfg, "--grpo", "trl"}, []string{"--judge", "labels", "--scoring", "rar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := run(tt.config...), run(tt.cli...)
			if got != want {
				t.Errorf("with the config:\n%s\nwith flags only:\n%s", got, want)
			}
		})
	}
	// The config's own effect is visible in the records.
	out := run("--config", cfg)
	if !strings.Contains(out, `"scoring":"rar"`) || strings.Contains(out, `"scoring":"healthbench"`) || strings.Contains(out, `"judge":"lexical"`) {
		t.Errorf("records do not follow the config:\n%s", out)
	}
	if defaults := run(); defaults == out {
		t.Errorf("the config changed nothing")
	}

	// A relative rubric path is relative to the config's folder.
	sub := filepath.Join(dir, "conf")
	os.Mkdir(sub, 0o755)
	writeFile(t, sub, "shared.yaml", readFile(t, "../../examples/rubrics/answer-format.yaml"))
	shared := writeFile(t, sub, "rcsd.yaml", "schema_version: 1\nrubric: shared.yaml\njudge:\n  kind: rules\n")
	noRubric := writeFile(t, dir, "shared-items.jsonl", readFile(t, "../../examples/items-shared-rubric.jsonl"))
	o1, e1, c1 := rcsd(t, "", "eval", "-q", "--config", shared, noRubric)
	o2, e2, c2 := rcsd(t, "", "eval", "-q", "--judge", "rules", "--rubric", "../../examples/rubrics/answer-format.yaml", noRubric)
	if c1 != 0 || c2 != 0 || o1 != o2 || o1 == "" {
		t.Errorf("config rubric: exit %d %d, stderr %q %q, outputs equal %v", c1, c2, e1, e2, o1 == o2)
	}

	// The example config works as documented.
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--config", "../../examples/eval-config.yaml", "../../examples/medical.jsonl"); code != 0 {
		t.Errorf("examples/eval-config.yaml: exit %d\n%s", code, errOut)
	}
}

func TestEvalBadConfig(t *testing.T) {
	dir := t.TempDir()
	items := writeFile(t, dir, "items.jsonl", cfgItems)
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{"unknown field, bad duration, wrong type", "testdata/broken-config.yaml", "", []string{
			`testdata/broken-config.yaml:4:8: error unknown-field: $.judge.knd: unknown field "knd" (did you mean "kind"?)`,
			`testdata/broken-config.yaml:5:12: error bad-value: $.judge.timeout: "soon": time: invalid duration "soon"`,
			`testdata/broken-config.yaml:8:14: error wrong-type: $.concurrency: must be an integer, not a string`,
		}},
		{"unknown judge in JSON", "c.json", `{"schema_version": 1, "judge": {"kind": "label"}}`, []string{
			`c.json:1:41: error bad-value: $.judge.kind: unknown judge "label" (did you mean "labels"?)`,
		}},
		{"unknown scoring rule", "c.yaml", "schema_version: 1\nscoring:\n  rule: healthbnch\n", []string{
			`c.yaml:3:9: error bad-value: $.scoring.rule: unknown scoring rule "healthbnch" (did you mean "healthbench"?)`,
		}},
		{"YAML syntax", "c.yaml", "schema_version: 1\njudge: [labels\n", []string{
			`c.yaml:2:8: error config-syntax: the [ opened here is not closed`,
		}},
		{"no schema_version", "c.yaml", "judge:\n  kind: labels\n", []string{
			`c.yaml:1:1: error missing-schema-version: $: the config file has no schema_version (add schema_version: 1)`,
		}},
		{"newer schema_version", "c.yaml", "schema_version: 2\n", []string{
			`c.yaml:1:17: error unsupported-schema-version: $.schema_version: schema_version 2 is newer than this rcsd reads (1) (upgrade rcsd)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if tt.content != "" {
				file = writeFile(t, t.TempDir(), tt.file, tt.content)
			}
			stdout, stderr, code := rcsd(t, "", "eval", "--config", file, items)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and no output", code, stdout)
			}
			want := strings.Join(tt.want, "\n") + "\nrcsd eval: the config " + tt.file + " has errors\n"
			got := stderr
			if tt.content != "" {
				got = strings.ReplaceAll(stderr, filepath.Dir(file)+"/", "")
			}
			if got != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestValidateExamples(t *testing.T) {
	rubrics, _ := filepath.Glob("../../examples/rubrics/*")
	if len(rubrics) < 2 {
		t.Fatalf("examples/rubrics holds %d files", len(rubrics))
	}
	// The item files with inline rubrics are valid (lints are warnings).
	files := append(rubrics, "../../examples/math.jsonl", "../../examples/science.jsonl", "../../examples/medical.jsonl")
	stdout, stderr, code := rcsd(t, "", append([]string{"validate"}, files...)...)
	if code != 0 || strings.Contains(stdout, ": error ") || !strings.HasPrefix(stderr, "5 file(s): 0 error(s), ") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l != "" && !strings.HasPrefix(l, "../../examples/") {
			t.Errorf("diagnostic without its file: %q", l)
		}
	}

	// The items written for a shared rubric (rcsd eval --rubric) have
	// none of their own; validate has no --rubric, so it reports that
	// (docs/cli.md#rcsd-validate).
	stdout, _, code = rcsd(t, "", "validate", "-q", "../../examples/items-shared-rubric.jsonl", "../../examples/items-photosynthesis.jsonl")
	var want []string
	for _, f := range []string{"items-shared-rubric.jsonl:1", "items-shared-rubric.jsonl:2", "items-shared-rubric.jsonl:3", "items-photosynthesis.jsonl:1"} {
		want = append(want, "../../examples/"+f+`:1: error missing-rubric: $: the record has no rubric (add "rubric" (any importable format) or "rubrics" (HealthBench), or pass --rubric FILE)`)
	}
	if code != exitBadInput || stdout != strings.Join(want, "\n")+"\n" {
		t.Errorf("shared-rubric items: exit %d, stdout:\n%s", code, stdout)
	}
	// ... and rcsd eval with the shared rubric evaluates them.
	for _, c := range [][2]string{{"answer-format.yaml", "items-shared-rubric.jsonl"}, {"photosynthesis.rar.json", "items-photosynthesis.jsonl"}} {
		if _, errOut, code := rcsd(t, "", "eval", "-q", "--rubric", "../../examples/rubrics/"+c[0], "../../examples/"+c[1]); code != 0 {
			t.Errorf("eval --rubric %s %s: exit %d\n%s", c[0], c[1], code, errOut)
		}
	}
}

func TestValidateBrokenFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"testdata/broken-rubric.yaml", []string{
			`testdata/broken-rubric.yaml:6:5: error missing-field: $.criteria[0]: criterion has no "weight"`,
			`testdata/broken-rubric.yaml:8:13: error unknown-field: $.criteria[0].wieght: unknown field "wieght" in a criterion (did you mean "weight"?)`,
			`testdata/broken-rubric.yaml:11:13: error wrong-type: $.criteria[1].weight: must be a number, not a string`,
		}},
		{"testdata/broken-items.jsonl", []string{
			`testdata/broken-items.jsonl:2: error duplicate-id: $.id: the id "ok" is already used on line 1`,
			`testdata/broken-items.jsonl:3:132: error label-count: $.labels: 2 labels for 1 criteria`,
			`testdata/broken-items.jsonl:4:27: error bad-json: invalid JSON: unexpected end of JSON input`,
			`testdata/broken-items.jsonl:5:1: error missing-response: $: the record has no response to judge (found "respnse": did you mean "response"?)`,
		}},
		{"testdata/broken-config.yaml", []string{
			`testdata/broken-config.yaml:4:8: error unknown-field: $.judge.knd: unknown field "knd" (did you mean "kind"?)`,
			`testdata/broken-config.yaml:5:12: error bad-value: $.judge.timeout: "soon": time: invalid duration "soon"`,
			`testdata/broken-config.yaml:8:14: error wrong-type: $.concurrency: must be an integer, not a string`,
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			stdout, stderr, code := rcsd(t, "", "validate", tt.file)
			if code != exitBadInput {
				t.Errorf("exit %d, want 1", code)
			}
			if d := cmp.Diff(tt.want, strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
			if want := "1 file(s): " + strconv.Itoa(len(tt.want)) + " error(s), 0 warning(s)\n"; stderr != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
		})
	}
	// JSON carries the same positions.
	stdout, _, code := rcsd(t, "", "validate", "--format", "json", "testdata/broken-rubric.yaml")
	var resp []struct {
		Kind        string `json:"kind"`
		Errors      int    `json:"errors"`
		Diagnostics []struct {
			Code   string `json:"code"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
			Path   string `json:"path"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil || code != exitBadInput || len(resp) != 1 || resp[0].Kind != "rubric" || resp[0].Errors != 3 {
		t.Fatalf("--format json: exit %d, %v:\n%s", code, err, stdout)
	}
	if d := resp[0].Diagnostics[1]; d.Code != "unknown-field" || d.Line != 8 || d.Column != 13 || d.Path != "$.criteria[0].wieght" {
		t.Errorf("--format json: second diagnostic %+v", d)
	}
}
