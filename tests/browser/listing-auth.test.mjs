// Access control in headless Chromium: a listing that needs Basic credentials (refused
// with wrong ones, browsed and uploaded to with right ones), dotfiles left out of the page,
// and under --auth alone, browsing without credentials while the first write is challenged;
// no CSP violation throughout.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openBrowser, screenshot, startServer, watchCsp } from "./harness.mjs";

const ALICE = { username: "alice", password: "s3cret" };

function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), "simplehttp-access-"));
  mkdirSync(join(root, "docs"));
  mkdirSync(join(root, ".git"));
  writeFileSync(join(root, ".git", "config"), "[core]\n");
  writeFileSync(join(root, ".env"), "SECRET=1\n");
  writeFileSync(join(root, "notes.txt"), "short\n");
  return root;
}

/** Every problem but the 401s of `url`'s challenges, which a login answers. */
const unexpected = (problems) => problems.filter((p) => !/^HTTP 401 for /.test(p));

describe("access control in the browser", { timeout: 120_000 }, () => {
  const servers = [];
  const roots = [];
  const browsers = [];

  after(async () => {
    for (const b of browsers) await b.close();
    for (const s of servers) await s.stop();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  async function serve(args) {
    const root = makeRoot();
    roots.push(root);
    const server = await startServer(["--root", root, ...args]);
    servers.push(server);
    return { root, server };
  }

  async function browser(options) {
    const b = await openBrowser(options);
    await watchCsp(b);
    browsers.push(b);
    return b;
  }

  const names = (page) => page.$$eval("#listing tbody tr td:first-child a", (as) => as.map((a) => a.textContent));

  it("asks for credentials to read, then lists without dotfiles and uploads", async () => {
    const { root, server } = await serve(["--auth", "alice:s3cret", "--auth-read"]);
    // Wrong ones: the challenge again, and nothing of the folder.
    const wrong = await browser({ httpCredentials: { username: "alice", password: "guess" } });
    const refused = await wrong.page.goto(server.url);
    assert.equal(refused.status(), 401);
    assert.equal(refused.headers()["www-authenticate"], 'Basic realm="simplehttp", charset="UTF-8"');
    assert.equal(await wrong.page.textContent("body"), "401 Unauthorized\n");
    wrong.problems.splice(0);

    // With them (what a user types into the browser's prompt).
    const b = await browser({ httpCredentials: ALICE });
    const page = b.page;
    const shown = await page.goto(server.url);
    assert.equal(shown.status(), 200);
    await page.waitForSelector("html[data-ready=true]");
    assert.deepEqual(await names(page), ["docs/", "notes.txt"]);
    assert.match(await page.textContent("#summary"), /^1 folder, 1 file,/);
    assert.equal((await page.content()).includes(".env"), false);
    // The script and stylesheet loaded with the same credentials: the page is styled.
    const font = await page.$eval("body", (body) => getComputedStyle(body).fontFamily);
    assert.notEqual(font, "");
    assert.equal(await page.isVisible("#filter"), true);

    await page.setInputFiles("#files", [{ name: "up.txt", mimeType: "text/plain", buffer: Buffer.from("uploaded\n") }]);
    await page.waitForFunction(() => document.querySelector("#results li.ok"));
    assert.equal(await page.textContent("#results li .status"), "201 Created");
    assert.equal(readFileSync(join(root, "up.txt"), "utf8"), "uploaded\n");
    await page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 3);
    console.log(`screenshot: ${await screenshot(page, "access-logged-in")}`);

    // A dotfile asked for by name is not there.
    const env = await page.goto(`${server.url}.env`);
    assert.equal(env.status(), 404);
    const problems = b.problems.splice(0);
    const expected = (p) => p.endsWith("/.env") || p.includes("status of 404 (Not Found)");
    assert.deepEqual(unexpected(problems).filter((p) => !expected(p)), []);
  });

  it("lets anyone browse under --auth and challenges the first write", async () => {
    const { root, server } = await serve(["--auth", "alice:s3cret"]);
    const anon = await browser();
    await anon.page.goto(server.url);
    await anon.page.waitForSelector("html[data-ready=true]");
    assert.deepEqual(await names(anon.page), ["docs/", "notes.txt"]);
    assert.equal(await anon.page.isVisible("#upload"), true);
    assert.deepEqual(anon.problems.splice(0), []);

    // Browsing sends no credentials and needs none; the first write is challenged, and
    // the browser answers with what the user typed (here, the context's credentials).
    const b = await browser({ httpCredentials: ALICE });
    await b.page.goto(server.url);
    await b.page.waitForSelector("html[data-ready=true]");
    await b.page.setInputFiles("#files", [{ name: "yes.txt", mimeType: "text/plain", buffer: Buffer.from("yes\n") }]);
    await b.page.waitForFunction(() => document.querySelector("#results li.ok"));
    assert.equal(await b.page.textContent("#results li .status"), "201 Created");
    assert.equal(readFileSync(join(root, "yes.txt"), "utf8"), "yes\n");
    // The list is refreshed after the result is shown.
    await b.page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 3);
    assert.deepEqual(await names(b.page), ["docs/", "notes.txt", "yes.txt"]);
    assert.deepEqual(unexpected(b.problems.splice(0)), []);
  });
});
