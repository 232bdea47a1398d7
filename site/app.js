// The rcsd playground page. Every number comes from the Go core, compiled
// to WebAssembly and run in a Web Worker (worker.js), through one call per
// edit: api.Playground. This module only builds the request from the
// controls and draws the reply, with DOM building and textContent (never
// innerHTML), so any text a user pastes is shown as text.

import { PRESETS, buildConfig, buildItem, cliCommands, rubricFileName, scorerTopK } from "./config.js";
import { encodeState, decodeState, checkSetting, checkState, lastDecode } from "./share.js";
import { sequential, diverging, gradientStops } from "./palette.js";

const $ = (id) => document.getElementById(id);
const EXAMPLES = ["science", "medical", "math"];
const STATE_VERSION = 1;

// ---------------------------------------------------------------- worker

const worker = new Worker("worker.js");
let nextID = 1;
const waiting = new Map();
let engine = null; // the handshake's version info
let engineReady;
const engineStarted = new Promise((resolve, reject) => { engineReady = { resolve, reject }; });

worker.onmessage = (ev) => {
  const m = ev.data;
  if ("ready" in m) {
    if (m.ready) { engine = m.version; engineReady.resolve(m.version); } else engineReady.reject(new Error(m.error));
    return;
  }
  const w = waiting.get(m.id);
  if (!w) return;
  waiting.delete(m.id);
  if (m.ok) w.resolve(m); else w.reject(new Error(m.error));
};
worker.onerror = (e) => engineReady.reject(new Error(e.message || "the worker failed to start"));

function post(op, arg) {
  const id = nextID++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, op, arg });
  });
}

async function callCore(method, body) {
  const m = await post("call", { method, body: JSON.stringify(body) });
  const t = performance.now();
  const env = JSON.parse(m.value);
  return { status: env.status, body: env.body, ms: m.ms, bytes: m.value.length, parseMs: performance.now() - t };
}

// ---------------------------------------------------------------- state

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "for" || k === "scope") e.setAttribute(k, v);
      else e[k] = v;
    }
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

let responses = [""];
let selected = 0;
let exampleTags = [];
let itemID = "playground";

function responseBox(i, text) {
  const id = `response-${i}`;
  const ta = el("textarea", { id, rows: 4, spellcheck: false, value: text, "data-index": String(i) });
  ta.addEventListener("input", () => { responses[i] = ta.value; edited("context"); });
  const rm = el("button", { type: "button", text: "Remove", "aria-label": `Remove response ${i + 1}` });
  rm.disabled = responses.length <= 1;
  rm.addEventListener("click", () => {
    responses.splice(i, 1);
    selected = Math.min(selected, responses.length - 1);
    drawResponses();
    edited("context");
  });
  return el("div", { class: "response" }, el("label", { for: id, text: `Response ${i + 1}` }), ta, rm);
}

function drawResponses() {
  $("responses").replaceChildren(...responses.map((r, i) => responseBox(i, r)));
}

// SETTINGS are the controls a share link sets: the state's key, the
// control's id, the name a message gives it and, where the core has one,
// the key of the request or config it becomes (so a diagnostic about
// $.loss.top_k names "top-k"). What each accepts comes from the control
// itself: a select's options, a number input's min, max and step.
const SETTINGS = [
  ["judge", "judge", "the judge"], ["scoring", "scoring", "the scoring rule", "rule"], ["grpo", "grpo", "the GRPO normalisation", "grpo"],
  ["llmURL", "llm-url", "the grader URL", "url"], ["llmModel", "llm-model", "the grader model", "model"],
  ["preset", "preset", "the preset", "preset"], ["variant", "variant", "the teacher variant", "variant"], ["chat", "chat", "the chat template", "chat"],
  ["thinking", "thinking", "thinking", "thinking"], ["divergence", "divergence", "the divergence", "divergence"],
  ["beta", "beta", "β", "beta"], ["temperature", "temperature", "τ", "temperature"], ["support", "support", "the support", "support"],
  ["topk", "topk", "top-k", "top_k"], ["tail", "tail", "the tail bucket", "tail"],
  ["clipEntry", "clip-entry", "the clip per entry", "clip_entry"], ["clipToken", "clip-token", "the clip per token", "clip_token"],
  ["attribution", "attribution", "attribution", "attribution"], ["floor", "floor", "the floor", "missing"], ["view", "view", "the view"],
].map(([key, id, label, field]) => ({ key, id, label, field }));

function settings() {
  const s = {};
  for (const { key, id } of SETTINGS) {
    const e = $(id);
    s[key] = e.type === "checkbox" ? e.checked : e.type === "url" || e.type === "text" ? e.value.trim() : e.value;
  }
  return s;
}

// settingSpecs describes each setting for checkSetting (share.js), read
// from its control.
function settingSpecs() {
  const specs = {};
  for (const { key, id, label } of SETTINGS) {
    const e = $(id);
    if (e.tagName === "SELECT") specs[key] = { label, kind: "select", options: [...e.options].map((o) => o.value) };
    else if (e.type === "checkbox") specs[key] = { label, kind: "bool" };
    else if (e.type === "number") specs[key] = { label, kind: "number", min: e.min === "" ? -Infinity : Number(e.min), max: e.max === "" ? Infinity : Number(e.max), integer: e.step === "1" };
    else specs[key] = { label, kind: "text", maxLength: 2048 };
  }
  return specs;
}

// settingProblems returns a sentence per setting of s the page cannot
// compute with (a number typed out of its control's range).
function settingProblems(s) {
  const specs = settingSpecs();
  return SETTINGS.map(({ key }) => checkSetting(specs[key], s[key])).filter((p) => p);
}

// The sentence for a diagnostic the core returned: the setting it is
// about named as the page names it.
function coreProblem(d) {
  const last = (d.path || "").split(".").pop();
  const f = SETTINGS.find((x) => x.field && x.field === last);
  return f ? `${f.label}: ${d.message}` : d.message;
}

