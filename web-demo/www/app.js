// The simplehttp explorer: the page around simplehttp-core's WebAssembly build.
// No HTTP rule lives here: every step and every answer shown comes from the core
// (parseRequest, serveRequests).
import init, { parseRequest, parseResponse, serveRequests, coreVersion, messageLengthRules } from "./pkg/simplehttp_web_demo.js";
import { CR_MARK, LF_MARK, DEFAULT_FILE_TEXTS, PRESETS, RESPONSE_PRESETS } from "./presets.js";
import { findingList, renderExpert } from "./expert.js";
import { methodOf, readButton, renderConversation } from "./timeline.js";
import { byteToText, textToByte } from "./caret.js";
import { renderParsers } from "./parsers.js";
import { renderChecklist } from "./checklist.js";
export { PRESETS, RESPONSE_PRESETS };

const enc = new TextEncoder();
const DEFAULT_FILES = () =>
  DEFAULT_FILE_TEXTS.map((f) => ({ path: f.path, dir: f.dir, data: enc.encode(f.text), modified: f.modified }));

const $ = (id) => document.getElementById(id);
const ui = {
  preset: $("preset"),
  modeRequest: $("mode-request"),
  modeResponse: $("mode-response"),
  method: $("method"),
  methodLabel: $("method-label"),
  inputTitle: $("input-title"),
  crlf: $("crlf"),
  segment: $("segment"),
  eof: $("eof"),
  editor: $("editor"),
  bytes: $("bytes"),
  hexview: $("hexview"),
  viewText: $("view-text"),
  viewHex: $("view-hex"),
  bytecount: $("bytecount"),
  steplist: $("steplist"),
  detail: $("detail"),
  position: $("position"),
  version: $("version"),
  exchanges: $("exchanges"),
  readonly: $("readonly"),
  cutmode: $("cutmode"),
  cuts: $("cuts"),
  cutlist: $("cutlist"),
  files: $("files").querySelector("tbody"),
  changes: $("changes"),
  fileEditor: $("file-editor"),
  filePath: $("file-path"),
  fileData: $("file-data"),
  linkError: $("link-error"),
  linkNote: $("link-note"),
  byteAt: $("byte-at"),
  expert: $("expert"),
  conversation: $("conversation"),
};

const state = {
  bytes: new Uint8Array(), steps: [], current: 0, files: DEFAULT_FILES(), outcome: null, cuts: [], hexColumns: 0,
  // The byte the keyboard is on in the byte views (-1: none yet).
  cursor: -1,
  // The expert info of every step that is a warning: marked on the bytes at every step.
  warnings: [],
  // The bytes drawn, [from, to): a window that follows the selected step.
  window: null,
  // The steps drawn, [from, to), and the height of one in pixels.
  stepWindow: [0, 0], stepRow: 0,
  // The side shown, and what each side held when the user left it.
  mode: "request", kept: {},
  // The address as last written: the state (without the step) and the whole hash.
  link: "", hash: "",
};

// ---------------------------------------------------------------------------------------
// Bytes and text
// ---------------------------------------------------------------------------------------

/** The bytes the editor's text stands for. One pass over the text and one encode, so that a
 * paste of several MiB costs no more than copying it. */
function encode(text, crlf) {
  const nl = crlf ? "\r\n" : "\n";
  return enc.encode(text.replace(/\n|\u240D|\u240A/g, (m) => (m === "\n" ? nl : m === CR_MARK ? "\r" : "\n")));
}

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const b64url = (s) => toBase64(enc.encode(s)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const unb64url = (s) => new TextDecoder().decode(fromBase64(s.replaceAll("-", "+").replaceAll("_", "/")));

/** The text of `bytes` when it is printable UTF-8 (line breaks and tabs allowed), else null. */
function printable(bytes) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? null : text;
}

function hexdump(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const asc = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${i.toString(16).padStart(6, "0")}  ${hex.padEnd(47)}  ${asc}`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------
// Small DOM helpers
// ---------------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** Links for "RFC 9110 §14.2, §15.3.7" or "RFC 9110 §15.5.1, RFC 3986 §3.3". */
function rfcLinks(ref) {
  const frag = document.createDocumentFragment();
  let rfc = null;
  (ref || "").split(/,\s*/).forEach((part, i) => {
    if (i) frag.append(", ");
    const m = /^(?:RFC (\d+) )?§([\d.]+)$/.exec(part.trim());
    if (m && (m[1] || rfc)) {
      rfc = m[1] || rfc;
      frag.append(el("a", {
        href: `https://www.rfc-editor.org/rfc/rfc${rfc}#section-${m[2]}`,
        textContent: part.trim(),
        target: "_blank",
        rel: "noopener",
      }));
    } else {
      const r = /^RFC (\d+)$/.exec(part.trim());
      if (r) frag.append(el("a", { href: `https://www.rfc-editor.org/rfc/rfc${r[1]}`, textContent: part.trim(), target: "_blank", rel: "noopener" }));
      else frag.append(part);
    }
  });
  return frag;
}

// CR, LF and TAB are shown as small labels (many fonts lack the control-picture glyphs).
function showByte(b) {
  if (b === 13) return ["CR", "ctl"];
  if (b === 10) return ["LF\n", "ctl"];
  if (b === 9) return ["HT", "ctl"];
  if (b >= 0x20 && b < 0x7f) return [String.fromCharCode(b), ""];
  return ["\u00B7", "bin"];
}

/** Spans for raw protocol bytes (the response head), CR and LF shown as marks. */
function rawBytes(bytes) {
  const frag = document.createDocumentFragment();
  let run = "";
  const flush = () => {
    if (run) frag.append(run);
    run = "";
  };
  for (const b of bytes) {
    const [text, kind] = showByte(b);
    if (!kind) {
      run += text;
      continue;
    }
    flush();
    frag.append(el("span", { className: kind, textContent: text }));
  }
  flush();
  return frag;
}

const total = () => state.bytes.length;
const responseMode = () => ui.modeResponse.checked;
const presets = () => (responseMode() ? RESPONSE_PRESETS : PRESETS);

// ---------------------------------------------------------------------------------------
// Parse steps
// ---------------------------------------------------------------------------------------

function label(s) {
  switch (s.kind) {
    case "need-more":
      if (s.inputDone) return "input ends here: the message is incomplete";
      if (s.reads > 1) return `waiting for more bytes: ${s.reads} reads (${s.firstReceived} to ${s.received} of ${total()} arrived)`;
      return `waiting for more bytes (${s.received} of ${total()} arrived)`;
    case "head": {
      const n = `${s.fields.length} field${s.fields.length === 1 ? "" : "s"}`;
      if (s.role === "response") return `${s.interim ? "interim head" : "head"}: ${s.version} ${s.status} ${s.reason}, ${n}`;
      return `head: ${s.method} ${s.target} ${s.version}, ${n}`;
    }
    case "chunk-header":
      return s.size === 0 ? "last chunk (size 0)" : `chunk header: ${s.size} bytes follow`;
    case "data":
      return `body: ${s.len} byte${s.len === 1 ? "" : "s"}`;
    case "trailers":
      return `trailers: ${s.fields.map((f) => f.name).join(", ")}`;
    case "end":
      return `end of ${responseMode() ? "response" : "request"} ${s.message + 1}`;
    case "closed":
      return "the peer closed between requests";
    case "error":
      if (responseMode()) return `error: ${s.error}`;
      return answered() ? `error → ${answered().status}: ${s.error}` : `error → no answer: ${s.error}`;
    case "part":
      return partLabel(s);
    default:
      return s.kind;
  }
}

