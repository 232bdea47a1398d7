package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// notes writes NOTES.md: what was exported, the mapping of every knob,
// what could not be expressed, the dataset's counts and how to run it.
func notes(req Request, s settings, b *builder, res *Result, files []File) []byte {
	var w bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("# rcsd export: %s\n\n", req.Target)
	preset := s.preset
	if preset == "" {
		preset = "none"
	}
	p("Exported by %s from %s (preset: %s, teacher variant: %s).\n\n", req.EngineVersion, nameOr(req.ConfigFile, "the config"), preset, s.prompt.Variant)

	p("## Files\n\n")
	for _, f := range files {
		p("- `%s`: %s\n", f.Name, describe(req.Target, f.Name))
	}
	if req.Target == Verl && strings.TrimSpace(req.Items) != "" {
		p("- `%s`: %s\n", VerlDataFile, describe(Verl, VerlDataFile))
	}
	p("- `%s`: this file\n\n", NotesFile)

	var problems []Mapping
	for _, m := range b.maps {
		if m.Status == Approximated || m.Status == Unmappable || m.Status == Inexpressible {
			problems = append(problems, m)
		}
	}
	p("## Not expressed exactly\n\n")
	if len(problems) == 0 {
		p("Nothing: every knob maps to %s exactly.\n\n", req.Target)
	} else {
		p("%s cannot express these knobs as rcsd computes them (each is also a warning of `rcsd export`):\n\n", req.Target)
		for _, m := range problems {
			what := "not exported"
			switch m.Status {
			case Approximated:
				what = fmt.Sprintf("approximated by `%s: %s`", m.Key, formatValue(m.Target))
			case Inexpressible:
				what = "cannot run"
			}
			p("- **`%s` = %s** (%s): %s.\n", m.Knob, m.Value, what, strings.TrimSuffix(m.Note, "."))
		}
		p("\n")
	}

	p("## Mapping\n\n")
	p("| rcsd knob | value | %s key | written | status | note | source |\n|---|---|---|---|---|---|---|\n", req.Target)
	for _, m := range b.maps {
		key, val := "—", "—"
		if m.Key != "" {
			key = "`" + m.Key + "`"
			val = "`" + cell(formatValue(m.Target)) + "`"
		}
		p("| `%s` | %s | %s | %s | %s | %s | %s |\n", m.Knob, cell(m.Value), key, val, m.Status, cell(m.Note), cell(m.Source))
	}
	p("\n")

	p("## Dataset\n\n")
	if strings.TrimSpace(req.Items) == "" {
		p("No items were given (`--data`): only the settings were exported.\n\n")
	} else {
		p("%d record(s) read from %s: %d row(s) written, %d skipped (their diagnostics were printed by `rcsd export`).\n\n",
			res.Records, nameOr(req.ItemsFile, "the items"), res.Rows, res.Skipped)
	}
	if d := otherWarnings(res.Diagnostics); len(d) > 0 {
		p("Other warnings:\n\n")
		for _, x := range d {
			p("- %s\n", x)
		}
		p("\n")
	}
	p("## Run\n\n%s", runText(req.Target))
	return w.Bytes()
}