// showLinkProblem says, until the next share link, what of the link the
// page could not use.
function showLinkProblem(text) {
  $("link-problem").textContent = text;
  $("link-problem").hidden = !text;
}

// readState is everything the share link holds: never the llm key.
function readState() {
  return {
    v: STATE_VERSION, example: $("example").value, id: itemID,
    prompt: $("prompt").value, reference: $("reference").value, responses: responses.slice(),
    labels: $("labels").value, exampleTags: exampleTags.slice(), rubric: $("rubric").value,
    traces: $("traces").value, selected, settings: settings(),
  };
}

function applyState(st) {
  if (st.v !== STATE_VERSION) throw new Error(`this link was made by another version of the playground (state ${st.v})`);
  $("example").value = st.example || "science";
  itemID = st.id || "playground";
  $("prompt").value = st.prompt || "";
  $("reference").value = st.reference || "";
  responses = Array.isArray(st.responses) && st.responses.length ? st.responses.map(String) : [""];
  $("labels").value = st.labels || "";
  exampleTags = Array.isArray(st.exampleTags) ? st.exampleTags : [];
  $("rubric").value = st.rubric || "";
  $("traces").value = st.traces || "";
  if (st.traces) $("traces-box").open = true;
  selected = Math.min(Number(st.selected) || 0, responses.length - 1);
  const s = st.settings || {};
  const set = (id, v) => { if (v !== undefined) $(id).value = String(v); };
  const check = (id, v) => { if (v !== undefined) $(id).checked = !!v; };
  set("judge", s.judge); set("scoring", s.scoring); set("grpo", s.grpo);
  set("llm-url", s.llmURL); set("llm-model", s.llmModel);
  set("preset", s.preset); set("variant", s.variant); set("chat", s.chat); check("thinking", s.thinking);
  set("divergence", s.divergence); set("beta", s.beta); set("temperature", s.temperature);
  set("support", s.support); set("topk", s.topk); check("tail", s.tail);
  set("clip-entry", s.clipEntry); set("clip-token", s.clipToken);
  check("attribution", s.attribution); check("floor", s.floor); set("view", s.view);
  drawResponses();
  syncControls();
  drawn.delete("diagnostics");
  drawGutter([]);
}

async function loadExample(name) {
  const r = await fetch(`examples/${name}.jsonl`);
  if (!r.ok) throw new Error(`examples/${name}.jsonl: HTTP ${r.status}`);
  const first = (await r.text()).split("\n").find((l) => l.trim() !== "");
  const d = JSON.parse(first);
  const st = readState();
  st.example = name;
  st.id = String(d.id ?? d.prompt_id ?? name);
  st.prompt = typeof d.prompt === "string" ? d.prompt : JSON.stringify(d.prompt, null, 2);
  st.reference = d.reference_answer || "";
  st.responses = d.responses || [d.response || ""];
  st.labels = d.labels ? JSON.stringify(d.labels) : "";
  st.exampleTags = d.example_tags || [];
  st.rubric = JSON.stringify(d.rubric ?? d.rubrics ?? [], null, 2) + "\n";
  st.traces = "";
  st.selected = 0;
  applyState(st);
}

function syncControls() {
  const s = settings();
  $("llm-settings").hidden = s.judge !== "llm";
  $("beta").disabled = s.divergence !== "jsd";
  $("topk").disabled = s.support === "full";
  $("rubric-format").textContent = rubricFileName($("rubric").value);
}

function applyPreset(name) {
  const p = PRESETS[name];
  $("variant").value = p.variant;
  $("divergence").value = p.divergence;
  $("beta").value = p.beta;
  $("temperature").value = p.temperature;
  $("support").value = p.support;
  $("topk").value = p.topk;
  $("tail").checked = p.tail;
  $("clip-entry").value = p.clipEntry;
  $("clip-token").value = p.clipToken;
}

// ---------------------------------------------------------------- compute

// The page asks for the compact reply: the loss per token in columns,
// the token texts only when they changed (known_tokens), and each
// token's alternatives on hover (the Worker's "details" op).
function request(skipLoss) {
  const st = readState();
  const s = st.settings;
  const rubricFile = rubricFileName(st.rubric);
  const body = {
    config: buildConfig(s, rubricFile), config_file: "rcsd-config.yaml",
    rubric: st.rubric, rubric_file: rubricFile, item: buildItem(st),
    attribution: s.attribution, top_k: scorerTopK(s), alternatives: 5,
    compact: true, no_alternatives: true,
  };
  if (tokenStore) body.known_tokens = tokenStore.id;
  if (st.traces.trim() !== "") body.traces = st.traces;
  if (skipLoss) body.skip_loss = true;
  return body;
}

// The token texts of the last reply that carried them, by loss.tokens_id.
let tokenStore = null;

function resolveTokens(body) {
  const L = body && body.loss;
  if (!L) return;
  if (L.tokens === null && tokenStore && L.tokens_id === tokenStore.id) L.tokens = tokenStore.tokens;
  else if (L.tokens_id) tokenStore = { id: L.tokens_id, tokens: L.tokens || [] };
}

// One computation at a time; edits while it runs merge into one pending
// request (the latest state wins): no timer debounce, so an edit is never
// delayed when the engine is idle, and a burst of keystrokes costs one
// computation per finished one. An edit that changes what the model
// scores (a context or a response) first runs a pass without the loss,
// so the verdicts and scores show at once, then the full pass. The
// measured time runs from the edit event to the page drawn and laid out
// (a forced layout after the DOM writes: the next paint has nothing left
// to compute but pixels).
let busy = false;
let pending = null; // {rescore, t}
let generation = 0;
let last = null; // the last full reply
const perf = { load: null, table: [], full: [], lossOnly: [], steps: [] };

function edited(kind) {
  syncControls();
  const t = performance.now();
  const rescore = kind === "context";
  pending = pending ? { rescore: pending.rescore || rescore, t: pending.t } : { rescore, t };
  if (!busy) run();
}

