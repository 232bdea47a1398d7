package shareddata

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PrometheusRows is the file of the Prometheus absolute-grading rows
// (prometheus-eval, Apache-2.0; see shared/data/README.md).
const PrometheusRows = "prometheus_vicuna_eval_first10q.json"

// CorpusSeparator ends each document of a demo-model corpus file (the
// same line core/lm/demo.DocumentSeparator names).
const CorpusSeparator = "==="

// DemoCorpus builds the demo model's training corpus from the public rows
// in dir: "healthbench.txt" (each prompt turn, each physician ideal
// completion, and each row's criteria joined one per line) and
// "prometheus.txt" (each "###" section of the grading instructions and
// each GPT-4 feedback). Each document is followed by a line holding
// exactly "==="; an exact duplicate of an earlier document (in either
// file) is written once, so the held-out slice cannot leak into training.
// These are the bytes the project's earlier extract.py wrote when the corpus
// was committed.
func DemoCorpus(dir string) (map[string]string, error) {
	seen := map[string]bool{}
	emit := func(b *strings.Builder, text string) {
		text = strings.Trim(text, "\n")
		if strings.TrimSpace(text) == "" || seen[text] {
			return
		}
		seen[text] = true
		b.WriteString(text)
		b.WriteString("\n" + CorpusSeparator + "\n")
	}

	var hb strings.Builder
	rows, err := os.ReadFile(filepath.Join(dir, HealthBenchRows))
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(strings.TrimRight(string(rows), "\n"), "\n") {
		var row struct {
			Prompt []struct {
				Content string `json:"content"`
			} `json:"prompt"`
			Ideal *struct {
				Completion string `json:"ideal_completion"`
			} `json:"ideal_completions_data"`
			Rubrics []struct {
				Criterion string `json:"criterion"`
			} `json:"rubrics"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", HealthBenchRows, i+1, err)
		}
		for _, turn := range row.Prompt {
			emit(&hb, turn.Content)
		}
		if row.Ideal != nil {
			emit(&hb, row.Ideal.Completion)
		}
		crit := make([]string, len(row.Rubrics))
		for j, r := range row.Rubrics {
			crit[j] = r.Criterion
		}
		emit(&hb, strings.Join(crit, "\n"))
	}

	var pm strings.Builder
	b, err := os.ReadFile(filepath.Join(dir, PrometheusRows))
	if err != nil {
		return nil, err
	}
	var recs []struct {
		Instruction string   `json:"instruction"`
		Feedback    []string `json:"gpt4_feedback"`
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("%s: %w", PrometheusRows, err)
	}
	for _, rec := range recs {
		// The instruction is a sequence of "###Header:\n body" sections.
		for _, part := range strings.Split(rec.Instruction, "###") {
			if strings.TrimSpace(part) != "" {
				emit(&pm, "###"+part)
			}
		}
		for _, fb := range rec.Feedback {
			emit(&pm, fb)
		}
	}
	return map[string]string{"healthbench.txt": hb.String(), "prometheus.txt": pm.String()}, nil
}
