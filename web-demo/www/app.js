// The simplehttp explorer: the page around simplehttp-core's WebAssembly build.
// No HTTP rule lives here: every step shown comes from the core (parseRequest).
import init, { parseRequest, coreVersion } from "./pkg/simplehttp_web_demo.js";

// In the editor, these two marks stand for a bare CR and a bare LF byte. Every other line
// break becomes CR LF (or LF, when the CR LF box is unticked): a <textarea> turns CR LF
// into LF, so the page keeps the bytes itself instead of trusting the field's value.
const CR_MARK = "\u240D"; // ␍
const LF_MARK = "\u240A"; // ␊

const PRESETS = [
  {
    id: "get",
    name: "GET of a file",
    text: "GET /hello.txt HTTP/1.1\nHost: example.com\nUser-Agent: explorer/1\nAccept: */*\n\n",
  },
  { id: "head", name: "HEAD", text: "HEAD /hello.txt HTTP/1.1\nHost: example.com\n\n" },
  {
    id: "conditional",
    name: "conditional GET",
    text: 'GET /hello.txt HTTP/1.1\nHost: example.com\nIf-None-Match: "5-1700000000"\n\n',
  },
  { id: "range", name: "range request", text: "GET /hello.txt HTTP/1.1\nHost: example.com\nRange: bytes=0-3\n\n" },
  {
    id: "put",
    name: "PUT with Content-Length",
    text: "PUT /notes.txt HTTP/1.1\nHost: example.com\nContent-Length: 11\n\nhello world",
  },
  {
    id: "chunked",
    name: "chunked PUT, extensions and trailers",
    text:
      "PUT /log.txt HTTP/1.1\nHost: example.com\nTransfer-Encoding: chunked\nTrailer: X-Checksum\n\n" +
      "5;note=first\nhello\n6\n world\n0\nX-Checksum: 42\n\n",
  },
  {
    id: "smuggle",
    name: "smuggling attempt (Content-Length + Transfer-Encoding)",
    text:
      "POST /upload HTTP/1.1\nHost: example.com\nContent-Length: 6\nTransfer-Encoding: chunked\n\n0\n\nX",
  },
  { id: "malformed", name: "malformed request line", text: "GET /hello.txt  HTTP/1.1\nHost: example.com\n\n" },
  { id: "bare-lf", name: "bare LF line ending", text: `GET / HTTP/1.1${LF_MARK}Host: example.com\n\n` },
  {
    id: "pipelined",
    name: "three pipelined requests",
    text:
      "GET /a.txt HTTP/1.1\nHost: example.com\n\nGET /b.txt HTTP/1.1\nHost: example.com\n\n" +
      "GET /c.txt HTTP/1.1\nHost: example.com\nConnection: close\n\n",
  },
];

const $ = (id) => document.getElementById(id);
const ui = {
  preset: $("preset"),
  crlf: $("crlf"),
  segment: $("segment"),
  eof: $("eof"),
  editor: $("editor"),
  bytes: $("bytes"),
  bytecount: $("bytecount"),
  steplist: $("steplist"),
  detail: $("detail"),
  position: $("position"),
  version: $("version"),
};

const state = { bytes: new Uint8Array(), steps: [], current: 0 };

/** The bytes the editor's text stands for. */
function encode(text, crlf) {
  const out = [];
  const enc = new TextEncoder();
  for (const part of text.split(/(\n|\u240D|\u240A)/)) {
    if (part === "\n") out.push(...(crlf ? [13, 10] : [10]));
    else if (part === CR_MARK) out.push(13);
    else if (part === LF_MARK) out.push(10);
    else if (part) out.push(...enc.encode(part));
  }
  return new Uint8Array(out);
}

