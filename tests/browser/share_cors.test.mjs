// CORS in headless Chromium, the peer it is for: a page on one loopback origin fetches files
// from simple-server on another. Without --cors the browser refuses to hand the response to
// the script; with --cors it reads the file and its ETag; with --cors and no password a
// cross-origin PUT is refused at the preflight and leaves nothing; with --cors-origin naming
// the page's origin the PUT goes through, and a page of another origin is still refused.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openBrowser, screenshot, startServer } from "./harness.mjs";

describe("CORS from a page of another origin", { timeout: 120_000 }, () => {
  let browser;
  let page;
  let origin;
  const servers = [];
  const roots = [];

  function root() {
    const dir = mkdtempSync(join(tmpdir(), "simplehttp-cors-"));
    roots.push(dir);
    writeFileSync(join(dir, "a.txt"), "hello from the other origin\n");
    return dir;
  }

  async function serve(args) {
    const dir = root();
    const server = await startServer(["--root", dir, ...args]);
    servers.push(server);
    return { dir, url: server.url };
  }

  before(async () => {
    const pageRoot = root();
    writeFileSync(join(pageRoot, "index.html"), "<!doctype html><title>page</title><h1>A page</h1>\n");
    const pageServer = await startServer(["--root", pageRoot, "--read-only"]);
    servers.push(pageServer);
    origin = pageServer.url.replace(/\/$/, "");
    browser = await openBrowser();
    page = browser.page;
    await page.goto(pageServer.url);
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) await s.stop();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  /** fetch(url, init) in the page: what the script gets, or the error it sees. */
  function fetchFromPage(url, init = {}) {
    return page.evaluate(
      async ([url, init]) => {
        try {
          const r = await fetch(url, init);
          return { ok: true, status: r.status, text: await r.text(), etag: r.headers.get("etag") };
        } catch (e) {
          return { ok: false, error: String(e) };
        }
      },
      [url, init],
    );
  }

  it("cannot read another origin's file without --cors", async () => {
    const other = await serve([]);
    const got = await fetchFromPage(`${other.url}a.txt`);
    assert.equal(got.ok, false, JSON.stringify(got));
    assert.match(got.error, /TypeError/);
    const problems = browser.problems.splice(0).join("\n");
    assert.match(problems, /CORS/, problems);
  });

  it("reads it, ETag included, with --cors", async () => {
    const other = await serve(["--cors"]);
    const got = await fetchFromPage(`${other.url}a.txt`);
    assert.deepEqual(
      { ok: got.ok, status: got.status, text: got.text },
      { ok: true, status: 200, text: "hello from the other origin\n" },
    );
    assert.match(got.etag ?? "", /^"[0-9a-f-]+"$/, "the ETag is exposed to scripts");
    // A 404 is readable too: the script learns the file is missing, not a network error.
    const missing = await fetchFromPage(`${other.url}missing`);
    assert.equal(missing.status, 404);
    browser.problems.splice(0);
  });

  it("refuses a cross-origin PUT at the preflight with --cors and no password", async () => {
    const other = await serve(["--cors"]);
    const got = await fetchFromPage(`${other.url}new.txt`, { method: "PUT", body: "x" });
    assert.equal(got.ok, false, JSON.stringify(got));
    assert.equal(existsSync(join(other.dir, "new.txt")), false, "nothing was written");
    const problems = browser.problems.splice(0).join("\n");
    assert.match(problems, /Method PUT is not allowed by Access-Control-Allow-Methods/, problems);
  });

  it("lets the listed origin write with --cors-origin, and no other", async () => {
    const listed = await serve(["--cors-origin", origin]);
    const got = await fetchFromPage(`${listed.url}new.txt`, {
      method: "PUT",
      body: "written across origins\n",
      headers: { "Content-Type": "text/plain" },
    });
    assert.deepEqual({ ok: got.ok, status: got.status }, { ok: true, status: 201 });
    assert.equal(readFileSync(join(listed.dir, "new.txt"), "utf8"), "written across origins\n");
    const read = await fetchFromPage(`${listed.url}a.txt`, { credentials: "include" });
    assert.equal(read.text, "hello from the other origin\n");

    const elsewhere = await serve(["--cors-origin", "http://127.0.0.1:9"]);
    const refused = await fetchFromPage(`${elsewhere.url}a.txt`);
    assert.equal(refused.ok, false, JSON.stringify(refused));
    const problems = browser.problems.splice(0).join("\n");
    assert.match(problems, /CORS/, problems);
    await screenshot(page, "share-cors-page");
  });
});