async function run() {
  busy = true;
  try {
    while (pending) {
      const job = pending;
      pending = null;
      const bad = settingProblems(settings());
      if (bad.length) {
        // Refused here, before the core allocates for a top-k of 1e9.
        $("heatmap").classList.add("stale");
        setStatus(`Not computed: ${bad.join("; ")}.`, true);
        continue;
      }
      if (job.rescore && last && !$("traces").value.trim()) {
        const fast = await callCore("playground", request(true));
        if (fast.status === 200) {
          render(fast.body, true);
          void document.body.offsetHeight; // lay out now: measured
          perf.table.push(performance.now() - job.t);
        }
        if (pending) { pending.rescore = true; pending.t = Math.min(pending.t, job.t); continue; }
      }
      const full = await callCore("playground", request(false));
      const t1 = performance.now();
      if (full.status !== 200) {
        showError(full.body);
      } else {
        resolveTokens(full.body);
        last = full.body;
        render(full.body, false);
      }
      const t2 = performance.now();
      void document.body.offsetHeight; // lay out now: measured
      const ms = performance.now() - job.t;
      (job.rescore ? perf.full : perf.lossOnly).push(ms);
      if (!job.rescore) perf.table.push(ms);
      const tm = (full.body && full.body.timings) || {};
      perf.steps.push({ kind: job.rescore ? "rescore" : "cheap", total: ms, worker_call: full.ms, core: Object.values(tm).reduce((a, b) => a + b, 0),
        timings: tm, reply_bytes: full.bytes, json_parse: full.parseMs, draw: t2 - t1, layout: performance.now() - t2 });
      generation++;
      document.body.dataset.generation = String(generation);
      $("timing").textContent = `(${Math.round(ms)} ms after the edit${full.body.loss && full.body.loss.cached ? ", log-probs from the cache" : ""})`;
    }
  } catch (e) {
    setStatus(`Error: ${e.message}`, true);
  } finally {
    busy = false;
  }
}

function showError(body) {
  const dl = (body && body.diagnostics) || [];
  drawn.delete("diagnostics");
  drawDiagnostics(dl);
  setStatus(`The core refused the request: ${dl.map(coreProblem).join("; ")}.`, true);
}

function setStatus(text, bad) {
  $("status").textContent = text;
  $("status").classList.toggle("bad", !!bad);
}

// ---------------------------------------------------------------- render

const fmt = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d));

// What each section last drew from: a section whose inputs did not
// change (a loss setting changes none of them) is left as it is.
const drawn = new Map();
function unchanged(name, ...inputs) {
  const k = JSON.stringify(inputs);
  if (drawn.get(name) === k) return true;
  drawn.set(name, k);
  return false;
}

function render(r, tableOnly) {
  const rubricText = $("rubric").value;
  if (!unchanged("diagnostics", r.diagnostics, rubricFileName(rubricText), rubricText.split("\n").length)) drawDiagnostics(r.diagnostics || []);
  if (!unchanged("pick", responses.length, selected)) drawPick(r);
  const sel = (r.results || []).find((x) => x.response_index === selected);
  if (!unchanged("scores", r.scores, (r.results || []).map((x) => [x.response_index, x.advantage]), selected, responses.length, $("scoring").value, $("grpo").value)) drawScores(r);
  if (!unchanged("criteria", r.rubric, sel, selected, responses[selected], $("scoring").value)) drawCriteria(r);
  if (!unchanged("contexts", r.contexts, selected)) drawContexts(r);
  $("cli").textContent = cliCommands({ ...settings(), rubricFile: rubricFileName($("rubric").value) });
  if (tableOnly) {
    $("heatmap").classList.add("stale");
    $("loss-summary").textContent = "Scoring the new contexts with the demo model…";
    return;
  }
  $("heatmap").classList.remove("stale");
  drawLoss(r);
  const errs = (r.diagnostics || []).filter((d) => d.severity === "error").length;
  setStatus(errs ? `${errs} error${errs > 1 ? "s" : ""}: see the diagnostics.` : `Ready: ${engine ? engine.engine_version : ""}.`, errs > 0);
}

function diagText(d) {
  let loc = d.file || "";
  if (d.line) loc += `:${d.line}` + (d.column ? `:${d.column}` : "");
  const path = d.path ? `${d.path}: ` : "";
  return `${loc ? loc + ": " : ""}${d.severity} ${d.code}: ${path}${d.message}${d.hint ? ` (${d.hint})` : ""}`;
}

function drawDiagnostics(dl) {
  const rubricFile = rubricFileName($("rubric").value);
  const list = $("diagnostics");
  if (!dl.length) {
    list.replaceChildren(el("li", { class: "ok", text: "No problems found." }));
  } else {
    list.replaceChildren(...dl.map((d) => {
      const li = el("li", { class: `diag ${d.severity}`, "data-file": d.file || "", "data-line": d.line ? String(d.line) : "" });
      if (d.file === rubricFile && d.line) {
        const b = el("button", { type: "button", class: "linkish", text: diagText(d) });
        b.addEventListener("click", () => gotoLine(d.line, d.column));
        li.append(b);
      } else li.textContent = diagText(d);
      return li;
    }));
  }
  drawGutter(dl.filter((d) => d.file === rubricFile && d.line));
}

function drawGutter(marks) {
  const n = $("rubric").value.split("\n").length;
  const by = new Map();
  for (const d of marks) {
    const prev = by.get(d.line);
    if (!prev || d.severity === "error") by.set(d.line, d);
  }
  const rows = [];
  for (let i = 1; i <= n; i++) {
    const d = by.get(i);
    const row = el("div", { class: d ? `ln ${d.severity}` : "ln", "data-line": String(i), text: (d ? (d.severity === "error" ? "✖ " : "▲ ") : "") + i });
    if (d) row.title = diagText(d);
    rows.push(row);
  }
  $("rubric-gutter").replaceChildren(...rows);
  $("rubric-gutter").scrollTop = $("rubric").scrollTop;
}

function gotoLine(line, col) {
  const ta = $("rubric");
  const lines = ta.value.split("\n");
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
  off += Math.max(0, (col || 1) - 1);
  ta.focus();
  ta.setSelectionRange(off, off);
}

