package export

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/eval"
)

// VerlRow is one row of verl's Parquet dataset, in the layout of verl's
// own preprocessing scripts (volcengine/verl
// examples/data_preprocess/gsm8k.py): data_source, prompt as chat
// messages, ability, reward_model {style, ground_truth}, extra_info.
type VerlRow struct {
	DataSource  string        `parquet:"data_source" json:"data_source"`
	Prompt      []VerlMessage `parquet:"prompt,list" json:"prompt"`
	Ability     string        `parquet:"ability" json:"ability"`
	RewardModel VerlReward    `parquet:"reward_model" json:"reward_model"`
	ExtraInfo   VerlExtra     `parquet:"extra_info" json:"extra_info"`
}

// VerlMessage is one chat turn.
type VerlMessage struct {
	Role    string `parquet:"role" json:"role"`
	Content string `parquet:"content" json:"content"`
}

// VerlReward is verl's reward_model column: the reference answer as the
// ground truth a rule-based reward would read.
type VerlReward struct {
	Style       string `parquet:"style" json:"style"`
	GroundTruth string `parquet:"ground_truth" json:"ground_truth"`
}

// VerlExtra is verl's extra_info column, passed to the reward function:
// the rubric, the reference and the rendered privileged block that the
// exported reward function hands to SDPO as the teacher's feedback.
type VerlExtra struct {
	Split             string `parquet:"split" json:"split"`
	Index             int64  `parquet:"index" json:"index"`
	ID                string `parquet:"id" json:"id"`
	Rubric            string `parquet:"rubric" json:"rubric"`
	ReferenceAnswer   string `parquet:"reference_answer" json:"reference_answer"`
	PrivilegedContext string `parquet:"privileged_context" json:"privileged_context"`
}

// VerlDataSource and VerlAbility fill the rows' data_source and ability.
const (
	VerlDataSource = "rcsd"
	VerlAbility    = "rubric"
)

// VerlRows converts rows to verl's layout.
func VerlRows(rows []Row) []VerlRow {
	out := make([]VerlRow, len(rows))
	for i, r := range rows {
		msgs := make([]VerlMessage, len(r.Prompt))
		for j, m := range r.Prompt {
			msgs[j] = VerlMessage{Role: m.Role, Content: m.Content}
		}
		out[i] = VerlRow{DataSource: VerlDataSource, Prompt: msgs, Ability: VerlAbility,
			RewardModel: VerlReward{Style: "rule", GroundTruth: r.Reference},
			ExtraInfo:   VerlExtra{Split: "train", Index: int64(i), ID: r.ID, Rubric: r.Rubric, ReferenceAnswer: r.Reference, PrivilegedContext: r.Privileged}}
	}
	return out
}

// Keys only tinker's on-policy recipe reads.
var tinkerOnPolicyOnly = map[string]bool{"kl_penalty_coef": true, "kl_discount_factor": true}

func writeFiles(req Request, s settings, b *builder, rows []Row, res *Result) []File {
	var files []File
	haveData := strings.TrimSpace(req.Items) != ""
	entries := b.entries()
	switch req.Target {
	case TRLSDFT:
		files = append(files, File{SDFTConfigFile, yamlDoc(header(req, "TRL SDFTConfig (trl.experimental.sdft); load with SDFTConfig(**yaml.safe_load(...))"), entries, false)})
		if haveData {
			files = append(files, File{TrainFile, jsonl(rows, func(r Row) any {
				return struct {
					Prompt     []eval.Message `json:"prompt"`
					Privileged string         `json:"privileged_context"`
				}{r.Prompt, r.Privileged}
			})})
		}
	case TRLGKD:
		files = append(files, File{GKDConfigFile, yamlDoc(header(req, "TRL GKDConfig (trl.experimental.gkd); load with GKDConfig(**yaml.safe_load(...))"), entries, false)})
		if haveData {
			files = append(files, File{TrainFile, jsonl(rows, func(r Row) any {
				msgs := append(append([]eval.Message{}, r.Prompt...), eval.Message{Role: "assistant", Content: r.Reference})
				return struct {
					Messages   []eval.Message `json:"messages"`
					Prompt     []eval.Message `json:"prompt"`
					Privileged string         `json:"privileged_context"`
				}{msgs, r.Prompt, r.Privileged}
			})})
			noRef := 0
			for _, r := range rows {
				if r.Reference == "" {
					noRef++
				}
			}
			if noRef > 0 {
				res.Diagnostics = append(res.Diagnostics, diag.Warnf(CodeApproximate, "$.reference_answer",
					"%d of %d rows have no reference answer: their messages end with an empty assistant turn (GKD replaces it with a student sample when lmbda is 1)", noRef, len(rows)))
			}
		}
	case Verl:
		files = append(files, File{VerlConfigFile, yamlDoc(verlHeader(req), entries, true)})
		files = append(files, File{VerlRewardFile, []byte(verlReward)})
		if haveData {
			res.Verl = VerlRows(rows)
		}
	case Tinker:
		var sdft, onPolicy []Mapping
		for _, e := range entries {
			if tinkerOnPolicyOnly[e.Key] {
				onPolicy = append(onPolicy, e)
			} else {
				sdft = append(sdft, e)
			}
		}
		files = append(files, File{TinkerSDFTFile, jsonObject(sdft)})
		if s.loss.Estimator == distill.Tinker {
			for _, e := range sdft {
				if e.Key == "max_tokens" {
					onPolicy = append(onPolicy, e)
				}
			}
			onPolicy = append(onPolicy, Mapping{Key: "loss_fn", Target: "importance_sampling", Status: Fixed})
			files = append(files, File{TinkerOnPolicy, jsonObject(onPolicy)})
		}
		if haveData {
			multi := 0
			files = append(files, File{TrainFile, jsonl(rows, func(r Row) any {
				users := 0
				q := ""
				for _, m := range r.Prompt {
					if m.Role == "user" {
						users++
						q = m.Content
					}
				}
				if users > 1 || len(r.Prompt) > users {
					multi++
				}
				return struct {
					ID         string `json:"id"`
					Question   string `json:"question"`
					GoldenAnsw string `json:"golden_answer"`
				}{r.ID, q, r.Privileged}
			})})
			if multi > 0 {
				res.Diagnostics = append(res.Diagnostics, diag.Warnf(CodeApproximate, "$.prompt",
					"%d of %d rows have more than one turn: tinker's SDFT rows hold the last user turn only (a system prompt goes in system_prompt)", multi, len(rows)))
			}
		}
	}
	files = append(files, File{NotesFile, notes(req, s, b, res, files)})
	return files
}

