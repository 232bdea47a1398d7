// The share link: the page's whole state (never the llm key), JSON,
// compressed with the browser's CompressionStream("deflate-raw") and
// written base64url in the URL fragment, which browsers never send to a
// server.
//
// A link is input from anyone: decodeState inflates at most
// MAX_STATE_BYTES (a 348 KB fragment of zeros would otherwise inflate to
// 256 MiB) and checkState checks every field before the page uses it.

// MAX_STATE_BYTES bounds the unpacked state: the largest example's state
// is about 20 KB, and 4 MiB holds a long prompt, rubric and traces.
export const MAX_STATE_BYTES = 4 << 20;

// The page shows at most this many responses from a link (each is a
// text box and a column of the scores).
export const MAX_RESPONSES = 64;

// lastDecode counts what the last decodeState inflated, for the browser
// tests: that a bomb stopped at the cap, not after it went off.
export const lastDecode = { read: 0, limit: MAX_STATE_BYTES, stopped: false };

// ShareLinkError is a link the page cannot open; its message is a
// sentence for the reader.
export class ShareLinkError extends Error {}

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

// inflate unpacks deflate-raw bytes and stops once more than limit bytes
// came out. It feeds the decompressor 1 KB of input at a time, as the
// reader asks: a DecompressionStream turns each input chunk into all of
// its output at once, and deflate unpacks at most 1032:1, so no more than
// about limit + 1 MiB is ever held, however large the bomb.
const FEED = 1024;

async function inflate(bytes, limit) {
  const ds = new DecompressionStream("deflate-raw");
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let stop = false;
  (async () => {
    try {
      for (let i = 0; i < bytes.length && !stop; i += FEED) {
        await writer.ready;
        if (!stop) writer.write(bytes.subarray(i, i + FEED)).catch(() => {});
      }
      if (!stop) await writer.close();
    } catch { /* the reader reports a damaged stream */ }
  })();
  const chunks = [];
  let n = 0;
  lastDecode.read = 0;
  lastDecode.stopped = false;
  for (;;) {
    let r;
    try {
      r = await reader.read();
    } catch {
      throw new ShareLinkError("this share link is damaged (its data does not unpack); ask for the link again");
    }
    if (r.done) break;
    n += r.value.length;
    lastDecode.read = n;
    if (n > limit) {
      stop = lastDecode.stopped = true;
      reader.cancel().catch(() => {});
      throw new ShareLinkError(`this share link is too large (over ${limit / (1 << 20)} MB when unpacked)`);
    }
    chunks.push(r.value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

function toBase64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  let s;
  try {
    s = atob(b64 + "===".slice((b64.length + 3) % 4));
  } catch {
    throw new ShareLinkError("this share link is damaged (it has characters a link's data never has); ask for the link again");
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return toBase64url(await pipe(json, new CompressionStream("deflate-raw")));
}

// decodeState returns the object a link holds, unchecked (checkState
// checks it), or throws a ShareLinkError.
export async function decodeState(text) {
  const bytes = await inflate(fromBase64url(text), MAX_STATE_BYTES);
  let st;
  try {
    st = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ShareLinkError("this share link is damaged (its data is not a playground state); ask for the link again");
  }
  if (st === null || typeof st !== "object" || Array.isArray(st)) {
    throw new ShareLinkError("this share link is damaged (its data is not a playground state); ask for the link again");
  }
  return st;
}

// ---------------------------------------------------------------- checks

const show = (v) => (typeof v === "number" ? String(v) : JSON.stringify(v) ?? String(v));

// checkSetting returns why value cannot set the control described by f
// (a sentence naming the setting), or "" when it can. f: {label, kind:
// "select" | "bool" | "number" | "text", options, min, max, integer,
// maxLength}. Numbers may come as numbers or as the numeric strings an
// input's value is.
export function checkSetting(f, value) {
  const v = show(value);
  switch (f.kind) {
    case "select":
      return f.options.includes(value) ? "" : `${f.label} ${v} is not one of ${f.options.join(", ")}`;
    case "bool":
      return typeof value === "boolean" ? "" : `${f.label} ${v} is not true or false`;
    case "text":
      if (typeof value !== "string") return `${f.label} ${v} is not text`;
      return value.length > f.maxLength ? `${f.label} is over ${f.maxLength} characters long` : "";
    case "number": {
      const x = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
      if (!Number.isFinite(x)) return `${f.label} ${v} is not a number`;
      const shown = typeof value === "number" ? v : String(x);
      const hasMax = Number.isFinite(f.max);
      if (x < f.min || (hasMax && x > f.max)) {
        return hasMax ? `${f.label} ${shown} is out of range ${f.min}…${f.max}` : `${f.label} ${shown} is below ${f.min}`;
      }
      return f.integer && !Number.isInteger(x) ? `${f.label} ${shown} is not a whole number` : "";
    }
  }
  return `${f.label}: unknown kind of setting`;
}

const TEXTS = [["prompt", "the prompt"], ["reference", "the reference answer"], ["labels", "the labels"], ["rubric", "the rubric"], ["traces", "the traces"], ["id", "the item id"]];
const isTexts = (a) => Array.isArray(a) && a.every((x) => typeof x === "string");

// checkState checks every field of a state st from a link against the
// page's controls (spec.settings: key → the description checkSetting
// takes; spec.examples: the example names). It returns the state the
// page may use, each bad field left out (so its control keeps its
// default), and one sentence per field left out.
export function checkState(st, spec) {
  const out = { v: st.v };
  const problems = [];
  const bad = (msg) => problems.push(msg);
  if (st.example !== undefined) {
    if (spec.examples.includes(st.example)) out.example = st.example;
    else bad(`the example ${show(st.example)} is not one of ${spec.examples.join(", ")}`);
  }
  for (const [k, what] of TEXTS) {
    if (st[k] === undefined) continue;
    if (typeof st[k] === "string") out[k] = st[k];
    else bad(`${what} is not text`);
  }
  if (st.responses !== undefined) {
    if (!isTexts(st.responses)) bad("the responses are not a list of texts");
    else if (st.responses.length > MAX_RESPONSES) bad(`the link has ${st.responses.length} responses, over the ${MAX_RESPONSES} the page shows`);
    else out.responses = st.responses;
  }
  if (st.exampleTags !== undefined) {
    if (isTexts(st.exampleTags)) out.exampleTags = st.exampleTags;
    else bad("the example tags are not a list of texts");
  }
  const n = out.responses && out.responses.length ? out.responses.length : 1;
  if (st.selected !== undefined) {
    if (Number.isInteger(st.selected) && st.selected >= 0 && st.selected < n) out.selected = st.selected;
    else bad(`the selected response ${show(st.selected)} is out of range 0…${n - 1}`);
  }
  if (st.settings !== undefined) {
    if (st.settings === null || typeof st.settings !== "object" || Array.isArray(st.settings)) {
      bad("the settings are not a list of named values");
    } else {
      out.settings = {};
      for (const [k, f] of Object.entries(spec.settings)) {
        if (st.settings[k] === undefined) continue;
        const why = checkSetting(f, st.settings[k]);
        if (why) bad(why);
        else out.settings[k] = st.settings[k];
      }
    }
  }
  return { state: out, problems };
}
