// The Web Worker that runs rcsd.wasm, so the page never freezes while the
// core computes. Messages in: {id, op, arg}; out: {id, ok, value | error}.
// ops: "call" (arg {method, body}: the envelope JSON string back),
// "grader" (arg: JSON {url, model, key}; the key stays in this worker's
// memory only), "details" (arg: JSON {traces_id, result, from, to,
// alternatives}: a compact reply's token alternatives, {"tokens": null}
// once the core no longer keeps them). The first message out is
// {ready: true, version} or {ready: false, error}.
"use strict";

// The bridge's protocol (wasm/bridge.Protocol). A different number means
// the .wasm and these scripts come from different builds.
const BRIDGE_PROTOCOL = 2;

importScripts("wasm_exec.js");

async function start() {
  const t0 = performance.now();
  const model = fetch("demo-model.bin.gz").then((r) => {
    if (!r.ok) throw new Error("demo-model.bin.gz: HTTP " + r.status);
    return r.arrayBuffer();
  });
  const go = new Go();
  const booted = new Promise((resolve) => { self.rcsdReady = resolve; });
  const resp = fetch("rcsd.wasm");
  let instance;
  let streamed = true; // compiled while it downloaded (the browser test checks it)
  try {
    ({ instance } = await WebAssembly.instantiateStreaming(resp, go.importObject));
  } catch (e) {
    streamed = false;
    // A server that does not send application/wasm: fall back to bytes.
    const bytes = await (await fetch("rcsd.wasm")).arrayBuffer();
    ({ instance } = await WebAssembly.instantiate(bytes, go.importObject));
  }
  go.run(instance);
  await booted;
  const version = JSON.parse(await self.rcsd.version());
  if (version.protocol !== BRIDGE_PROTOCOL) {
    throw new Error(`rcsd.wasm speaks bridge protocol ${version.protocol}, these scripts ${BRIDGE_PROTOCOL}: rebuild with make site`);
  }
  const withModel = JSON.parse(await self.rcsd.setModel(new Uint8Array(await model)));
  withModel.boot_ms = performance.now() - t0;
  withModel.wasm_streamed = streamed;
  return withModel;
}

const ready = start();
ready.then(
  (version) => self.postMessage({ ready: true, version }),
  (e) => self.postMessage({ ready: false, error: String(e && e.message || e) }),
);

self.onmessage = async (ev) => {
  const { id, op, arg } = ev.data;
  try {
    await ready;
    let value;
    if (op === "call") {
      if (typeof self.rcsd[arg.method] !== "function") throw new Error("unknown method " + arg.method);
      const t = performance.now();
      value = await self.rcsd[arg.method](arg.body);
      self.postMessage({ id, ok: true, value, ms: performance.now() - t });
      return;
    } else if (op === "grader") {
      value = await self.rcsd.setGrader(arg);
    } else if (op === "details") {
      value = await self.rcsd.details(arg);
    } else {
      throw new Error("unknown op " + op);
    }
    self.postMessage({ id, ok: true, value });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e && e.message || e) });
  }
};