// A head is one event of the core; the explorer also walks through what it holds: the start
// line, each field line, and the framing decision taken from them.

/** The parts of a head step, each a step of its own that points back at the head. */
function headParts(h) {
  const parts = [];
  const line = h.requestLine || h.statusLine;
  parts.push({ kind: "part", part: "line", parent: h, start: line[0], end: line[1] });
  for (const f of h.fields) parts.push({ kind: "part", part: "field", field: f, parent: h, start: f.line[0], end: f.line[1] });
  // The blank line that ends the head is where the framing is decided.
  parts.push({ kind: "part", part: "framing", parent: h, start: Math.max(h.start, h.end - 2), end: h.end });
  for (const p of parts) {
    p.received = h.received;
    p.message = h.message;
  }
  return parts;
}

/** The exchange answering the refused request, when the server's engine answered it. */
const answered = () => state.outcome?.exchanges.find((x) => x.error) ?? null;

// Runs of more waits than this in a row are shown as one step.
const WAIT_RUN = 2;

/** The core's steps, with the parts of each head after it, and each long run of waits as one. */
function expand(steps) {
  const out = [];
  let run = [];
  const flush = () => {
    if (run.length > WAIT_RUN) {
      const last = run[run.length - 1];
      out.push({ ...last, reads: run.length, firstReceived: run[0].received });
    } else out.push(...run);
    run = [];
  };
  for (const s of steps) {
    if (s.kind === "need-more" && !s.inputDone) {
      run.push(s);
      continue;
    }
    flush();
    out.push(s);
    if (s.kind === "head") out.push(...headParts(s));
  }
  flush();
  return out;
}

function partLabel(p) {
  const h = p.parent;
  switch (p.part) {
    case "line":
      return h.role === "response" ? `status line: ${h.version} ${h.status} ${h.reason}` : `request line: ${h.method} ${h.target} ${h.version}`;
    case "field":
      return `field: ${p.field.name}: ${p.field.value}`;
    default:
      return h.interim ? "interim: the final response follows" : `body framing: ${h.framing}${h.length !== null ? ` (${h.length} bytes)` : ""}`;
  }
}

// Where a few fields are defined, to link from their step (explanations only: the rules
// themselves are the core's).
const FIELD_RFC = {
  "host": "RFC 9110 §7.2",
  "content-length": "RFC 9110 §8.6",
  "transfer-encoding": "RFC 9112 §6.1",
  "connection": "RFC 9110 §7.6.1",
  "expect": "RFC 9110 §10.1.1",
  "range": "RFC 9110 §14.2",
  "if-none-match": "RFC 9110 §13.1.2",
  "if-modified-since": "RFC 9110 §13.1.3",
  "if-match": "RFC 9110 §13.1.1",
  "if-range": "RFC 9110 §13.1.5",
  "trailer": "RFC 9110 §6.6.2",
  "content-type": "RFC 9110 §8.3",
  "etag": "RFC 9110 §8.8.3",
  "location": "RFC 9110 §10.2.2",
};

// One line on what each of the other steps means.
const STEP_NOTES = {
  "need-more": ["Short input is not an error: the parser consumed nothing and waits for the next read.", "RFC 9112 §2.2"],
  "data": ["Body bytes, handed over as they arrive (de-chunked for a chunked body).", "RFC 9112 §6"],
  "trailers": ["Fields sent after the last chunk: the body's trailer section.", "RFC 9112 §7.1.2"],
  "end": ["The message is complete. On a persistent connection the next one may follow.", "RFC 9112 §9.3"],
  "closed": ["The peer closed the connection between messages: a clean end.", "RFC 9112 §9.6"],
};

function partDetail(d, p) {
  const h = p.parent;
  if (p.part === "line" && h.role === "response") {
    d.append(el("p", {}, el("code", { textContent: "status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF" }), " — ", rfcLinks("RFC 9112 §4")));
    d.append(el("dl", {},
      el("dt", { textContent: "version" }), el("dd", { textContent: h.version }),
      el("dt", { textContent: "status" }), el("dd", { textContent: `${h.status}${h.interim ? " (interim)" : ""}` }),
      el("dt", { textContent: "reason" }), el("dd", { textContent: h.reason || "(none)" })));
  } else if (p.part === "line") {
    d.append(el("p", {}, el("code", { textContent: "request-line = method SP request-target SP HTTP-version CRLF" }), " — ", rfcLinks("RFC 9112 §3")));
    d.append(el("dl", {},
      el("dt", { textContent: "method" }), el("dd", { textContent: h.method }),
      el("dt", { textContent: "target" }), el("dd", { textContent: `${h.target} (${h.targetForm} form, `, }, rfcLinks("RFC 9112 §3.2"), ")"),
      el("dt", { textContent: "version" }), el("dd", { textContent: h.version })));
  } else if (p.part === "field") {
    const ref = FIELD_RFC[p.field.name.toLowerCase()];
    d.append(el("p", {}, el("code", { textContent: 'field-line = field-name ":" OWS field-value OWS' }), " — ", rfcLinks("RFC 9112 §5")));
    d.append(el("dl", {},
      el("dt", { textContent: "name" }), el("dd", { textContent: p.field.name }),
      el("dt", { textContent: "value" }), el("dd", { textContent: p.field.value }),
      ...(ref ? [el("dt", { textContent: "defined in" }), el("dd", {}, rfcLinks(ref))] : [])));
  } else if (h.interim) {
    d.append(el("p", {}, "A 1xx response is interim: it has no body, and the final response follows on the same connection — ", rfcLinks("RFC 9110 §15.2")));
  } else {
    d.append(el("p", {}, `The blank line ends the head. Body: ${h.framing}${h.length !== null ? ` (${h.length} bytes)` : ""}, because ${h.framingWhy} — `, rfcLinks(h.framingRfc)));
    d.append(el("p", { textContent: `The connection ${h.keepAlive ? "may stay open" : "closes"} after this ${h.role === "response" ? "response" : "exchange"}.` }));
  }
}

function within(i, r) {
  return r && i >= r[0] && i < r[1];
}

/** Classes of byte `i` for the selected step `s`. */
function byteClasses(i, s) {
  if (s.kind === "part") {
    // The head's colours, within the part only.
    const c = byteClasses(i, { ...s.parent, start: s.start, end: s.end });
    return within(i, [s.start, s.end]) ? c : c.filter((k) => k === "done" || k === "pending");
  }
  const c = [];
  if (i >= s.received) c.push("pending");
  else if (i < s.start) c.push("done");
  if (i >= s.start && i < s.end) c.push("hl");
  if (s.kind === "head" || s.kind === "trailers") {
    if (s.kind === "head" && within(i, s.requestLine || s.statusLine)) c.push("reqline");
    for (const f of s.fields) {
      if (within(i, f.nameAt)) c.push("fname");
      else if (within(i, f.valueAt)) c.push("fval");
    }
  } else if (s.kind === "data" && within(i, s.at)) c.push("data");
  else if (s.kind === "chunk-header" && within(i, s.extensions)) c.push("ext");
  else if (s.kind === "error" && i === s.at) c.push("err");
  return c;
}