function drawPick(r) {
  const n = responses.length;
  selected = Math.min(selected, n - 1);
  const box = $("response-pick");
  const kids = [el("span", { class: "pick-label", text: "Show response:" })];
  for (let i = 0; i < n; i++) {
    const id = `pick-${i}`;
    const inp = el("input", { type: "radio", name: "pick", id, value: String(i), checked: i === selected });
    inp.addEventListener("change", () => { selected = i; if (last) render(last, false); });
    kids.push(el("label", { for: id, class: "pick-item" }, inp, ` ${i + 1}`));
  }
  box.replaceChildren(...kids);
}

function cell(tag, x, digits) {
  return el(tag, { text: fmt(x, digits), "data-value": x === null || x === undefined ? "" : String(x) });
}

function drawScores(r) {
  const n = responses.length;
  const head = el("tr", null, el("th", { scope: "col", text: "rule" }),
    ...Array.from({ length: n }, (_, i) => el("th", { scope: "col", text: `response ${i + 1}`, class: i === selected ? "sel" : "" })));
  const rows = [head];
  const rule = $("scoring").value;
  for (const rs of r.scores || []) {
    const tr = el("tr", { class: rs.rule === rule ? "configured" : "", "data-rule": rs.rule },
      el("th", { scope: "row", text: rs.rule + (rs.rule === rule ? " (configured)" : "") }));
    rs.scores.forEach((s) => tr.append(cell("td", s, 3)));
    rows.push(tr);
  }
  const adv = el("tr", { "data-rule": "advantage", class: "adv" }, el("th", { scope: "row", text: `GRPO advantage (${$("grpo").value})` }));
  const byIndex = new Map((r.results || []).map((x) => [x.response_index, x]));
  for (let i = 0; i < n; i++) {
    const x = byIndex.get(i);
    const a = x ? x.advantage : null;
    const td = cell("td", a ?? null, 3);
    if (a !== null && a !== undefined) {
      const c = diverging(Math.max(-1, Math.min(1, a / 2)));
      td.style.backgroundColor = c.bg; td.style.color = c.fg;
    }
    adv.append(td);
  }
  rows.push(adv);
  $("scores").replaceChildren(el("caption", { text: "Each response's score under every rule (the configured one first in the config), and its GRPO advantage in the group" }), ...rows);
}

// Byte offsets (UTF-8, as the core reports them) to string offsets.
function byteSlicer(text) {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  return (a, b) => dec.decode(bytes.subarray(a, b));
}

function drawCriteria(r) {
  const res = (r.results || []).find((x) => x.response_index === selected);
  const crit = (r.rubric && r.rubric.criteria) || [];
  const head = el("tr", null, ...["#", "criterion", "category", "weight", "verdict", "judge", "evidence"].map((h) => el("th", { scope: "col", text: h })));
  const rows = [head];
  crit.forEach((c, k) => {
    const v = res && res.criteria ? res.criteria.find((x) => x.id === c.id) || res.criteria[k] : null;
    const met = v ? v.met : null;
    const verdict = met === true ? "met" : met === false ? "not met" : v && v.status === "not_applicable" ? "not applicable" : "unjudged";
    const tr = el("tr", { "data-criterion": c.id, class: `v-${verdict.replace(" ", "-")}` },
      el("td", { text: String(k + 1) }),
      el("td", null, c.title ? el("strong", { text: c.title }) : null, c.title ? el("br") : null, document.createTextNode(c.description)),
      el("td", { text: c.category || (c.tags || []).join(", ") || "—" }),
      el("td", { text: String(c.weight), "data-value": String(c.weight), class: "num" }),
      el("td", { class: "verdict", "data-met": String(met) }, el("span", { class: "mark", "aria-hidden": "true", text: met === true ? "✔ " : met === false ? "✘ " : verdict === "unjudged" ? "? " : "– " }), verdict),
      el("td", { text: v ? (v.judge || "") + (v.heuristic ? " (heuristic)" : "") : "" }),
      el("td", { class: "ev", text: v && v.evidence ? `“${v.evidence.text}”` : v && v.error ? v.error : v && v.explanation ? v.explanation : "" }));
    rows.push(tr);
  });
  const score = res ? res.score : null;
  $("criteria").replaceChildren(el("caption", { text: `Response ${selected + 1}: score ${fmt(score)} (${$("scoring").value})${res && res.note ? " — " + res.note : ""}` }), ...rows);

  // The response with each criterion's evidence marked.
  const text = responses[selected] || "";
  const spans = [];
  if (res) res.criteria.forEach((v, k) => { if (v.evidence && v.evidence.end > v.evidence.start) spans.push({ ...v.evidence, k, met: v.met }); });
  spans.sort((a, b) => a.start - b.start);
  const slice = byteSlicer(text);
  const total = new TextEncoder().encode(text).length;
  const out = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue; // overlapping evidence: the first one wins
    out.push(document.createTextNode(slice(at, s.start)));
    out.push(el("mark", { class: s.met === false ? "ev-bad" : "ev-good", title: `criterion ${s.k + 1}` }, slice(s.start, s.end), el("sup", { text: String(s.k + 1) })));
    at = s.end;
  }
  out.push(document.createTextNode(slice(at, total)));
  $("evidence").replaceChildren(...out);
}

function lossFor(r, i) {
  const L = r.loss;
  if (!L) return null;
  let k = L.results.findIndex((x) => x.id.endsWith(`#${i}`));
  if (L.source === "traces" && k < 0) k = i;
  if (k < 0 || k >= L.results.length || !L.columns || !L.columns[k]) return null;
  return { k, res: L.results[k], col: L.columns[k], tokens: (L.tokens && L.tokens[k]) || [], id: L.tokens_id || "", traces: L.traces_id || "" };
}

let heat = null; // what the heatmap shows, for hover and keys

// Per-token flags of loss.columns[k].flags (api.TokenColumns).
const VALID = 1, CLIPPED = 2, HAS_ADVANTAGE = 4;
const flagsAt = (col, i) => col.flags.charCodeAt(i) - 48;

