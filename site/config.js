// The rcsd config the page computes with: built from the controls, sent
// to the core with every call and downloaded as is by "Export rcsd
// config", so `rcsd eval --config` and `rcsd loss --config` read exactly
// what the page computed with (docs/cli.md, ## Config).

// The presets' loss settings and teacher variants, copied from
// core/config/presets.go: choosing a preset fills the loss controls, and
// the config always carries an explicit loss section, so the numbers the
// page shows are those of the controls (checked against the CLI by the
// browser tests) even if this table drifted from the core's.
export const PRESETS = {
  rcsd: { variant: "rcsd", divergence: "forward", beta: 0.5, temperature: 1.2, support: "teacher-topk", topk: 20, tail: false, clipEntry: 0.05, clipToken: 0 },
  opsd: { variant: "opsd", divergence: "forward", beta: 0.5, temperature: 1, support: "teacher-topk", topk: 20, tail: false, clipEntry: 0.05, clipToken: 0 },
  rgsd: { variant: "rgsd", divergence: "jsd", beta: 0.5, temperature: 1, support: "full", topk: 20, tail: false, clipEntry: 0, clipToken: 1 },
  sdpo: { variant: "feedback", divergence: "forward", beta: 0.5, temperature: 1, support: "student-topk", topk: 100, tail: true, clipEntry: 0, clipToken: 0 },
};

// The demo model's vocabulary fits in this many alternatives, so a full
// support is exact from the demo model's traces.
export const FULL_TOPK = 4096;

const q = (s) => JSON.stringify(String(s)); // a YAML double-quoted scalar

function num(x) {
  const v = Number(x);
  return Number.isFinite(v) ? String(v) : "0";
}

// The top-k the scorer is asked for: the support's k, at least RCSD's 20;
// the whole vocabulary for a full support.
export function scorerTopK(s) {
  if (s.support === "full") return FULL_TOPK;
  return Math.max(20, Math.round(Number(s.topk) || 0));
}

export function rubricFileName(text) {
  const t = text.trimStart();
  return t.startsWith("{") || t.startsWith("[") ? "rubric.json" : "rubric.yaml";
}

// buildConfig returns the YAML text of an rcsd config for settings s.
export function buildConfig(s, rubricFile) {
  const L = ["# rcsd config exported by the rcsd playground.", "schema_version: 1"];
  if (rubricFile) L.push(`rubric: ${rubricFile}`);
  L.push("judge:", `  kind: ${s.judge}`);
  if (s.judge === "llm") {
    if (s.llmURL) L.push(`  url: ${q(s.llmURL)}`);
    if (s.llmModel) L.push(`  model: ${q(s.llmModel)}`);
  }
  L.push("scoring:", `  rule: ${s.scoring}`, `  grpo: ${s.grpo}`);
  L.push(`preset: ${s.preset}`);
  L.push("prompt:", `  variant: ${s.variant}`, `  chat: ${s.chat}`, `  thinking: ${s.thinking ? "true" : "false"}`);
  L.push("loss:", `  divergence: ${s.divergence}`);
  if (s.divergence === "jsd") L.push(`  beta: ${num(s.beta)}`);
  L.push(`  temperature: ${num(s.temperature)}`, `  support: ${s.support}`);
  if (s.support !== "full") L.push(`  top_k: ${Math.round(Number(s.topk) || 0)}`);
  if (s.tail) L.push("  tail: true");
  if (Number(s.clipEntry) > 0) L.push(`  clip_entry: ${num(s.clipEntry)}`);
  if (Number(s.clipToken) > 0) L.push(`  clip_token: ${num(s.clipToken)}`);
  L.push("  reduction: token-mean");
  if (s.floor) L.push("trace:", "  missing: floor");
  return L.join("\n") + "\n";
}

// buildItem returns the item record (one JSON line) for the page's
// inputs: the rubric travels separately (rcsd eval --rubric).
export function buildItem(st) {
  const rec = { id: st.id || "playground" };
  const p = st.prompt.trim();
  let prompt = st.prompt;
  if (p.startsWith("[")) {
    try { prompt = JSON.parse(p); } catch { /* plain text after all */ }
  }
  rec.prompt = prompt;
  if (st.reference.trim() !== "") rec.reference_answer = st.reference;
  rec.responses = st.responses.slice();
  if (st.labels.trim() !== "") {
    try { rec.labels = JSON.parse(st.labels); } catch { rec.labels = st.labels; }
  }
  if (st.exampleTags && st.exampleTags.length) rec.example_tags = st.exampleTags.slice();
  return JSON.stringify(rec);
}

export function cliCommands(s) {
  const k = scorerTopK(s);
  const topk = k === 20 ? "" : ` --topk ${k}`;
  const attr = s.attribution ? " --attribution" : "";
  return [
    `rcsd validate rcsd-config.yaml ${s.rubricFile}`,
    `rcsd eval --config rcsd-config.yaml --format text item.jsonl`,
    `rcsd logprobs --backend demo --config rcsd-config.yaml --rubric ${s.rubricFile}${topk}${attr} item.jsonl \\`,
    `  | rcsd loss --config rcsd-config.yaml --format text -`,
  ].join("\n");
}