func otherWarnings(dl diag.List) []string {
	var out []string
	for _, d := range dl {
		if d.Severity == diag.Warning && d.Code == CodeApproximate && d.Record == "" && d.Line == 0 && !strings.Contains(d.Message, " approximates ") {
			out = append(out, d.Message)
		}
	}
	return out
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

func describe(t Target, name string) string {
	switch name {
	case TrainFile:
		switch t {
		case TRLSDFT:
			return "one row per item: `prompt` (chat messages) and `privileged_context` (the teacher's block)"
		case TRLGKD:
			return "one row per item: `messages` (the prompt and the reference answer as the assistant turn), `prompt`, `privileged_context`"
		case Tinker:
			return "one row per item: `id`, `question` (the last user turn), `golden_answer` (the teacher's block, filled into demo_template)"
		}
	case SDFTConfigFile:
		return "SDFTConfig keys"
	case GKDConfigFile:
		return "GKDConfig keys"
	case VerlConfigFile:
		return "the Hydra config of the run (inherits ppo_trainer)"
	case VerlRewardFile:
		return "the reward function that hands each row's privileged block to SDPO as the teacher's feedback"
	case VerlDataFile:
		return "one row per item: `data_source`, `prompt` (chat messages), `ability`, `reward_model` {style, ground_truth: the reference answer}, `extra_info` {split, index, id, rubric, reference_answer, privileged_context}"
	case TinkerSDFTFile:
		return "fields of `tinker_cookbook.distillation.sdft.Config`"
	case TinkerOnPolicy:
		return "fields of the on-policy distillation recipe (`train_on_policy`), for the tinker estimator"
	}
	return ""
}

func runText(t Target) string {
	switch t {
	case TRLSDFT:
		return "```python\nimport yaml\nfrom datasets import load_dataset\nfrom trl.experimental.sdft import SDFTConfig, SDFTTrainer\n\n" +
			"args = SDFTConfig(output_dir=\"sdft-out\", **yaml.safe_load(open(\"sdft_config.yaml\")))\n" +
			"train = load_dataset(\"json\", data_files=\"train.jsonl\", split=\"train\")\n" +
			"SDFTTrainer(model=\"Qwen/Qwen3-8B\", args=args, train_dataset=train).train()\n```\n\n" +
			"Launch it with `accelerate launch` on a multi-GPU node. Watch the conditioned loss on the side with `rcsd logprobs` and `rcsd loss` (docs/training.md).\n"
	case TRLGKD:
		return "```python\nimport yaml\nfrom datasets import load_dataset\nfrom transformers import AutoModelForCausalLM\nfrom trl.experimental.gkd import GKDConfig, GKDTrainer\n\n" +
			"args = GKDConfig(output_dir=\"gkd-out\", **yaml.safe_load(open(\"gkd_config.yaml\")))\n" +
			"train = load_dataset(\"json\", data_files=\"train.jsonl\", split=\"train\")\n" +
			"teacher = AutoModelForCausalLM.from_pretrained(\"Qwen/Qwen3-8B\")  # a frozen copy of the initial model\n" +
			"GKDTrainer(model=\"Qwen/Qwen3-8B\", teacher_model=teacher, args=args, train_dataset=train).train()\n```\n\n" +
			"GKD's teacher does not see the privileged block: this run is on-policy distillation without the rubric. Use `--target trl-sdft` for RCSD.\n"
	case Verl:
		return "```sh\ncp verl_sdpo.yaml rcsd_feedback_reward.py $SDPO/verl/trainer/config/   # a lasgroup/SDPO checkout\n" +
			"cd $SDPO && python -m verl.trainer.main_ppo --config-name verl_sdpo \\\n" +
			"    actor_rollout_ref.model.path=Qwen/Qwen3-8B \\\n" +
			"    data.train_files=[$PWD/train.parquet] data.val_files=[$PWD/train.parquet] \\\n" +
			"    custom_reward_function.path=$SDPO/verl/trainer/config/rcsd_feedback_reward.py \\\n" +
			"    trainer.nnodes=1 trainer.n_gpus_per_node=8\n```\n\n" +
			"Start Ray first on a cluster (`ray start --head` on one node, `ray start --address=HEAD:6379` on the others).\n"
	case Tinker:
		return "```python\nimport asyncio, json\nfrom tinker_cookbook.distillation import sdft\n\n" +
			"cfg = sdft.Config(model_name=\"Qwen/Qwen3-8B\", log_path=\"/tmp/rcsd-sdft\", **json.load(open(\"tinker_sdft.json\")))\n" +
			"# build an SDFT dataset from train.jsonl (question, golden_answer), then:\n" +
			"# asyncio.run(sdft.main(cfg, dataset))\n```\n"
	}
	return ""
}