func header(req Request, what string) []string {
	h := []string{"Exported by " + req.EngineVersion + " (rcsd export --target " + string(req.Target) + ") from " + nameOr(req.ConfigFile, "the config") + ".",
		what + ".",
		"Each key's comment says which rcsd knob it comes from; NOTES.md lists what could not be expressed."}
	return h
}

func verlHeader(req Request) []string {
	return append(header(req, "A Hydra config for verl with lasgroup/SDPO's self-distillation loss"),
		"Put it next to ppo_trainer.yaml (verl/trainer/config/) and run:",
		"  python -m verl.trainer.main_ppo --config-name verl_sdpo actor_rollout_ref.model.path=MODEL data.train_files=[PATH/train.parquet]")
}

func nameOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func comment(m Mapping) string {
	if m.Status == Fixed {
		return m.Note + " (fixed)"
	}
	return fmt.Sprintf("%s = %s (%s): %s", m.Knob, m.Value, m.Status, m.Note)
}

// yamlDoc writes entries as YAML: flat keys, or (nested) dotted keys as
// nested maps, each key after a comment naming its rcsd knob.
func yamlDoc(head []string, entries []Mapping, nested bool) []byte {
	var buf bytes.Buffer
	for _, h := range head {
		buf.WriteString("# " + h + "\n")
	}
	if nested {
		buf.WriteString("defaults:\n  - ppo_trainer\n  - _self_\n")
	}
	type node struct {
		key      string
		leaf     *Mapping
		children []*node
	}
	root := &node{}
	for i := range entries {
		e := &entries[i]
		parts := []string{e.Key}
		if nested {
			parts = strings.Split(e.Key, ".")
		}
		n := root
		for _, p := range parts {
			var next *node
			for _, c := range n.children {
				if c.key == p && c.leaf == nil {
					next = c
				}
			}
			if next == nil {
				next = &node{key: p}
				n.children = append(n.children, next)
			}
			n = next
		}
		n.leaf = e
	}
	var walk func(n *node, indent string)
	walk = func(n *node, indent string) {
		for _, c := range n.children {
			if c.leaf != nil {
				buf.WriteString(indent + "# " + oneLine(comment(*c.leaf)) + "\n")
				writeYAMLValue(&buf, indent, c.key, c.leaf.Target)
				continue
			}
			buf.WriteString(indent + c.key + ":\n")
			walk(c, indent+"  ")
		}
	}
	walk(root, "")
	return buf.Bytes()
}

func writeYAMLValue(buf *bytes.Buffer, indent, key string, v any) {
	if m, ok := v.(map[string]any); ok {
		buf.WriteString(indent + key + ":\n")
		for _, k := range sortedKeys(m) {
			writeYAMLValue(buf, indent+"  ", k, m[k])
		}
		return
	}
	buf.WriteString(indent + key + ": " + yamlScalar(v) + "\n")
}

func yamlScalar(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x) // a YAML double-quoted scalar: Go's escapes are YAML's
	case []string:
		return formatValue(x)
	}
	return formatValue(v)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

// jsonObject writes entries as one JSON object, keys in order.
func jsonObject(entries []Mapping) []byte {
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for i, e := range entries {
		buf.WriteString("  " + jsonString(e.Key) + ": " + jsonValue(e.Target))
		if i < len(entries)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("}\n")
	return buf.Bytes()
}

func jsonValue(v any) string {
	switch x := v.(type) {
	case string:
		return jsonString(x)
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, jsonString(k)+": "+jsonValue(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return formatValue(v)
}

func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return `""`
	}
	return string(b)
}

func jsonl(rows []Row, shape func(Row) any) []byte {
	var buf bytes.Buffer
	for _, r := range rows {
		b, err := json.Marshal(shape(r))
		if err != nil {
			continue
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

const verlReward = `"""Reward function of an rcsd self-distillation run on verl (lasgroup/SDPO).

Written by rcsd export --target verl. A self-distillation run needs no
reward: SDPO builds the teacher's prompt from the "feedback" that each
rollout's reward returns (reward_extra_info["feedback"], read by
ray_trainer._collect_feedback). This function returns the row's rendered
privileged block (extra_info["privileged_context"]: the rubric and the
reference answer as the teacher sees them) as that feedback, and a score
of 0 so that no rollout is taken as a successful demonstration.
"""


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    extra_info = extra_info or {}
    return {"score": 0.0, "feedback": extra_info.get("privileged_context", "")}
`