function rfcLink(ref) {
  const m = /RFC (\d+) §([\d.]+)/.exec(ref || "");
  if (!m) return document.createTextNode(ref || "");
  const a = document.createElement("a");
  a.href = `https://www.rfc-editor.org/rfc/rfc${m[1]}#section-${m[2]}`;
  a.textContent = ref;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

const total = () => state.bytes.length;

function label(s) {
  switch (s.kind) {
    case "need-more":
      return s.inputDone
        ? "input ends here: the message is incomplete"
        : `waiting for more bytes (${s.received} of ${total()} arrived)`;
    case "head":
      return `head: ${s.method} ${s.target} ${s.version}, ${s.fields.length} field${s.fields.length === 1 ? "" : "s"}`;
    case "chunk-header":
      return s.size === 0 ? "last chunk (size 0)" : `chunk header: ${s.size} bytes follow`;
    case "data":
      return `body: ${s.len} byte${s.len === 1 ? "" : "s"}`;
    case "trailers":
      return `trailers: ${s.fields.map((f) => f.name).join(", ")}`;
    case "end":
      return `end of request ${s.message + 1}`;
    case "closed":
      return "the peer closed between requests";
    case "error":
      return `error → ${s.status}: ${s.error}`;
    default:
      return s.kind;
  }
}

// CR, LF and TAB are shown as small labels (many fonts lack the control-picture glyphs).
function showByte(b) {
  if (b === 13) return ["CR", "ctl"];
  if (b === 10) return ["LF\n", "ctl"];
  if (b === 9) return ["HT", "ctl"];
  if (b >= 0x20 && b < 0x7f) return [String.fromCharCode(b), ""];
  return ["\u00B7", "bin"];
}

function within(i, r) {
  return r && i >= r[0] && i < r[1];
}

/** Classes of byte `i` for the selected step `s`. */
function byteClasses(i, s) {
  const c = [];
  if (i >= s.received) c.push("pending");
  else if (i < s.start) c.push("done");
  if (i >= s.start && i < s.end) c.push("hl");
  if (s.kind === "head") {
    if (within(i, s.requestLine)) c.push("reqline");
    for (const f of s.fields) {
      if (within(i, f.nameAt)) c.push("fname");
      else if (within(i, f.valueAt)) c.push("fval");
    }
  } else if (s.kind === "trailers") {
    for (const f of s.fields) {
      if (within(i, f.nameAt)) c.push("fname");
      else if (within(i, f.valueAt)) c.push("fval");
    }
  } else if (s.kind === "data" && within(i, s.at)) c.push("data");
  else if (s.kind === "chunk-header" && within(i, s.extensions)) c.push("ext");
  else if (s.kind === "error" && i === s.at) c.push("err");
  return c;
}

function renderBytes() {
  const s = state.steps[state.current];
  const frag = document.createDocumentFragment();
  const shown = Math.min(total(), 65536);
  for (let i = 0; i < shown; i++) {
    const b = state.bytes[i];
    const [text, kind] = showByte(b);
    const span = document.createElement("span");
    span.textContent = text;
    span.dataset.i = i;
    const cls = s ? byteClasses(i, s) : [];
    if (kind) cls.push(kind);
    if (cls.length) span.className = cls.join(" ");
    if (kind) span.title = `byte ${i}: 0x${b.toString(16).padStart(2, "0")}`;
    frag.append(span);
  }
  if (s && s.kind === "error" && s.at === total()) {
    frag.append(el("span", { className: "err eof", textContent: "⌁", title: "the end of the input" }));
  }
  ui.bytes.replaceChildren(frag);
  ui.bytecount.textContent = `(${total()} bytes)`;
}

function fieldTable(fields) {
  const rows = fields.map((f) =>
    el("tr", {}, el("th", { scope: "row", textContent: f.name }), el("td", { textContent: f.value }),
      el("td", { className: "muted", textContent: `${f.line[0]}–${f.line[1]}` })),
  );
  return el("table", { className: "fields" },
    el("thead", {}, el("tr", {}, el("th", { textContent: "name" }), el("th", { textContent: "value" }),
      el("th", { textContent: "bytes" }))),
    el("tbody", {}, ...rows));
}

function renderDetail() {
  const s = state.steps[state.current];
  const d = ui.detail;
  d.replaceChildren();
  if (!s) return;
  d.append(el("h3", { textContent: label(s) }));
  d.append(el("p", { className: "muted", textContent:
    s.end > s.start ? `consumed bytes ${s.start}–${s.end} (${s.end - s.start})` : "consumed no bytes" }));
  if (s.kind === "head") {
    d.append(el("dl", {},
      el("dt", { textContent: "method" }), el("dd", { className: "v-method", textContent: s.method }),
      el("dt", { textContent: "target" }), el("dd", { className: "v-target", textContent: `${s.target} (${s.targetForm} form)` }),
      el("dt", { textContent: "version" }), el("dd", { textContent: s.version }),
      el("dt", { textContent: "body" }),
      el("dd", {}, `${s.framing}${s.length !== null ? ` (${s.length} bytes)` : ""}: ${s.framingWhy} — `, rfcLink(s.framingRfc)),
      el("dt", { textContent: "connection" }),
      el("dd", { textContent: s.keepAlive ? "may stay open" : "closes after the response" }),
    ));
    if (s.expectsContinue) d.append(el("p", { textContent: "The client waits for 100 Continue before the body." }));
    if (s.fields.length) d.append(fieldTable(s.fields));
  } else if (s.kind === "trailers") {
    d.append(fieldTable(s.fields));
  } else if (s.kind === "error") {
    const b = s.at !== null && s.at < total() ? state.bytes[s.at] : null;
    const where = s.at === null ? "" : b === null ? ` at the end of the input (byte ${s.at})` :
      ` at byte ${s.at} (0x${b.toString(16).padStart(2, "0")})`;
    d.append(el("p", { className: "error-text", textContent: `The parser refused the request${where}: ${s.error}.` }));
    d.append(el("p", { textContent: `The server answers ${s.status} and closes the connection. (${s.code})` }));
  } else if (s.kind === "data" && s.at) {
    const text = new TextDecoder().decode(state.bytes.subarray(s.at[0], s.at[1]));
    d.append(el("pre", { className: "body-text", textContent: text }));
  }
}

function renderSteps() {
  const items = state.steps.map((s, i) => {
    const b = el("button", { type: "button", textContent: label(s) });
    b.addEventListener("click", () => select(i));
    const li = el("li", { className: `step k-${s.kind}` }, b);
    li.dataset.kind = s.kind;
    if (i === state.current) {
      li.classList.add("current");
      b.setAttribute("aria-current", "step");
    }
    return li;
  });
  ui.steplist.replaceChildren(...items);
  ui.position.textContent = state.steps.length ? `step ${state.current + 1} of ${state.steps.length}` : "";
}

function render() {
  renderSteps();
  renderBytes();
  renderDetail();
}

function select(i) {
  if (!state.steps.length) return;
  state.current = Math.max(0, Math.min(state.steps.length - 1, i));
  render();
  ui.steplist.querySelector(".current")?.scrollIntoView({ block: "nearest" });
}

function run() {
  state.bytes = encode(ui.editor.value, ui.crlf.checked);
  const segment = Math.max(0, parseInt(ui.segment.value, 10) || 0);
  state.steps = parseRequest(state.bytes, segment, ui.eof.checked);
  state.current = 0;
  render();
}

function loadPreset(id) {
  const p = PRESETS.find((x) => x.id === id) || PRESETS[0];
  ui.preset.value = p.id;
  ui.editor.value = p.text;
  run();
}

function insertAtCursor(text) {
  const t = ui.editor;
  const [a, b] = [t.selectionStart, t.selectionEnd];
  t.value = t.value.slice(0, a) + text + t.value.slice(b);
  t.selectionStart = t.selectionEnd = a + text.length;
  t.focus();
  run();
}

async function main() {
  await init();
  ui.version.textContent = `simplehttp-core ${coreVersion()}`;
  for (const p of PRESETS) ui.preset.append(el("option", { value: p.id, textContent: p.name }));
  ui.preset.addEventListener("change", () => loadPreset(ui.preset.value));
  for (const c of [ui.editor, ui.segment]) c.addEventListener("input", run);
  for (const c of [ui.crlf, ui.eof]) c.addEventListener("change", run);
  $("ins-cr").addEventListener("click", () => insertAtCursor(CR_MARK));
  $("ins-lf").addEventListener("click", () => insertAtCursor(LF_MARK));
  $("first").addEventListener("click", () => select(0));
  $("prev").addEventListener("click", () => select(state.current - 1));
  $("next").addEventListener("click", () => select(state.current + 1));
  $("last").addEventListener("click", () => select(state.steps.length - 1));
  ui.bytes.addEventListener("click", (e) => {
    const i = Number(e.target?.dataset?.i);
    if (Number.isNaN(i)) return;
    const found = state.steps.findIndex((s) => s.kind !== "need-more" && i >= s.start && i < s.end);
    if (found >= 0) select(found);
  });
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLInputElement ||
      e.target instanceof HTMLSelectElement) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1 };
    if (e.key in moves) select(state.current + moves[e.key]);
    else if (e.key === "Home") select(0);
    else if (e.key === "End") select(state.steps.length - 1);
    else return;
    e.preventDefault();
  });
  loadPreset(PRESETS[0].id);
  document.documentElement.dataset.ready = "true";
}

main().catch((err) => {
  console.error(err);
  document.body.prepend(el("p", { className: "fatal", textContent: `The explorer failed to start: ${err}` }));
});
