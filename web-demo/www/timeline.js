// The conversation: one connection's requests and responses in the order the server's
// engine went through them (serveRequests' `turns`, recorded from simplehttp-core's
// ServerConnection in web-demo/src/serve.rs): requests read, 100 Continue, final responses,
// bytes dropped while closing, and who closed and why. Nothing here decides anything.

import { CR_MARK, LF_MARK } from "./presets.js";

/** The editor's text for `bytes`: CR LF as a line break, a bare CR or LF as its mark (so
 * that with "line breaks are CR LF" the text stands for exactly these bytes), or null when
 * the bytes are not UTF-8 text. */
export function editorText(bytes) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  return text.replace(/\r\n|\r|\n/g, (m) => (m === "\r\n" ? "\n" : m === "\r" ? CR_MARK : LF_MARK));
}

const plural = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;
const statusLine = (bytes) => new TextDecoder().decode(bytes.subarray(0, Math.max(0, bytes.indexOf(13))));

/** The method of an exchange's request ("GET /x" → "GET"), or null. */
export const methodOf = (x) => (x?.request ? x.request.split(" ")[0] : null);

/** A "read as the client" button for `what` (e.g. "response 2"). */
export function readButton(el, what, bytes, open) {
  const text = editorText(bytes);
  const b = el("button", { type: "button", className: "mark-btn read-client", textContent: "read as the client" });
  b.setAttribute("aria-label", `Read ${what} as the client: open its bytes in response mode`);
  if (text === null) {
    b.disabled = true;
    b.title = "Its bytes are not UTF-8 text, which the editor cannot hold";
  } else b.addEventListener("click", () => open(text));
  return b;
}

/**
 * Draws the conversation of `outcome` into `box`. `h` gives the page's helpers (`el`,
 * `rfcLinks`); `read({ text, method, eof, what })` opens a response in response mode;
 * `show(from, to)` selects request bytes.
 */
export function renderConversation(box, outcome, h, { read, show }) {
  const { el, rfcLinks } = h;
  const turns = outcome.turns ?? [];
  const xs = outcome.exchanges;
  const requestName = (m) => {
    const r = xs[m]?.request;
    return r ? `request ${m + 1}, ${r}` : `request ${m + 1}`;
  };
  const items = [];
  const item = (side, kind, ...content) => {
    const who = { client: "client \u2192 server", server: "server \u2192 client", inside: "in the server" }[side] ?? "connection";
    const li = el("li", { className: `turn from-${side} t-${kind}` },
      el("span", { className: "who", textContent: who }), el("div", { className: "what" }, ...content));
    li.dataset.kind = kind;
    items.push(li);
    return li;
  };
  const showBtn = (what, from, to) => {
    const b = el("button", { type: "button", className: "mark-btn", textContent: `select bytes ${from}–${to}` });
    b.setAttribute("aria-label", `Select the bytes of ${what}, ${from} to ${to}, in the parse`);
    b.addEventListener("click", () => show(from, to));
    return b;
  };
  turns.forEach((t, i) => {
    const prev = turns[i - 1];
    switch (t.kind) {
      case "request": {
        const what = t.head ? requestName(t.message) : `the body of request ${t.message + 1}`;
        const after = !t.head && prev?.kind === "continue" ? ", read once the 100 Continue went out" : "";
        const li = item("client", t.head ? "request" : "request-body",
          el("p", {}, el("strong", { textContent: what }), ` (${plural(t.to - t.from, "byte")}${after}) `, showBtn(what, t.from, t.to)));
        li.dataset.message = t.message;
        break;
      }
      case "refused": {
        const e = xs[t.message]?.error;
        item("inside", "refused", el("p", {}, el("strong", { textContent: `The server's parser refuses request ${t.message + 1}` }),
          e ? `: ${e.text} (` : "", e ? el("code", { textContent: e.name }) : "", e ? "), " : " ",
          e ? rfcLinks(e.rfc) : "", ` — from byte ${t.from} on.`));
        break;
      }
      case "continue": {
        // The client reads the interim response and then the final one on the same
        // connection: the button opens both, as the client receives them.
        const final = xs[t.message];
        const what = final ? `the 100 Continue and response ${t.message + 1}` : `the 100 Continue for request ${t.message + 1}`;
        const bytes = new Uint8Array(t.bytes.length + (final?.response.length ?? 0));
        bytes.set(t.bytes);
        if (final) bytes.set(final.response, t.bytes.length);
        item("server", "continue",
          el("p", {}, el("strong", { textContent: statusLine(t.bytes) }), " (interim): the client may send the body now — ", rfcLinks("RFC 9110 §10.1.1, §15.2.1"), " "),
          readButton(el, what, bytes, (text) => read({ text, method: methodOf(final), eof: !!final?.close, what })));
        break;
      }
      case "response": {
        const x = xs[t.exchange];
        const body = x.response.length - x.headLen;
        const what = `response ${t.exchange + 1}`;
        const li = item("server", "response",
          el("p", {}, el("strong", { textContent: `${what}: ${statusLine(x.response).replace(/^HTTP\/1\.[01] /, "")}` }),
            ` to ${x.request ?? "a refused request"} (`, el("code", { textContent: x.rule }), `), a ${x.headLen}-byte head`,
            body ? ` and ${plural(body, "byte")} of body` : ", no body", x.close ? "; it closes the connection" : "", " "),
          readButton(el, what, x.response, (text) => read({ text, method: methodOf(x), eof: x.close, what })));
        li.dataset.exchange = t.exchange;
        li.dataset.status = x.status;
        break;
      }
      case "client-closed":
        item("client", "client-closed", el("p", {}, el("strong", { textContent: "The client closes its side" }),
          t.midRequest ? " in the middle of a request." : " after its last byte."));
        break;
      case "server-closed":
        item("server", "server-closed", el("p", {}, el("strong", { textContent: "The server closes the connection" }), `: ${t.why} — `, rfcLinks(t.rfc)),
          t.lingering ? el("p", { className: "note", textContent: "It shuts its write side first and reads and drops what still comes for a moment, so that the client reads the response rather than a reset." }) : null);
        break;
      case "dropped":
        item("client", "dropped", el("p", {}, el("strong", { textContent: `Bytes ${t.from}–${t.to}` }),
          ": read and dropped while the server closes."));
        break;
      case "open":
        item("none", "open", el("p", {}, el("strong", { textContent: "The connection stays open" }), `: the server waits for ${t.waiting}.`));
        break;
      default:
        break;
    }
  });
  const requests = new Set(turns.filter((t) => t.kind === "request" && t.head).map((t) => t.message)).size;
  const intro = [];
  if (requests > 1) {
    intro.push(el("p", { className: "note" },
      `All ${requests} requests arrived in one read. The server reads each only once it has answered the one before, so the answers go out in order — `,
      rfcLinks("RFC 9112 §9.3.2")));
  }
  if (!items.length) item("none", "open", el("p", { textContent: "Nothing has happened on the connection yet." }));
  box.replaceChildren(...intro, el("ol", { className: "turns" }, ...items));
}