// A token's advantage A_t = log T(y_t) − log S(y_t): at τ when the core
// has it, else from the served log-probs at temperature 1 (always there).
const advantageOf = (col, i) => (flagsAt(col, i) & HAS_ADVANTAGE ? col.advantage[i] : col.logprob_teacher[i] - col.logprob_student[i]);

function maxAbs(vals) {
  let m = 1e-12;
  for (const v of vals) { const a = Math.abs(v); if (a > m) m = a; }
  return m;
}

// strip draws one span per token in box, or, when box already shows the
// same tokens (key: the token texts' id, the result, the count), only
// recolours the spans whose colour, value or class changed: no DOM built,
// nothing read back, so one layout follows.
function strip(box, key, labels, n, paint) {
  let spans = box.children;
  if (box.dataset.key !== key || spans.length !== n) {
    const kids = new Array(n);
    for (let i = 0; i < n; i++) {
      const sp = document.createElement("span");
      sp.textContent = tokenLabel(labels[i]);
      sp.dataset.i = String(i);
      kids[i] = sp;
    }
    box.replaceChildren(...kids);
    box.dataset.key = key;
    box._paint = new Array(n);
    spans = box.children;
  }
  const prev = box._paint;
  for (let i = 0; i < n; i++) {
    const p = paint(i); // {cls, value, c: {bg, fg}}
    const q = prev[i];
    const sp = spans[i];
    if (q && q.cls === p.cls && q.value === p.value && q.c.bg === p.c.bg && q.c.fg === p.c.fg) continue;
    if (!q || q.cls !== p.cls) sp.className = p.cls;
    if (!q || q.value !== p.value) sp.dataset.value = p.value;
    if (!q || q.c.bg !== p.c.bg) sp.style.backgroundColor = p.c.bg;
    if (!q || q.c.fg !== p.c.fg) sp.style.color = p.c.fg;
    prev[i] = p;
  }
}

function clearStrip(box) {
  box.replaceChildren();
  delete box.dataset.key;
}

function drawLoss(r) {
  const L = r.loss;
  const view = $("view").value;
  const lf = lossFor(r, selected);
  if (!L || !lf) {
    $("loss-summary").textContent = L ? "No loss for this response (see the diagnostics)." : "No loss: the inputs have errors, or there is no scorer.";
    clearStrip($("heatmap")); $("legend").replaceChildren(); clearStrip($("grpo-strip")); clearStrip($("rcsd-strip"));
    $("attribution-view").replaceChildren(); $("token-details").textContent = "";
    heat = null;
    return;
  }
  const s = L.summary;
  $("loss-summary").replaceChildren(
    `Response ${selected + 1}: loss `, el("strong", { id: "loss-value", text: fmt(lf.res.loss, 5), "data-value": String(lf.res.loss) }),
    ` over ${lf.res.valid_tokens} tokens (${L.source === "traces" ? "pasted traces" : "demo model"}${L.cached ? ", cached log-probs" : ""}). Batch: loss ${fmt(s.loss, 5)}, ${s.valid_tokens} tokens, ${s.clipped_tokens} clipped, mean A_t ${fmt(s.mean_advantage)}.`);
  const col = lf.col;
  const n = col.flags.length;
  const vals = view === "advantage" ? Array.from({ length: n }, (_, i) => advantageOf(col, i)) : col.divergence;
  const m = maxAbs(vals);
  const key = `${lf.id}:${lf.k}`;
  const same = heat && heat.key === key && heat.n === n;
  heat = { key, traces: lf.traces, k: lf.k, n, col, det: lf.tokens, active: same ? heat.active : heat && heat.active < n ? heat.active : 0 };
  const scale = view === "advantage" ? diverging : sequential;
  strip($("heatmap"), key, lf.tokens, n, (i) => {
    const f = flagsAt(col, i);
    return { cls: "tok" + (f & VALID ? "" : " masked") + (f & CLIPPED ? " clipped" : "") + (i === heat.active ? " active" : ""),
      value: String(vals[i]), c: scale(vals[i] / m) };
  });
  $("heatmap").dataset.view = view;
  drawLegend($("legend"), view === "advantage" ? "diverging" : "sequential",
    view === "advantage" ? [-m, m] : [0, m],
    view === "advantage" ? "A_t: blue, the teacher likes the token less than the student; orange, more" : "per-token divergence: dark, teacher and student agree; yellow, they differ most (dashed outline: clipped)");
  drawCompare(r, lf);
  drawAttribution(lf);
  showToken(heat.active, false);
}

function tokenLabel(d) {
  const t = d ? d.text : "";
  return t === "" ? "∅" : t;
}

function drawLegend(box, kind, [lo, hi], caption) {
  const bar = el("span", { class: "bar", "aria-hidden": "true" });
  bar.style.background = `linear-gradient(to right, ${gradientStops(kind).join(", ")})`;
  box.replaceChildren(el("span", { class: "lo", text: fmt(lo) }), bar, el("span", { class: "hi", text: fmt(hi) }), el("span", { class: "cap", text: caption }));
}

function drawCompare(r, lf) {
  const res = (r.results || []).find((x) => x.response_index === selected);
  const adv = res && res.advantage !== undefined && res.advantage !== null ? res.advantage : null;
  const col = lf.col;
  const n = col.flags.length;
  const per = Array.from({ length: n }, (_, i) => advantageOf(col, i));
  const maxTok = maxAbs(per);
  const maxGroup = maxAbs((r.results || []).map((x) => x.advantage || 0));
  const key = `${lf.id}:${lf.k}`;
  const g = diverging((adv ?? 0) / maxGroup);
  const gv = String(adv ?? 0);
  strip($("grpo-strip"), key, lf.tokens, n, () => ({ cls: "tok", value: gv, c: g }));
  $("grpo-strip").setAttribute("aria-label", adv === null ? "GRPO: a single response has no advantage" : `GRPO: every token gets ${fmt(adv)}`);
  strip($("rcsd-strip"), key, lf.tokens, n, (i) => ({ cls: "tok", value: String(per[i]), c: diverging(per[i] / maxTok) }));
  $("rcsd-strip").setAttribute("aria-label", "RCSD: every token its own advantage");
  drawLegend($("compare-legend"), "diverging", [-1, 1],
    `Blue: pushed down, orange: pushed up. GRPO scale ±${fmt(maxGroup)} (group), RCSD scale ±${fmt(maxTok)} (tokens).`);
}