// The bytes are shown one of two ways: as text, with CR, LF and HT as marks (#bytes), or as
// a hex dump (#hexview). Both mark the same bytes for the selected step, and a click on a
// byte does the same in both.

// Bytes drawn at once, in either view: a window that follows the selected step, so that a
// step costs the same whatever the size of the input. Buttons above and below it move it.
const WINDOW = 2048;
const windowSize = () => WINDOW;
const hex2 = (b) => b.toString(16).padStart(2, "0");
const hexView = () => ui.viewHex.checked;

/** The classes of byte `i` in either view: the step's colours and a cut before it. */
function markOf(i, s, cutSet) {
  const cls = s ? byteClasses(i, s) : [];
  if (cutSet.has(i)) cls.push("cut");
  // Expert info: warnings are marked at every step, notes at their own step.
  if (state.warnings.some((l) => within(i, l.at))) cls.push("lint-warning");
  else if (s && lintsOf(s).some((l) => l.level === "note" && within(i, l.at))) cls.push("lint-note");
  return cls;
}

/** The core's expert info about the bytes of step `s` (a head's part: those within it). */
function lintsOf(s) {
  if (s.kind === "part") return (s.parent.lints ?? []).filter((l) => l.at[0] < s.end && l.at[1] > s.start);
  return s.lints ?? [];
}

/** The byte a step is about: where it starts, where an error was found, or the last that arrived. */
function focusOf(s) {
  if (!s) return 0;
  if (s.kind === "error" && s.at !== null) return s.at;
  if (s.kind === "need-more") return Math.max(0, s.received - 1);
  return s.start;
}

/** The window of bytes to draw for step `s`: the one drawn, while it holds the step's byte. */
function byteWindow(s) {
  const n = total();
  const size = windowSize();
  if (n <= size) return [0, n];
  const f = Math.min(focusOf(s), n);
  const w = state.window;
  if (w && w[1] - w[0] === size && f >= w[0] && (f < w[1] || (f === n && w[1] === n))) return w;
  let from = Math.max(0, Math.floor((f - 256) / 16) * 16);
  const to = Math.min(n, from + size);
  if (to - from < size) from = Math.max(0, Math.floor((to - size) / 16) * 16);
  return [from, to];
}

/** A button that moves the window of drawn bytes by `by`. */
function pager(from, to, by) {
  const n = by < 0 ? from : total() - to;
  const b = el("button", { type: "button", className: "pager mark-btn",
    textContent: by < 0 ? `▲ ${n} earlier byte${n === 1 ? "" : "s"}` : `▼ ${n} later byte${n === 1 ? "" : "s"}` });
  b.addEventListener("click", () => {
    const a = Math.max(0, Math.min(Math.max(0, total() - windowSize()), from + by));
    state.window = [a, Math.min(total(), a + windowSize())];
    renderBytes(false);
    (hexView() ? ui.hexview : ui.bytes).scrollTop = by < 0 ? (hexView() ? ui.hexview : ui.bytes).scrollHeight : 0;
  });
  return b;
}

/** Draws the bytes of the window for the selected step. Bytes that look alike (the same
 * marks) share one element: a step costs a few elements, whatever the size of the input
 * and of the step. */
function renderBytes(follow = true) {
  const s = state.steps[state.current];
  if (follow) state.window = byteWindow(s);
  const [from, to] = state.window ?? byteWindow(s);
  const cutSet = new Set(state.cuts);
  const eof = !!s && s.kind === "error" && s.at === total();
  ui.bytes.hidden = hexView();
  ui.hexview.hidden = !hexView();
  // Only the view on screen is drawn: the other is emptied.
  if (hexView()) {
    if (!state.hexColumns) state.hexColumns = hexColumns();
    ui.bytes.replaceChildren();
    renderHex(s, from, to, cutSet, eof);
  } else {
    ui.hexview.replaceChildren();
    renderText(s, from, to, cutSet, eof);
  }
  if (follow) reveal(hexView() ? ui.hexview : ui.bytes);
  ui.bytecount.textContent = `(${total()} bytes)`;
  ui.cuts.hidden = state.cuts.length === 0;
  ui.cutlist.textContent = `Reads end before bytes ${state.cuts.join(", ")} and at the end.`;
  ui.segment.disabled = state.cuts.length > 0;
}

/** The class attribute of byte `i` in the text view. */
function textClass(i, s, cutSet) {
  const cls = markOf(i, s, cutSet);
  const kind = showByte(state.bytes[i])[1];
  if (kind) cls.push(kind);
  return cls.join(" ");
}

/** The marks of byte `i` in the hex view, the same in its hex pair and its ASCII character. */
function hexClass(i, s, cutSet) {
  const b = state.bytes[i];
  const cls = markOf(i, s, cutSet);
  if (b === 9 || b === 10 || b === 13) cls.push("ctl");
  else if (b < 0x20 || b >= 0x7f) cls.push("bin");
  return cls.join(" ");
}

/**
 * Groups bytes into runs for one column of a view: `add(i, cls, text, sep, alone)` adds byte
 * `i` with its classes and text (after `sep` when it continues a run, else `sep` goes
 * before it as plain text); `alone` keeps the byte in an element of its own. `end(parent)`
 * appends what is left. Each run is a span with `data-i` (its first byte), `data-n` (how
 * many bytes) and, in the hex column, `starts` (where each byte's text starts).
 */
function runs(base, parent) {
  let run = null;
  const flush = () => {
    if (!run) return;
    const span = document.createElement("span");
    span.textContent = run.text;
    if (run.cls) span.className = run.cls;
    span.dataset.i = run.start;
    span.dataset.n = run.n;
    if (run.starts) span.starts = run.starts;
    if (run.title) span.title = run.title;
    parent.append(span);
    run = null;
  };
  return {
    add(i, cls, text, sep = "", alone = false, title = "") {
      const c = base ? `${base} ${cls}`.trim() : cls;
      if (run && !alone && !run.alone && run.cls === c && run.start + run.n === i) {
        if (run.starts) run.starts.push(run.text.length + sep.length);
        run.text += sep + text;
        run.n++;
        run.title = "";
        return;
      }
      flush();
      if (sep) parent.append(sep);
      run = { start: i, n: 1, cls: c, text, alone, title, starts: base === "hx" ? [0] : null };
    },
    end: flush,
  };
}

function renderText(s, from, to, cutSet, eof) {
  const frag = document.createDocumentFragment();
  if (from > 0) frag.append(pager(from, to, -windowSize()), "\n");
  const r = runs("", frag);
  for (let i = from; i < to; i++) {
    const b = state.bytes[i];
    const [text, kind] = showByte(b);
    // CR, LF and HT are marks of their own, with their value in a tip.
    const alone = kind === "ctl" || i === state.cursor;
    r.add(i, textClass(i, s, cutSet) + (i === state.cursor ? " cursor" : ""), text, "", alone, byteTip(i, b));
  }
  r.end();
  if (to < total()) frag.append("\n", pager(from, to, windowSize()));
  if (eof && to === total()) frag.append(el("span", { className: "err eof", textContent: "EOF", title: "the end of the input" }));
  ui.bytes.replaceChildren(frag);
}

// Names of the bytes a reader of HTTP most often needs to tell apart, for the hex view's tips.
const BYTE_NAMES = { 0: "NUL", 9: "HT (tab)", 10: "LF", 13: "CR", 32: "SP (space)", 127: "DEL" };

