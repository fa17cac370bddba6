// The explorer answers as simple-server does: for every request preset of the page, sent
// whole and in small pieces, the response bytes of the explorer's WebAssembly build (the
// core's engine over its in-memory store) equal those of a live simple-server serving the
// same files, apart from the Date value.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { DIST, ROOT, startServer } from "./harness.mjs";

const { CR_MARK, LF_MARK, DEFAULT_FILE_TEXTS, PRESETS } = await import(join(ROOT, "web-demo", "www", "presets.js"));
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
// The explorer's page passes the time in; any value does, as Date is not compared.
const NOW = 1_700_000_100;

/** The bytes a preset's text stands for, as the page makes them (CR LF line ends). */
function encode(text) {
  const out = [];
  for (const part of text.split(/(\n|\u240D|\u240A)/)) {
    if (part === "\n") out.push(13, 10);
    else if (part === CR_MARK) out.push(13);
    else if (part === LF_MARK) out.push(10);
    else if (part) out.push(...Buffer.from(part, "utf8"));
  }
  return Buffer.from(out);
}

const withoutDates = (s) => s.replace(/\r\nDate: [^\r]*\r\n/g, "\r\nDate: -\r\n");

/** A fresh folder holding the explorer's starting store, with the same times. */
function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), "simplehttp-explorer-root-"));
  for (const f of DEFAULT_FILE_TEXTS) {
    const p = join(root, f.path);
    if (f.dir) mkdirSync(p, { recursive: true });
    else writeFileSync(p, f.text);
  }
  // touch, not utimes: the time must be whole seconds (the ETag holds the sub-second part).
  for (const f of [...DEFAULT_FILE_TEXTS].reverse()) execFileSync("touch", ["-d", `@${f.modified}`, join(root, f.path)]);
  return root;
}

/** Sends `bytes` to a fresh simple-server in pieces of `piece` bytes, then closes the
 * sending side, and resolves to everything it answered. */
async function live(bytes, piece) {
  const root = makeRoot();
  const server = await startServer(["--root", root, "--allow-host", "example.com"]);
  try {
    return await new Promise((resolve, reject) => {
      const chunks = [];
      const sock = connect(server.port, "127.0.0.1");
      sock.setTimeout(10_000, () => reject(new Error("simple-server did not finish answering")));
      sock.on("data", (d) => chunks.push(d));
      sock.on("error", (e) => (e.code === "ECONNRESET" ? resolve(Buffer.concat(chunks)) : reject(e)));
      sock.on("close", () => resolve(Buffer.concat(chunks)));
      sock.on("connect", async () => {
        for (let at = 0; at < bytes.length; at += piece) {
          sock.write(bytes.subarray(at, at + piece));
          if (piece < bytes.length) await new Promise((r) => setTimeout(r, 2));
        }
        sock.end();
      });
    });
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

describe("the explorer answers as simple-server does", { timeout: 300_000 }, () => {
  let serveRequests;

  before(async () => {
    const pkg = await import(join(DIST, "pkg", "simplehttp_web_demo.js"));
    await pkg.default({ module_or_path: readFileSync(join(DIST, "pkg", "simplehttp_web_demo_bg.wasm")) });
    serveRequests = pkg.serveRequests;
  });

  for (const preset of PRESETS) {
    it(`${preset.id}: the same response bytes, whole and in pieces`, async () => {
      const bytes = encode(preset.text);
      const files = DEFAULT_FILE_TEXTS.map((f) => ({ path: f.path, dir: f.dir, data: f.text, modified: f.modified }));
      const outcome = serveRequests(bytes, files, false, NOW);
      assert.ok(outcome.exchanges.length > 0, "the explorer answered nothing");
      const explorer = withoutDates(Buffer.concat(outcome.exchanges.map((e) => Buffer.from(e.response))).toString("latin1"));
      const sentContinue = outcome.exchanges.some((e) => e.sentContinue);
      for (const piece of [bytes.length, 5]) {
        let server = (await live(bytes, piece)).toString("latin1");
        assert.equal(server.includes(CONTINUE), sentContinue, `100 Continue (pieces of ${piece})`);
        server = withoutDates(server.replaceAll(CONTINUE, ""));
        assert.equal(explorer, server, `pieces of ${piece} bytes`);
      }
    });
  }
});
