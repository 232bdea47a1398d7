// CPU per request of the Worker's .wasm, measured under Node the way
// workerd runs it (syumai/workers' shim: a new Go instance per request
// from a module compiled once): start-up (instantiate + Go runtime and
// package init, until the handler is ready) and the request itself.
//
//   node bench/worker/cpu.mjs build/worker TRACES.jsonl [N]
//
// Node and workerd are both V8; the work is synchronous, so the process
// CPU time of a request is the Worker's CPU time for it (workerd's own
// request plumbing aside). Prints one line per case: median and p90 of
// total CPU ms, and the start-up share.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dir, tracesFile, nArg] = process.argv.slice(2);
const N = Number(nArg || 50);
await import(pathToFileURL(path.resolve(dir, "wasm_exec.js")));
globalThis.tryCatch = (fn) => { try { return { result: fn() }; } catch (e) { return { error: e }; } };
const mod = await WebAssembly.compile(fs.readFileSync(path.join(dir, "app.wasm")));

const cpuMs = (u) => (u.user + u.system) / 1000;

// One request as the shim serves it; returns [startupMs, totalMs, status].
async function once(makeReq) {
  const c0 = process.cpuUsage();
  const go = new Go();
  let ready;
  const readyP = new Promise((r) => (ready = r));
  const inst = new WebAssembly.Instance(mod, { ...go.importObject, workers: { ready: () => ready() } });
  const binding = {};
  go.run(inst, { env: {}, ctx: {}, binding });
  await readyP;
  const c1 = process.cpuUsage(c0);
  const res = await binding.handleRequest(makeReq());
  await res.arrayBuffer();
  const c2 = process.cpuUsage(c0);
  return [cpuMs(c1), cpuMs(c2), res.status];
}

const read = (p) => fs.readFileSync(p, "utf8");
const post = (method, body) => () =>
  new Request("http://w/api/v1/" + method, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const traces = read(tracesFile);
const oneTrace = traces.split("\n")[0] + "\n";
const cases = [
  ["GET version", () => new Request("http://w/api/v1/version")],
  ["POST validate (rubric, 1.6 KB)", post("validate", { file: "photosynthesis.rar.json", content: read("examples/rubrics/photosynthesis.rar.json") })],
  ["POST validate (bad JSON)", () => new Request("http://w/api/v1/validate", { method: "POST", body: '{"content": 3}' })],
  ["POST evaluate (math.jsonl, rules)", post("evaluate", { items: read("examples/math.jsonl") })],
  ["POST evaluate (science.jsonl, lexical)", post("evaluate", { items: read("examples/science.jsonl"), config: { judge: "lexical" } })],
  ["POST loss (1 trace, top-20)", post("loss", { traces: oneTrace, config: { loss: { divergence: "forward", support: "teacher-topk", top_k: 20 } } })],
  ["POST loss (all traces of an item)", post("loss", { traces, config: { loss: { divergence: "forward", support: "teacher-topk", top_k: 20 } } })],
];
for (const [name, mk] of cases) {
  const body = mk();
  const size = body.body ? (await body.clone().arrayBuffer()).byteLength : 0;
  for (let i = 0; i < 20; i++) await once(mk); // warm-up: V8 tiers the module up
  const starts = [], totals = [];
  let status;
  for (let i = 0; i < N; i++) {
    const [s, t, st] = await once(mk);
    starts.push(s); totals.push(t); status = st;
  }
  const q = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
  console.log(`${name.padEnd(40)} ${String(size).padStart(8)} B  status ${status}  CPU ms: median ${q(totals, 0.5).toFixed(1)}, p90 ${q(totals, 0.9).toFixed(1)} (start-up ${q(starts, 0.5).toFixed(1)})`);
}
process.exit(0); // the last instance may still hold a timer