function byteTip(i, b) {
  const name = BYTE_NAMES[b] ?? (b > 32 && b < 127 ? `'${String.fromCharCode(b)}'` : b > 127 ? "not ASCII" : "control");
  return `byte ${i} (0x${i.toString(16)}): 0x${hex2(b)} ${name}`;
}

// A row of the dump is plain text, so that it copies as a classic dump:
//   0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0a 48  GET / HTTP/1.1.H
// with a span for each byte's hex pair and its ASCII character (non-printable: ".").

/** How many characters the hex pairs of a full row of `cols` bytes take. */
const hexWidth = (cols) => cols * 3 - 1 + (cols > 8 ? 1 : 0);

/** 16 bytes a row when a row of 16 fits the view's width, else 8 (a narrow window). */
function hexColumns() {
  const probe = el("div", { className: "hexrow probe", textContent: "0".repeat(4 + 2 + hexWidth(16) + 2 + 16 + 1) });
  ui.hexview.append(probe);
  const cs = getComputedStyle(ui.hexview);
  const room = ui.hexview.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const fits = probe.getBoundingClientRect().width <= room;
  probe.remove();
  return fits ? 16 : 8;
}

function renderHex(s, from, shown, cutSet, eof) {
  const cols = state.hexColumns || hexColumns();
  state.hexColumns = cols;
  ui.hexview.dataset.cols = cols;
  const frag = document.createDocumentFragment();
  // Column labels: each byte's offset within its row.
  const labels = Array.from({ length: cols }, (_, c) => hex2(c) + (c === 7 && cols > 8 ? " " : "")).join(" ");
  const head = el("div", { className: "hexrow colhead", textContent: `      ${labels}  ` }, el("span", { className: "text", textContent: "ASCII" }));
  head.setAttribute("aria-hidden", "true");
  frag.append(head);
  if (from > 0) frag.append(el("div", { className: "more" }, pager(from, shown, -windowSize())));
  // A parse error at the end of the input: the parser wanted a byte that never came.
  const atEnd = eof && shown === total();
  for (let start = from; start < shown || (atEnd && start === shown); start += cols) {
    const row = el("div", { className: "hexrow" }, el("span", { className: "off", textContent: start.toString(16).padStart(4, "0") }), "  ");
    row.dataset.offset = start;
    const text = el("span", { className: "text" });
    const hx = runs("hx", row);
    const ch = runs("ch", text);
    let width = 0;
    for (let i = start; i < Math.min(start + cols, shown); i++) {
      const b = state.bytes[i];
      const cls = hexClass(i, s, cutSet) + (i === state.cursor ? " cursor" : "");
      const alone = i === state.cursor;
      const sep = i > start ? (i - start === 8 ? "  " : " ") : "";
      const tip = byteTip(i, b);
      hx.add(i, cls, hex2(b), sep, alone, tip);
      ch.add(i, cls, b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".", "", alone, tip);
      width = hexWidth(i - start + 1);
    }
    hx.end();
    ch.end();
    if (atEnd && shown - start < cols) {
      const n = shown - start;
      if (n) row.append(n === 8 ? "  " : " ");
      row.append(el("span", { className: "hx err eof", textContent: "EOF", title: "the end of the input" }));
      width = (n ? hexWidth(n) + (n === 8 ? 2 : 1) : 0) + 3;
    }
    row.append(" ".repeat(Math.max(0, hexWidth(cols) - width) + 2), text);
    frag.append(row);
  }
  if (shown < total()) frag.append(el("div", { className: "more" }, pager(from, shown, windowSize())));
  ui.hexview.replaceChildren(frag);
}

/** The byte under a point of a run (an element of either view), or null. */
function byteAt(span, x, y) {
  if (!span?.dataset?.i) return null;
  const first = Number(span.dataset.i);
  const n = Number(span.dataset.n || 1);
  if (n === 1) return first;
  const node = span.firstChild;
  const pos = document.caretPositionFromPoint?.(x, y);
  let c = pos && pos.offsetNode === node ? pos.offset : 0;
  // A caret sits between characters: take the character whose box holds the point.
  const r = document.createRange();
  for (const k of [c - 1, c, c + 1]) {
    if (k < 0 || k >= node.length) continue;
    r.setStart(node, k);
    r.setEnd(node, k + 1);
    if ([...r.getClientRects()].some((b) => x >= b.left && x < b.right && y >= b.top && y < b.bottom)) {
      c = k;
      break;
    }
  }
  c = Math.min(c, node.length - 1);
  if (!span.starts) return first + c;
  let k = 0;
  while (k + 1 < span.starts.length && span.starts[k + 1] <= c) k++;
  return first + k;
}

/** Scrolls `box` to the bytes of the selected step when none of them is in sight. */
function reveal(box) {
  const marked = box.querySelectorAll(".hl, .err");
  if (!marked.length) return;
  const first = marked[0];
  const last = marked[marked.length - 1];
  const top = box.scrollTop;
  const bottom = top + box.clientHeight;
  const from = first.offsetTop;
  const to = last.offsetTop + last.offsetHeight;
  if (to > top && from < bottom) return;
  box.scrollTop = Math.max(0, from - box.clientHeight / 4);
}

/** A click on byte `i`, in either view: a cut before it, or the step that holds it. */
function clickByte(i) {
  if (ui.cutmode.checked) {
    if (i === 0) return;
    state.cuts = state.cuts.includes(i) ? state.cuts.filter((c) => c !== i) : [...state.cuts, i].sort((a, b) => a - b);
    run();
    return;
  }
  state.cursor = i;
  const found = stepOfByte(i);
  if (found >= 0) select(found);
  else renderBytes(false);
  sayCursor();
}