function drawAttribution(lf) {
  const box = $("attribution-view");
  const crit = lf.res.criteria || [];
  const cols = lf.col.criteria || [];
  if (!crit.length) {
    box.replaceChildren(el("p", { class: "hint", text: $("attribution").checked ? "No per-criterion results (pasted traces carry them only when made with rcsd logprobs --attribution)." : "Tick “per-criterion attribution” to score the teacher once per criterion alone and see which criterion drives each token." }));
    return;
  }
  const prevSel = $("attr-criterion") ? $("attr-criterion").value : "0";
  const sel = el("select", { id: "attr-criterion" }, ...crit.map((c, k) => el("option", { value: String(k), text: `${c.id}: loss ${fmt(c.loss, 4)}` })));
  if (Number(prevSel) < crit.length) sel.value = prevSel;
  const stripBox = el("div", { class: "heatmap small", id: "attr-strip" });
  const draw = () => {
    const k = Number(sel.value);
    const d = (cols.find((c) => c.id === crit[k].id) || cols[k] || { divergence: [] }).divergence;
    const max = Math.max(1e-12, ...d);
    strip(stripBox, `${lf.id}:${lf.k}`, lf.tokens, d.length, (i) => ({ cls: "tok", value: String(d[i]), c: sequential(d[i] / max) }));
  };
  sel.addEventListener("change", draw);
  const table = el("table", { class: "num", id: "attr-table" },
    el("caption", { text: "Loss against a teacher that sees only one criterion" }),
    el("tr", null, el("th", { scope: "col", text: "criterion" }), el("th", { scope: "col", text: "loss" })),
    ...crit.map((c) => el("tr", { "data-criterion": c.id }, el("th", { scope: "row", text: c.id }), cell("td", c.loss, 4))));
  box.replaceChildren(el("label", null, "Criterion ", sel), stripBox, table);
  draw();
}

// Each token's alternatives come from the Worker on demand (the core
// keeps the traces of its recent replies), a block of tokens at a time.
const ALT_BLOCK = 64;
const altBlocks = new Map(); // `${traces_id}:${k}:${block}` → Promise<details[] | null>

function alternatives(id, k, i, n) {
  const b = Math.floor(i / ALT_BLOCK);
  const key = `${id}:${k}:${b}`;
  if (!altBlocks.has(key)) {
    if (altBlocks.size > 256) altBlocks.clear();
    const from = b * ALT_BLOCK;
    altBlocks.set(key, post("details", JSON.stringify({ traces_id: id, result: k, from, to: Math.min(n, from + ALT_BLOCK), alternatives: 5 }))
      .then((m) => JSON.parse(m.value).tokens)
      .catch(() => null)
      .then((t) => { if (!t) altBlocks.delete(key); return t; }));
  }
  return altBlocks.get(key).then((t) => (t ? t[i - b * ALT_BLOCK] : null));
}

function showToken(i, focus) {
  if (!heat) return;
  const toks = $("heatmap").children;
  if (i < 0 || i >= toks.length) return;
  if (toks[heat.active]) toks[heat.active].classList.remove("active");
  if (heat.active !== i) {
    const p = $("heatmap")._paint;
    if (p && p[heat.active]) p[heat.active] = null; // its class changed
    if (p && p[i]) p[i] = null;
  }
  heat.active = i;
  toks[i].classList.add("active");
  if (focus) toks[i].scrollIntoView({ block: "nearest" });
  const col = heat.col;
  const f = flagsAt(col, i);
  const d = heat.det[i] || {};
  const altTable = (side, list) => el("table", { class: "alts num", "data-side": side.toLowerCase() },
    el("caption", { text: `${side}'s top alternatives` }),
    el("tr", null, el("th", { scope: "col", text: "token" }), el("th", { scope: "col", text: "p" })),
    ...(list || []).map((a) => el("tr", null, el("td", { text: JSON.stringify(a.token ?? String(a.token_id)) }), el("td", { text: Math.exp(a.logprob).toFixed(3) }))));
  const row = el("div", { class: "alts-row" }, altTable("Student", d.student), altTable("Teacher", d.teacher));
  $("token-details").replaceChildren(
    el("p", null, el("strong", { text: `Token ${i + 1} of ${heat.n}: ${JSON.stringify(d.text ?? "")}` }),
      ` divergence ${fmt(col.divergence[i], 4)}${f & CLIPPED ? " (clipped)" : ""}${f & VALID ? "" : " (masked)"}, A_t ${fmt(advantageOf(col, i), 3)}${f & HAS_ADVANTAGE ? "" : " (τ = 1)"}, log S(y) ${fmt(col.logprob_student[i], 3)}, log T(y) ${fmt(col.logprob_teacher[i], 3)}`),
    row);
  if (d.student || d.teacher || !heat.traces) return;
  const want = heat;
  alternatives(heat.traces, heat.k, i, heat.n).then((a) => {
    if (heat !== want || heat.active !== i) return;
    if (!a) { row.replaceChildren(el("p", { class: "hint", text: "The alternatives of this token are no longer kept: edit anything to recompute." })); return; }
    row.replaceChildren(altTable("Student", a.student), altTable("Teacher", a.teacher));
    row.dataset.ready = "true";
  });
}

function drawContexts(r) {
  const pairs = r.contexts || [];
  const p = pairs.find((x) => x.response_index === selected) || pairs[0];
  if (!p) { $("ctx-student").textContent = ""; $("ctx-teacher").textContent = ""; return; }
  $("ctx-student").textContent = p.student.text;
  const text = p.teacher.text;
  const slice = byteSlicer(text);
  const total = new TextEncoder().encode(text).length;
  const out = [];
  let at = 0;
  for (const s of (p.teacher.inserted || []).slice().sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out.push(document.createTextNode(slice(at, s.start)));
    out.push(el("mark", { class: "priv", text: slice(s.start, s.end) }));
    at = s.end;
  }
  out.push(document.createTextNode(slice(at, total)));
  $("ctx-teacher").replaceChildren(...out);
}

// ---------------------------------------------------------------- exports

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function exports() {
  const st = readState();
  const rubricFile = rubricFileName(st.rubric);
  return { config: buildConfig(st.settings, rubricFile), rubric: st.rubric, rubricFile, item: buildItem(st) + "\n" };
}

async function shareLink() {
  const enc = await encodeState(readState());
  return `${location.origin}${location.pathname}#s=${enc}`;
}

// ---------------------------------------------------------------- tour

const TOUR = [
  { title: "1. What the teacher sees", target: "ctx-h", body: [
    "One model plays two roles. The student sees only the question and writes an answer. The teacher is the same model, shown the question plus privileged context: the reference answer and the whole rubric.",
    "The highlighted text in the teacher's context is all that differs. The teacher then re-reads the student's own tokens (teacher forcing): it never writes anything itself."] },
  { title: "2. The rubric becomes per-criterion feedback", target: "criteria-h", body: [
    "Each criterion gets a verdict from a judge (given labels, machine rules such as a \\boxed{} answer, a lexical heuristic, or your llm grader), with the evidence marked in the response.",
    "The verdicts give a score under each rule (HealthBench, RaR, …) and, across a group of responses, GRPO advantages."] },
  { title: "3. Why token-level credit beats one scalar", target: "compare-h", body: [
    "GRPO gives every token of a response the same advantage: a wrong final number and the correct reasoning before it are pushed down together.",
    "RCSD compares the teacher's and the student's next-token distributions at every token, so credit lands where the rubric-aware teacher disagrees: compare the two strips."] },
  { title: "4. What the clip and the top-k do", target: "loss-h", body: [
    "Top-k: the divergence is computed over the teacher's k most likely tokens, renormalised (RCSD: k = 20), so the long tail of the vocabulary does not dominate.",
    "Clip: each (token, vocabulary entry) term is capped (RCSD: 0.05), so one spiky position cannot swamp the batch; a clipped term has zero gradient. Change k and the clip in Loss settings and watch the heatmap."] },
];
let tourStep = 0;

function showTour(i) {
  tourStep = Math.max(0, Math.min(TOUR.length - 1, i));
  const s = TOUR[tourStep];
  $("tour-title").textContent = s.title;
  $("tour-body").replaceChildren(...s.body.map((p) => el("p", { text: p })));
  $("tour-step").textContent = `${tourStep + 1} / ${TOUR.length}`;
  $("tour-prev").disabled = tourStep === 0;
  $("tour-next").disabled = tourStep === TOUR.length - 1;
  document.querySelectorAll(".tour-target").forEach((e) => e.classList.remove("tour-target"));
  const t = $(s.target);
  if (t) { t.classList.add("tour-target"); t.scrollIntoView({ block: "start" }); }
}

// ---------------------------------------------------------------- wiring

function wire() {
  const contextInputs = ["prompt", "reference", "rubric", "traces", "variant", "chat", "thinking", "attribution"];
  const cheapInputs = ["labels", "judge", "scoring", "grpo", "divergence", "beta", "temperature", "tail", "clip-entry", "clip-token", "floor", "support", "llm-url", "llm-model"];
  for (const id of contextInputs) $(id).addEventListener(id === "rubric" || id === "prompt" || id === "reference" || id === "traces" ? "input" : "change", () => edited("context"));
  for (const id of cheapInputs) $(id).addEventListener(["labels", "llm-url", "llm-model"].includes(id) ? "input" : "change", () => edited("cheap"));
  for (const id of ["beta", "temperature", "clip-entry", "clip-token", "topk"]) $(id).addEventListener("input", () => edited("cheap"));
  $("preset").addEventListener("change", () => { applyPreset($("preset").value); edited("context"); });
  $("view").addEventListener("change", () => { if (last) drawLoss(last); });
  $("rubric").addEventListener("scroll", () => { $("rubric-gutter").scrollTop = $("rubric").scrollTop; });
  $("add-response").addEventListener("click", () => {
    responses.push("");
    drawResponses();
    $(`response-${responses.length - 1}`).focus();
    edited("context");
  });
  $("example").addEventListener("change", async () => {
    try { await loadExample($("example").value); edited("context"); } catch (e) { setStatus(e.message, true); }
  });
  $("heatmap").addEventListener("mouseover", (ev) => {
    const i = ev.target.dataset && ev.target.dataset.i;
    if (i !== undefined) showToken(Number(i), false);
  });
  $("heatmap").addEventListener("keydown", (ev) => {
    if (!heat) return;
    const step = { ArrowRight: 1, ArrowDown: 10, ArrowLeft: -1, ArrowUp: -10, Home: -Infinity, End: Infinity }[ev.key];
    if (step === undefined) return;
    ev.preventDefault();
    showToken(Math.max(0, Math.min(heat.toks.length - 1, heat.active + step)), true);
  });
  $("share").addEventListener("click", async () => {
    const link = await shareLink();
    history.replaceState(null, "", link);
    try { await navigator.clipboard.writeText(link); setStatus("Share link copied (the state is in the #fragment, never sent to a server)."); } catch { setStatus("Share link is in the address bar (the state is in the #fragment, never sent to a server)."); }
  });
  $("export-config").addEventListener("click", () => download("rcsd-config.yaml", exports().config, "text/yaml"));
  $("export-rubric").addEventListener("click", () => { const x = exports(); download(x.rubricFile, x.rubric, "text/plain"); });
  $("export-item").addEventListener("click", () => download("item.jsonl", exports().item, "application/x-ndjson"));
  $("llm-apply").addEventListener("click", async () => {
    try {
      await post("grader", JSON.stringify({ url: $("llm-url").value.trim(), model: $("llm-model").value.trim(), key: $("llm-key").value }));
      setStatus("The llm grader is set (its key is kept in memory only).");
      edited("cheap");
    } catch (e) { setStatus(e.message, true); }
  });
  $("tour-open").addEventListener("click", () => { $("tour").showModal(); showTour(0); });
  $("tour-prev").addEventListener("click", () => showTour(tourStep - 1));
  $("tour-next").addEventListener("click", () => showTour(tourStep + 1));
  $("tour-close").addEventListener("click", () => $("tour").close());
}