/** The narrowest step holding byte `i` (a field line rather than the whole head), or -1. */
function stepOfByte(i) {
  let found = -1;
  state.steps.forEach((s, k) => {
    if (s.kind === "need-more" || i < s.start || i >= s.end) return;
    if (found < 0 || s.end - s.start < state.steps[found].end - state.steps[found].start) found = k;
  });
  return found;
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
  d.append(el("p", { className: "muted", textContent: s.kind === "part"
    ? `bytes ${s.start}–${s.end} of the head (the core reads a head in one step)`
    : s.end > s.start ? `consumed bytes ${s.start}–${s.end} (${s.end - s.start})` : "consumed no bytes" }));
  if (s.kind === "part") {
    partDetail(d, s);
  } else if (s.kind === "head" && s.role === "response") {
    d.append(el("dl", {},
      el("dt", { textContent: "status" }), el("dd", { className: "v-status", textContent: `${s.status} ${s.reason}` }),
      el("dt", { textContent: "version" }), el("dd", { textContent: s.version }),
      el("dt", { textContent: "body" }),
      el("dd", {}, s.interim ? "none: an interim (1xx) response; the final response follows — " :
        `${s.framing}${s.length !== null ? ` (${s.length} bytes)` : ""}: ${s.framingWhy} — `,
      rfcLinks(s.interim ? "RFC 9110 §15.2" : s.framingRfc)),
      el("dt", { textContent: "connection" }),
      el("dd", { textContent: s.keepAlive ? "may stay open" : "closes after this response" }),
    ));
    if (s.fields.length) d.append(fieldTable(s.fields));
  } else if (s.kind === "head") {
    d.append(el("dl", {},
      el("dt", { textContent: "method" }), el("dd", { className: "v-method", textContent: s.method }),
      el("dt", { textContent: "target" }), el("dd", { className: "v-target", textContent: `${s.target} (${s.targetForm} form)` }),
      el("dt", { textContent: "version" }), el("dd", { textContent: s.version }),
      el("dt", { textContent: "body" }),
      el("dd", {}, `${s.framing}${s.length !== null ? ` (${s.length} bytes)` : ""}: ${s.framingWhy} — `, rfcLinks(s.framingRfc)),
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
    if (responseMode()) {
      d.append(el("p", { className: "error-text", textContent: `The client refused the response${where}: ${s.error}.` }));
      d.append(el("p", { textContent: `The client reports an error and closes the connection. (${s.code})` }));
    } else {
      d.append(el("p", { className: "error-text", textContent: `The parser refused the request${where}: ${s.error}.` }));
      const x = answered();
      d.append(el("p", { textContent: x ? `The server answers ${x.status} and closes the connection. (${s.code})`
        : `The server closes the connection without an answer. (${s.code})` }));
    }
    if (s.rfc) d.append(el("p", { className: "rule-ref" }, "The rule: ", rfcLinks(s.rfc)));
  } else if (s.kind === "chunk-header") {
    const ext = s.extensions ? new TextDecoder().decode(state.bytes.subarray(s.extensions[0], s.extensions[1])) : "";
    d.append(el("dl", {},
      el("dt", { textContent: "chunk size" }), el("dd", { textContent: `${s.size} bytes${s.size === 0 ? " (the last chunk: trailers may follow)" : ""}` }),
      el("dt", { textContent: "extensions" }), el("dd", { textContent: ext || "none" }),
      el("dt", { textContent: "rule" }), el("dd", {}, "chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF — ", rfcLinks("RFC 9112 §7.1")),
    ));
  }
  if (STEP_NOTES[s.kind]) d.append(el("p", { className: "step-note" }, `${STEP_NOTES[s.kind][0]} — `, rfcLinks(STEP_NOTES[s.kind][1])));
  if (s.kind === "data" && s.at) {
    const shown = Math.min(s.at[1], s.at[0] + WINDOW);
    const text = new TextDecoder().decode(state.bytes.subarray(s.at[0], shown));
    d.append(el("pre", { className: "body-text", textContent: text }));
    if (shown < s.at[1]) d.append(el("p", { className: "muted", textContent: `… and ${s.at[1] - shown} more bytes` }));
  }
}

// The step list draws the steps in sight and a few either side; one step is one row of a
// fixed height, so the list's padding stands for the rest.
const STEP_OVERSCAN = 100;

function stepItem(s, i) {
  const b = el("button", { type: "button", textContent: label(s), tabIndex: -1 });
  b.title = b.textContent;
  b.addEventListener("click", () => {
    select(i);
    ui.steplist.focus({ preventScroll: true });
  });
  const li = el("li", { className: `step k-${s.kind}`, value: i + 1 }, b);
  li.id = `step-${i}`;
  li.dataset.kind = s.kind;
  li.setAttribute("role", "option");
  li.setAttribute("aria-selected", String(i === state.current));
  if (i === state.current) {
    li.classList.add("current");
    b.setAttribute("aria-current", "step");
  }
  return li;
}

/** Draws the steps in sight; with `follow`, first scrolls the list to the selected step. */
function renderSteps(follow = false) {
  const list = ui.steplist;
  const n = state.steps.length;
  if (!state.stepRow && n) {
    list.replaceChildren(stepItem(state.steps[0], 0));
    state.stepRow = list.firstChild.getBoundingClientRect().height || 24;
  }
  const row = state.stepRow || 24;
  const view = list.clientHeight || 256;
  let top = list.scrollTop;
  if (follow) {
    const at = state.current * row;
    if (at < top) top = at;
    else if (at + row > top + view) top = at + row - view;
  }
  const from = Math.max(0, Math.floor(top / row) - STEP_OVERSCAN);
  const to = Math.min(n, Math.ceil((top + view) / row) + STEP_OVERSCAN);
  if (state.stepsDrawn === state.steps && state.stepWindow[0] === from && state.stepWindow[1] === to) {
    // The same rows: only the selection moves.
    for (const li of list.querySelectorAll("li.current")) {
      li.classList.remove("current");
      li.setAttribute("aria-selected", "false");
      li.firstChild.removeAttribute("aria-current");
    }
    const li = document.getElementById(`step-${state.current}`);
    if (li) {
      li.classList.add("current");
      li.setAttribute("aria-selected", "true");
      li.firstChild.setAttribute("aria-current", "step");
    }
    if (list.scrollTop !== top) list.scrollTop = top;
    if (n) list.setAttribute("aria-activedescendant", `step-${state.current}`);
    ui.position.textContent = n ? `step ${state.current + 1} of ${n}` : "";
    return;
  }
  const items = [];
  for (let i = from; i < to; i++) items.push(stepItem(state.steps[i], i));
  // Margins stand for the steps not drawn (padding would grow the list past its max-height).
  if (items.length) {
    items[0].style.marginTop = `${from * row}px`;
    items[items.length - 1].style.marginBottom = `${(n - to) * row}px`;
  }
  // Focus on a step that is drawn again stays in the list, never falls to the page.
  const inside = list.contains(document.activeElement);
  list.replaceChildren(...items);
  if (inside && !list.contains(document.activeElement)) list.focus({ preventScroll: true });
  state.stepWindow = [from, to];
  state.stepsDrawn = state.steps;
  if (list.scrollTop !== top) list.scrollTop = top;
  if (n) list.setAttribute("aria-activedescendant", `step-${state.current}`);
  else list.removeAttribute("aria-activedescendant");
  ui.position.textContent = n ? `step ${state.current + 1} of ${n}` : "";
}

// The framing checklist (checklist.js) follows the selected step; the parser comparison
// (parsers.js) follows the input.
const lessons = () => ({ presetId: ui.preset.value, steps: state.steps, current: state.current, bytes: state.bytes,
  responseMode: responseMode(), rules: state.rules ??= messageLengthRules(), el, rfcLinks });

/** Selects step `i`; unless the editor's caret chose it (`from` "editor"), its bytes are
 * selected in the editor too, without moving the focus. */
function select(i, from = "") {
  if (!state.steps.length) return;
  state.current = Math.max(0, Math.min(state.steps.length - 1, i));
  renderSteps(true);
  renderBytes();
  renderDetail();
  renderExpertPanel();
  if (from !== "editor") selectInEditor(stepBytes(state.steps[state.current]));
  renderChecklist($("checklist"), lessons());
  writeLink();
}

// ---------------------------------------------------------------------------------------
// Expert info, the caret and the conversation (expert.js, caret.js, timeline.js)
// ---------------------------------------------------------------------------------------

const helpers = { el, rfcLinks };

/** The bytes a step stands for in the editor: those it consumed, or the byte it refused. */
function stepBytes(s) {
  if (!s) return null;
  if (s.end > s.start) return [s.start, s.end];
  if (s.kind === "error" && s.at !== null) return [s.at, Math.min(total(), s.at + 1)];
  return null;
}

/** Selects bytes [a, b) in the editor's text, leaving the focus where it is. */
function selectInEditor(r) {
  if (!r) return;
  const t = ui.editor.value;
  ui.editor.setSelectionRange(byteToText(t, r[0], ui.crlf.checked), byteToText(t, r[1], ui.crlf.checked, true));
}

/** The caret moved in the editor: the step that read the byte under it is selected. */
function caretMoved() {
  if (!total()) return;
  const i = Math.min(total() - 1, textToByte(ui.editor.value, ui.editor.selectionStart, ui.crlf.checked));
  state.cursor = i;
  const k = stepOfByte(i);
  if (k >= 0 && k !== state.current) select(k, "editor");
  else renderBytes(false);
  sayCursor();
}

/** Selects the bytes [a, b): the narrowest step holding the first, and the range in the editor. */
function showBytes(a, b) {
  state.cursor = a;
  const k = stepOfByte(a);
  if (k >= 0) select(k);
  else renderBytes(false);
  selectInEditor([a, b]);
  sayCursor();
}

/** Draws the expert info of the selected step's message, when that message changed (so a
 * button of the panel keeps the focus while it selects bytes). */
/** Selects the bytes [a, b) of a message: the first step of its own that starts in them
 * (a head, not one of its parts), and the range in the editor. */
function showMessage(a, b) {
  const k = state.steps.findIndex((s) => s.kind !== "part" && s.end > s.start && s.start >= a && s.start < b);
  if (k >= 0) select(k);
  selectInEditor([a, b]);
}

function renderExpertPanel() {
  const s = state.steps[state.current];
  const message = s ? s.message : 0;
  if (state.expertOf?.steps === state.steps && state.expertOf.message === message) return;
  state.expertOf = { steps: state.steps, message };
  const had = ui.expert.contains(document.activeElement) ? document.activeElement.closest("li")?.dataset.name : null;
  renderExpert(ui.expert, state.steps, message, responseMode() ? "response" : "request", helpers,
    (f) => showBytes(f.at[0], f.at[1]));
  // Focus on a button of the panel stays in the panel, never falls to the page.
  if (had !== null && !ui.expert.contains(document.activeElement)) {
    (ui.expert.querySelector(`li[data-name="${had}"] button`) ?? ui.expert.querySelector("button") ?? ui.steplist).focus({ preventScroll: true });
  }
}

/** Opens a response of the server in response mode, as its client reads it. */
function readAsClient({ text, method, eof }) {
  const known = [...ui.method.options].some((o) => o.value === method);
  switchSide("response", { text, preset: "", cuts: [], eof, method: known ? method : "GET", crlf: true });
  ui.modeResponse.closest("section").scrollIntoView({ block: "start" });
  ui.modeResponse.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------
// The answer and the store
// ---------------------------------------------------------------------------------------

function renderExchanges() {
  const out = state.outcome;
  const items = out.exchanges.map((x, i) => {
    const statusLine = new TextDecoder().decode(x.response.subarray(0, x.response.indexOf(13)));
    const head = x.response.subarray(0, x.headLen);
    const body = x.response.subarray(x.headLen);
    const text = printable(body);
    const bodyView = body.length === 0 ? el("p", { className: "muted", textContent: "no body" })
      : el("pre", { className: `resp-body${text === null ? " hex" : ""}`,
        textContent: text !== null ? text.slice(0, 8192) : hexdump(body.subarray(0, 4096)) });
    const notes = [];
    if (x.sentContinue) notes.push("HTTP/1.1 100 Continue went out before the body was read.");
    if (x.close) notes.push("The connection closes after this response.");
    const box = el("article", { className: `exchange s${Math.floor(x.status / 100)}xx` },
      el("h3", {}, `${i + 1}. ${x.request ?? "(no request head)"} → `, el("span", { className: "status", textContent: statusLine.replace(/^HTTP\/1\.[01] /, "") })),
      x.error
        ? el("p", { className: "rule" }, el("code", { textContent: x.error.name }), `: ${x.error.text} → ${x.error.status} — `, rfcLinks(x.error.rfc))
        : el("p", { className: "rule" }, el("code", { textContent: x.rule }), `: ${x.explain} — `, rfcLinks(x.rfc)),
      el("pre", { className: "resp-head" }, rawBytes(head)),
      bodyView,
      ...notes.map((n) => el("p", { className: "note", textContent: n })),
      x.lints.length ? findingList(x.lints, helpers, { className: "answer-lints" }) : null,
      readButton(el, `response ${i + 1}`, x.response, (text) => readAsClient({ text, method: methodOf(x), eof: x.close })),
    );
    box.dataset.status = x.status;
    box.dataset.rule = x.rule;
    if (x.error) box.dataset.error = x.error.name;
    return box;
  });
  if (!items.length) items.push(el("p", { className: "muted", textContent: "No complete request yet: nothing is answered." }));
  if (out.stopped) items.push(el("p", { className: "stopped", textContent: `The server stops here: ${out.stopped}.` }));
  ui.exchanges.replaceChildren(...items);
}

const fmtTime = (s) => new Date(s * 1000).toISOString().replace("T", " ").slice(0, 19);
const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

function renderStore() {
  const rows = state.files.map((f) => {
    const actions = el("td", { className: "actions" });
    if (!f.dir) {
      const edit = el("button", { type: "button", textContent: "edit", title: `Edit /${f.path}`, onclick: () => editFile(f) });
      edit.setAttribute("aria-label", `Edit /${f.path}`);
      actions.append(edit);
      const del = el("button", { type: "button", textContent: "delete", title: `Delete /${f.path}` });
      del.setAttribute("aria-label", `Delete /${f.path}`);
      actions.append(del);
      del.addEventListener("click", () => {
        state.files = state.files.filter((g) => g !== f);
        run();
      });
    }
    const tr = el("tr", {},
      el("td", { className: "path", textContent: f.dir ? `${f.path}/` : f.path }),
      el("td", { textContent: f.dir ? "—" : `${f.data.length} B` }),
      el("td", { className: "muted", textContent: fmtTime(f.modified) }),
      actions);
    tr.dataset.path = f.path;
    return tr;
  });
  ui.files.replaceChildren(...rows);

  // What the requests would change.
  const after = state.outcome.files;
  const before = new Map(state.files.map((f) => [f.path, f]));
  const changes = [];
  for (const f of after) {
    const b = before.get(f.path);
    if (!b) changes.push(`+ ${f.path}${f.dir ? "/" : ` (${f.data.length} B)`}`);
    else if (!f.dir && !sameBytes(b.data, f.data)) changes.push(`~ ${f.path} (${f.data.length} B)`);
    before.delete(f.path);
  }
  for (const f of before.values()) changes.push(`− ${f.path}${f.dir ? "/" : ""}`);
  if (!changes.length) {
    ui.changes.replaceChildren();
    return;
  }
  const apply = el("button", { type: "button", id: "apply", textContent: "apply to the store" });
  apply.addEventListener("click", () => {
    state.files = after.map((f) => ({ ...f }));
    run();
  });
  ui.changes.replaceChildren(
    el("p", { textContent: "These requests change the store:" }),
    el("ul", { className: "changes" }, ...changes.map((c) => el("li", { textContent: c }))),
    apply,
  );
}

/** The store as the core holds it: parent directories made, unsafe paths refused. */
function canonical(files) {
  const out = serveRequests(new Uint8Array(), files, false, Math.floor(Date.now() / 1000), false);
  return { files: out.files, rejected: out.rejected };
}

function editFile(f) {
  ui.fileEditor.open = true;
  ui.filePath.value = f.path;
  ui.fileData.value = new TextDecoder().decode(f.data);
  ui.fileData.focus();
}

// ---------------------------------------------------------------------------------------
// State in the address: #s=<base64url JSON>
// ---------------------------------------------------------------------------------------

// A link longer than this is not kept: browsers refuse addresses of more than 2 MB.
const LINK_MAX = 2_000_000;

const b64urlBytes = (bytes) => toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Encodes the state into the address. The JSON, less its closing brace, is padded with
 * spaces to a multiple of 3 bytes, so that the step can be appended in base64 alone: a step
 * then costs the same whatever the size of the input. */
function saveToUrl() {
  const s = {
    m: responseMode() ? "response" : "request",
    x: ui.method.value,
    p: ui.preset.value,
    t: ui.editor.value,
    c: ui.crlf.checked ? 1 : 0,
    g: Math.max(0, parseInt(ui.segment.value, 10) || 0),
    e: ui.eof.checked ? 1 : 0,
    r: ui.readonly.checked ? 1 : 0,
    k: state.cuts,
    h: hexView() ? 1 : 0,
    f: state.files.map((f) => [f.path, f.dir ? 1 : 0, toBase64(f.data), f.modified]),
  };
  const json = JSON.stringify(s).slice(0, -1);
  const bytes = json.length * 3 > LINK_MAX * 2 ? null : enc.encode(json);
  if (!bytes || (bytes.length * 4) / 3 > LINK_MAX) {
    state.link = "";
  } else {
    const padded = new Uint8Array(Math.ceil(bytes.length / 3) * 3).fill(32);
    padded.set(bytes);
    state.link = b64urlBytes(padded);
  }
  ui.linkNote.hidden = state.link !== "";
  writeLink();
}

// A link longer than this is written a moment after the last step, not at each one: the
// browser copies the whole address at every write.
const LINK_NOW = 64 * 1024;
let linkTimer = 0;

/** Writes the address: the saved state and the selected step. */
function writeLink() {
  const hash = state.link ? `#s=${state.link}${b64urlBytes(enc.encode(`,"n":${state.current}}`))}` : "";
  clearTimeout(linkTimer);
  if (hash === state.hash && location.hash === hash) return;
  state.hash = hash;
  const write = () => history.replaceState(null, "", hash || `${location.pathname}${location.search}`);
  if (hash.length > LINK_NOW) linkTimer = setTimeout(write, 300);
  else write();
}

/** Shows (or with null, hides) why a link could not be opened. */
function linkError(why) {
  ui.linkError.hidden = !why;
  ui.linkError.textContent = why ? `This link is damaged (${why}): ${state.steps.length ? "the page shows what it showed before" : "the page starts from the first preset"}.` : "";
}

/** Takes the state from the address. Returns true when it held one, false when it held
 * none, and says so on the page when it was damaged. */
function loadFromUrl() {
  if (!location.hash.startsWith("#s=")) return false;
  const m = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
  let s;
  try {
    if (!m) throw new Error("it holds characters that base64url does not use");
    s = JSON.parse(unb64url(m[1]));
    if (typeof s !== "object" || s === null) throw new Error("it holds no explorer state");
  } catch (err) {
    linkError(err instanceof SyntaxError ? "its state does not decode" : err.message);
    return false;
  }
  linkError(null);
  setMode(s.m === "response" ? "response" : "request");
  if ([...ui.method.options].some((o) => o.value === s.x)) ui.method.value = s.x;
  ui.preset.value = presets().some((p) => p.id === s.p) ? s.p : "";
  ui.editor.value = String(s.t ?? "");
  ui.crlf.checked = s.c !== 0;
  ui.segment.value = String(s.g ?? 0);
  ui.eof.checked = s.e === 1;
  ui.readonly.checked = s.r === 1;
  ui.viewHex.checked = s.h === 1;
  ui.viewText.checked = s.h !== 1;
  state.cuts = Array.isArray(s.k) ? s.k.map(Number).filter((n) => Number.isInteger(n) && n > 0) : [];
  state.current = Number.isInteger(s.n) && s.n >= 0 ? s.n : 0;
  if (Array.isArray(s.f)) {
    state.files = s.f.map(([path, dir, data, modified]) => ({
      path: String(path), dir: dir === 1, data: fromBase64(String(data || "")), modified: Number(modified) || 0,
    }));
    state.files = canonical(state.files).files;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------

function run() {
  state.bytes = encode(ui.editor.value, ui.crlf.checked);
  state.cuts = state.cuts.filter((c) => c > 0 && c < state.bytes.length);
  const segment = Math.max(0, parseInt(ui.segment.value, 10) || 0);
  const cuts = state.cuts.length ? new Uint32Array(state.cuts) : undefined;
  state.steps = responseMode()
    ? parseResponse(state.bytes, segment, ui.eof.checked, ui.method.value, cuts)
    : parseRequest(state.bytes, segment, ui.eof.checked, cuts);
  state.steps = expand(state.steps);
  if (state.cursor >= state.bytes.length) state.cursor = -1;
  state.warnings = state.steps.flatMap((s) => (s.lints ?? []).filter((l) => l.level === "warning"));
  state.current = Math.min(state.current, Math.max(0, state.steps.length - 1));
  state.outcome = responseMode() ? null
    : serveRequests(state.bytes, state.files, ui.readonly.checked, Math.floor(Date.now() / 1000), ui.eof.checked);
  state.window = null;
  renderSteps(true);
  renderBytes();
  renderDetail();
  renderExpertPanel();
  sayCursor();
  renderChecklist($("checklist"), lessons());
  renderParsers($("parsers"), lessons());
  if (!responseMode()) {
    renderExchanges();
    renderConversation(ui.conversation, state.outcome, helpers, { read: readAsClient, show: showMessage });
    renderStore();
  }
  saveToUrl();
}

/** Switches between the server's side (requests) and the client's (responses). */
function setMode(mode) {
  const response = mode === "response";
  state.mode = response ? "response" : "request";
  ui.modeResponse.checked = response;
  ui.modeRequest.checked = !response;
  ui.methodLabel.hidden = !response;
  ui.inputTitle.textContent = response ? "Response bytes" : "Request bytes";
  for (const e of document.querySelectorAll(".server-only")) e.hidden = response;
  ui.preset.replaceChildren(el("option", { value: "", textContent: "(your own)" }),
    ...presets().map((p) => el("option", { value: p.id, textContent: p.name })));
}

function loadPreset(id) {
  const p = presets().find((x) => x.id === id) || presets()[0];
  ui.preset.value = p.id;
  ui.editor.value = p.text;
  state.cuts = [];
  state.cursor = -1;
  if (responseMode()) {
    ui.method.value = p.method || "GET";
    ui.eof.checked = !!p.eof;
  }
  state.current = 0;
  run();
}

/** Goes to the side `mode`, keeping what the side being left holds; it shows what it held
 * when the user left it, or with `open`, that. */
function switchSide(mode, open = null) {
  state.kept[state.mode] = { text: ui.editor.value, preset: ui.preset.value, cuts: state.cuts, eof: ui.eof.checked, method: ui.method.value, crlf: ui.crlf.checked };
  setMode(mode);
  const k = open ?? state.kept[state.mode];
  if (!k) {
    loadPreset(presets()[0].id);
    return;
  }
  ui.editor.value = k.text;
  ui.preset.value = k.preset;
  ui.eof.checked = k.eof;
  ui.method.value = k.method;
  ui.crlf.checked = k.crlf;
  state.cuts = k.cuts;
  state.cursor = -1;
  state.current = 0;
  run();
}

/** Types `text` at the editor's caret, as the user would: it can be undone (Ctrl+Z). */
function insertAtCursor(text) {
  ui.editor.focus();
  // execCommand keeps the field's undo history, which setting its value would clear; the
  // input event it fires runs the parse.
  if (!document.execCommand("insertText", false, text)) {
    const t = ui.editor;
    const [a, b] = [t.selectionStart, t.selectionEnd];
    t.setRangeText(text, a, b, "end");
    t.dispatchEvent(new Event("input"));
  }
}

// The byte views are one tab stop each, with a byte cursor: the arrow keys move it (up and
// down by a row of the dump, or 16 bytes in the text view), Home and End go to the first
// and last byte, and Enter or Space does what a click on the byte does.

/** Moves the byte cursor to byte `i`, drawing the window that holds it. */
function moveCursor(i) {
  const n = total();
  if (!n) return;
  state.cursor = Math.max(0, Math.min(n - 1, i));
  const w = state.window;
  if (!w || state.cursor < w[0] || state.cursor >= w[1]) {
    const from = Math.max(0, Math.min(Math.floor((state.cursor - 256) / 16) * 16, n - windowSize()));
    state.window = [Math.max(0, from), Math.min(n, Math.max(0, from) + windowSize())];
  }
  renderBytes(false);
  const box = hexView() ? ui.hexview : ui.bytes;
  box.querySelector(".cursor")?.scrollIntoView({ block: "nearest" });
  sayCursor();
}

/** Says which byte the cursor is on, and which step read it. */
function sayCursor() {
  const i = state.cursor;
  if (i < 0 || i >= total()) {
    ui.byteAt.textContent = "";
    return;
  }
  const k = stepOfByte(i);
  ui.byteAt.textContent = `${byteTip(i, state.bytes[i])}; ${k >= 0 ? `read by step ${k + 1}: ${label(state.steps[k])}` : "not read by any step"}. Enter selects ${ui.cutmode.checked ? "a read ending before it" : "that step"}.`;
}

function byteKeys(e) {
  const cols = hexView() ? state.hexColumns || 16 : 16;
  const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols, PageUp: -cols * 8, PageDown: cols * 8 };
  if (state.cursor < 0) state.cursor = Math.min(focusOf(state.steps[state.current]), total() - 1);
  if (e.key in moves) moveCursor(state.cursor + moves[e.key]);
  else if (e.key === "Home") moveCursor(0);
  else if (e.key === "End") moveCursor(total() - 1);
  else if (e.key === "Enter" || e.key === " ") {
    if (state.cursor >= 0) clickByte(state.cursor);
  } else return;
  e.preventDefault();
  e.stopPropagation();
}

async function main() {
  await init();
  ui.version.textContent = `simplehttp-core ${coreVersion()}`;
  setMode("request");
  for (const r of [ui.modeRequest, ui.modeResponse]) r.addEventListener("change", () => switchSide(r.value));
  ui.editor.addEventListener("click", caretMoved);
  ui.editor.addEventListener("keyup", (e) => {
    if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].includes(e.key)) caretMoved();
  });
  ui.method.addEventListener("change", run);
  ui.preset.addEventListener("change", () => ui.preset.value && loadPreset(ui.preset.value));
  ui.editor.addEventListener("input", () => {
    ui.preset.value = "";
    run();
  });
  ui.segment.addEventListener("input", run);
  for (const c of [ui.crlf, ui.eof, ui.readonly]) c.addEventListener("change", run);
  $("ins-cr").addEventListener("click", () => insertAtCursor(CR_MARK));
  $("ins-lf").addEventListener("click", () => insertAtCursor(LF_MARK));
  $("first").addEventListener("click", () => select(0));
  $("prev").addEventListener("click", () => select(state.current - 1));
  $("next").addEventListener("click", () => select(state.current + 1));
  $("last").addEventListener("click", () => select(state.steps.length - 1));
  for (const view of [ui.bytes, ui.hexview]) {
    view.addEventListener("click", (e) => {
      const i = byteAt(e.target, e.clientX, e.clientY);
      if (i !== null) clickByte(i);
    });
    view.addEventListener("keydown", byteKeys);
    view.addEventListener("focus", () => {
      // Focus from a click: the click places the cursor (drawing now would take the byte
      // from under the pointer).
      if (!view.matches(":focus-visible")) return;
      if (state.cursor < 0 || state.cursor >= total()) moveCursor(focusOf(state.steps[state.current]));
      else moveCursor(state.cursor);
    });
    // A byte's tip names the byte under the pointer, in a run of several too.
    view.addEventListener("mousemove", (e) => {
      const span = e.target;
      if (!(Number(span?.dataset?.n) > 1)) return;
      const i = byteAt(span, e.clientX, e.clientY);
      if (i !== null) span.title = byteTip(i, state.bytes[i]);
    });
  }
  for (const r of [ui.viewText, ui.viewHex]) {
    r.addEventListener("change", () => {
      renderBytes();
      saveToUrl();
    });
  }
  // A window that narrows or widens may change how many bytes a hex row holds.
  let resizing = 0;
  let stepScroll = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(() => {
      if (!hexView()) {
        state.hexColumns = 0;
        return;
      }
      const cols = hexColumns();
      if (cols !== state.hexColumns) {
        state.hexColumns = cols;
        renderBytes(false);
      }
    });
  });
  // Enter or Space on the list of steps: the selected step stays selected and focused.
  ui.steplist.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    e.preventDefault();
    select(state.current);
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
  $("file-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const path = ui.filePath.value.trim().replace(/^\/+/, "");
    if (!path) return;
    const data = enc.encode(ui.fileData.value);
    const modified = Math.floor(Date.now() / 1000);
    const files = state.files.filter((f) => f.path !== path);
    files.push({ path, dir: false, data, modified });
    const { rejected } = canonical(files);
    $("file-error").textContent = rejected.length ? `Not added: ${rejected.join("; ")}` : "";
    if (!rejected.length) state.files = canonical(files).files;
    run();
  });
  $("clearcuts").addEventListener("click", () => {
    state.cuts = [];
    run();
  });
  ui.cutmode.addEventListener("change", () => {
    for (const view of [ui.bytes, ui.hexview]) view.classList.toggle("cutting", ui.cutmode.checked);
  });
  $("store-reset").addEventListener("click", () => {
    state.files = DEFAULT_FILES();
    run();
  });
  ui.steplist.addEventListener("scroll", () => {
    cancelAnimationFrame(stepScroll);
    stepScroll = requestAnimationFrame(() => {
      const row = state.stepRow || 24;
      const [from, to] = state.stepWindow;
      const first = Math.floor(ui.steplist.scrollTop / row);
      const last = Math.ceil((ui.steplist.scrollTop + ui.steplist.clientHeight) / row);
      if ((first < from + 5 && from > 0) || (last > to - 5 && to < state.steps.length)) renderSteps();
    });
  });
  // A link opened in this tab: the address changes, the page does not load again.
  window.addEventListener("hashchange", () => {
    if (location.hash === state.hash) return;
    if (loadFromUrl()) run();
    else writeLink();
  });
  if (loadFromUrl()) run();
  else loadPreset(PRESETS[0].id);
  document.documentElement.dataset.ready = "true";
}

main().catch((err) => {
  console.error(err);
  document.body.prepend(el("p", { className: "fatal", textContent: `The explorer failed to start: ${err}` }));
});