// Training-framework exports (api.Export, core/api/export.go, through the
// engine's "export" method): one button per target; the reply's files are
// shown with a download link each, and its warnings (what the target
// cannot express) listed. verl's train.parquet is written by the CLI only.
const EXPORT_TARGETS = [
  { target: "trl-sdft", label: "TRL SDFT" }, { target: "trl-gkd", label: "TRL GKD" },
  { target: "verl", label: "verl" }, { target: "tinker", label: "Tinker" },
];
let lastExport = null;
const exportBlobs = new Map(); // download URL → Blob, for the tests

// exportLinks reads back what each download link of the panel gives.
async function exportLinks() {
  const out = {};
  for (const a of document.querySelectorAll("#export-panel li[data-file] a[download]")) {
    const b = exportBlobs.get(a.href);
    out[a.download] = b ? await b.text() : null;
  }
  return out;
}

function drawExportTargets() {
  const box = $("export-targets");
  if (!engine || !engine.methods.includes("export")) { box.replaceChildren(); $("export-section").hidden = true; return; }
  box.replaceChildren(el("span", { class: "hint", text: "Export for:" }), ...EXPORT_TARGETS.map(({ target, label }) => {
    const b = el("button", { type: "button", id: `export-${target}`, text: label, "aria-label": `Export the training files for ${label} (${target})` });
    b.addEventListener("click", () => exportTarget(target));
    return b;
  }));
}

function exportRequest(target) {
  const x = exports();
  return { target, config: x.config, config_file: "rcsd-config.yaml", items: x.item, items_file: "item.jsonl", rubric: x.rubric, rubric_file: x.rubricFile };
}

async function exportTarget(target) {
  const sec = $("export-section");
  sec.hidden = false;
  const panel = $("export-panel");
  panel.replaceChildren(el("p", { text: `Exporting for ${target}…` }));
  delete panel.dataset.target;
  let r;
  try { r = await callCore("export", exportRequest(target)); } catch (e) { panel.replaceChildren(el("p", { class: "bad", text: e.message })); return; }
  const body = r.body || {};
  const dl = body.diagnostics || [];
  const files = body.files || [];
  lastExport = { target, status: r.status, files, diagnostics: dl, records: body.records, rows: body.rows, skipped: body.skipped };
  const kids = [el("h4", { class: "small-h", text: `${target}: ${files.length} file${files.length === 1 ? "" : "s"}${body.rows !== undefined ? `, ${body.rows} dataset row${body.rows === 1 ? "" : "s"}` : ""}` })];
  if (target === "verl") {
    kids.push(el("p", { class: "hint", text: "verl's dataset, train.parquet, is written by the command line only (the page has no Parquet encoder): save the config, rubric and item, then run the command below." }));
  }
  const warn = dl.filter((d) => d.severity === "warning" || d.severity === "error");
  if (warn.length) {
    kids.push(el("p", { text: "What this target cannot express, or cannot run:" }),
      el("ul", { class: "export-warnings" }, ...warn.map((d) => el("li", { class: d.severity, text: diagText(d) }))));
  } else if (r.status === 200) kids.push(el("p", { class: "hint", text: "Every setting maps to this target." }));
  kids.push(el("ul", { class: "export-files" }, ...files.map((f) => {
    const blob = new Blob([f.content], { type: "text/plain" });
    const url = URL.createObjectURL(blob);
    exportBlobs.set(url, blob);
    return el("li", { "data-file": f.name },
      el("a", { href: url, download: f.name, text: `Download ${f.name}` }), ` (${f.content.length} characters)`,
      el("pre", { class: "ctx", text: f.content }));
  })));
  kids.push(el("p", { class: "hint", text: "The same from the command line, with the three exports saved side by side:" }),
    el("pre", { class: "ctx", text: `rcsd export --target ${target} --config rcsd-config.yaml --data item.jsonl --out ${target}-run` }));
  for (const a of panel.querySelectorAll("a[href^='blob:']")) { URL.revokeObjectURL(a.href); exportBlobs.delete(a.href); }
  panel.replaceChildren(...kids);
  panel.dataset.target = target;
  sec.scrollIntoView({ block: "nearest" });
}

async function main() {
  const t0 = performance.now();
  wire();
  let restored = false;
  if (location.hash.startsWith("#s=")) {
    try {
      const { state, problems } = checkState(await decodeState(location.hash.slice(3)), { examples: EXAMPLES, settings: settingSpecs() });
      applyState(state);
      restored = true;
      if (problems.length) showLinkProblem(`Parts of this share link could not be used and keep their defaults: ${problems.join("; ")}.`);
    } catch (e) {
      showLinkProblem(`${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}; the page shows an example instead.`);
    }
  }
  if (!restored) await loadExample(EXAMPLES.includes($("example").value) ? $("example").value : "science");
  try { await engineStarted; } catch (e) { setStatus(`The engine did not start: ${e.message}`, true); return; }
  drawExportTargets();
  pending = { rescore: true, t: t0 };
  await run();
  perf.load = performance.now();
  document.body.dataset.ready = "true";
}

// Hooks for the browser tests (site/browsertest): read-only views of the
// state, the request the page sends and its timings.
window.rcsdPlayground = {
  state: readState,
  request: () => request(false),
  exports,
  shareLink,
  shareDecode: () => ({ ...lastDecode }),
  describeDiagnostic: coreProblem,
  perf,
  engine: () => engine,
  last: () => last,
  lastExport: () => lastExport,
  exportLinks,
  exportRequest,
};

main();
