// The explorer with the inputs a new user brings: large pastes, long cookies, shared links,
// both modes in turn. Each test here failed on the page before its fix.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { DIST, openBrowser, screenshot, serveStatic } from "./harness.mjs";

describe("the explorer with real-world input", { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;

  before(async () => {
    server = await serveStatic(DIST);
    browser = await openBrowser();
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const problems = browser.problems.splice(0);
    assert.deepEqual(problems, [], "the page logged errors or warnings");
  });

  async function load(hash = "") {
    await page.goto(`${server.url}${hash}`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  }

  /** Puts `text` in the editor as a paste does: one input event. */
  async function paste(text) {
    await page.evaluate((t) => {
      const e = document.getElementById("editor");
      e.value = t;
      e.dispatchEvent(new InputEvent("input", { inputType: "insertFromPaste", bubbles: true }));
    }, text);
  }

  /** A PUT whose body is `n` bytes of "a" (the editor's line breaks become CR LF). */
  const put = (n) => `PUT /big.bin HTTP/1.1\nHost: example.com\nContent-Length: ${n}\n\n${"a".repeat(n)}`;
  const headLen = (n) => put(n).length - n + 4; // each of the 4 line breaks gains a CR

  const kinds = () => page.$$eval("#steplist li", (lis) => lis.map((li) => li.dataset.kind).filter((k) => k !== "part" && k !== "need-more"));

  /** Milliseconds a click on `selector` takes, layout included. */
  const timed = (selector) =>
    page.evaluate((sel) => {
      const t = performance.now();
      document.querySelector(sel).click();
      void document.body.offsetHeight;
      return performance.now() - t;
    }, selector);

  it("parses a paste of 200 KB and of 5 MiB, not only small ones", async () => {
    await load();
    for (const n of [200_000, 5 * 1024 * 1024]) {
      await paste(put(n));
      assert.equal(await page.textContent("#bytecount"), `(${headLen(n) + n} bytes)`, `a body of ${n} bytes`);
      assert.deepEqual(await kinds(), ["head", "data", "end"], `a body of ${n} bytes`);
    }
    // A 60 KB header value (under the core's 64 KiB head) parses too.
    await paste(`GET / HTTP/1.1\nHost: x\nCookie: ${"c".repeat(60_000)}\n\n`);
    assert.deepEqual(await kinds(), ["head", "end"]);
  });

  it("takes a step in the same time whatever the size of the input", async () => {
    await load();
    const n = 5 * 1024 * 1024;
    await paste(put(n));
    for (const view of ["text", "hex"]) {
      await page.check(`#view-${view}`);
      const times = [];
      for (const sel of ["#first", "#next", "#last", "#prev", "#prev", "#next"]) times.push(await timed(sel));
      console.log(`5 MiB body, ${view} view: steps took ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
      assert.ok(Math.max(...times) < 1000, `a step in the ${view} view took ${Math.max(...times)} ms`);
      const nodes = await page.$$eval(`#${view === "hex" ? "hexview" : "bytes"} *`, (l) => l.length);
      assert.ok(nodes < 30_000, `${nodes} elements drawn for the bytes of the ${view} view`);
    }
    // Reads of 1 byte of a 20 KB body: 40,000 steps.
    await paste(put(20_000));
    await page.check("#view-text");
    await page.fill("#segment", "1");
    const total = Number(/of (\d+)/.exec(await page.textContent("#position"))[1]);
    assert.ok(total > 20_000, `${total} steps`);
    const items = await page.locator("#steplist li").count();
    assert.ok(items < 1000, `${items} of ${total} steps drawn`);
    await page.click("#steplist li:nth-child(3) button");
    const times = [];
    for (let k = 0; k < 5; k++) {
      times.push(await page.evaluate(() => {
        const t = performance.now();
        document.activeElement.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
        void document.body.offsetHeight;
        return performance.now() - t;
      }));
    }
    console.log(`1-byte reads of a 20 KB body (${total} steps): arrow key took ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
    assert.ok(Math.max(...times) < 1000);
    assert.match(await page.textContent("#position"), /^step 8 of /);
    // The last step is reachable and shown.
    await page.click("#last");
    assert.match(await page.textContent("#steplist li.current"), /^end of request 1$/);
  });

  it("collapses a run of waits into one step", async () => {
    await load();
    await page.fill("#segment", "1");
    const waits = await page.$$eval('#steplist li[data-kind="need-more"]', (l) => l.map((li) => li.textContent));
    assert.equal(waits.length, 1, waits.join("\n"));
    assert.match(waits[0], /waiting for more bytes: \d+ reads/);
  });

  it("wraps a 4 KB cookie inside its panels at every width", async () => {
    const jwt = `eyJ${"a1B2c3D4".repeat(500)}`;
    const text = `GET /search?q=${"x".repeat(2000)} HTTP/1.1\nHost: example.com\nCookie: session=${jwt}\n\n`;
    await load();
    await paste(text);
    await page.click('#steplist li:has-text("field: Cookie") button');
    for (const width of [360, 768, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      await screenshot(page, `sturdy-cookie-${width}`);
      assert.ok(scroll <= inner, `${scroll} px wide in a window of ${inner} px`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('#steplist li[data-kind="head"] button');
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scroll <= inner, `the head's details: ${scroll} px wide in ${inner} px`);
  });

  it("reads the Content-Length response preset to its end", async () => {
    await load();
    await page.check("#mode-response");
    await page.selectOption("#preset", "r-length");
    assert.deepEqual(await kinds(), ["head", "data", "end"]);
    assert.equal(await page.locator('#steplist li[data-kind="data"]').textContent(), "body: 13 bytes");
  });

  it("answers as the steps say when the peer closes mid-request", async () => {
    await load();
    await paste("PUT /x HTTP/1.1\nHost: x\nContent-Length: 10\n\nabc");
    assert.match(await page.textContent("#exchanges"), /waits for more bytes/);
    await page.check("#eof");
    const label = await page.textContent('#steplist li[data-kind="error"]');
    const answer = await page.textContent("#exchanges");
    assert.doesNotMatch(answer, /waits for more bytes/);
    assert.match(answer, /closed/);
    // Both say the same: no answer goes out.
    assert.doesNotMatch(label, /400/);
    assert.equal(await page.locator("#exchanges .exchange").count(), 0);
  });

  it("opens a shared link in a tab already showing the explorer, at its step", async () => {
    await load();
    await page.selectOption("#preset", "missing");
    await page.click("#steplist li:nth-child(3) button");
    const link = page.url();
    const step = await page.textContent("#steplist li.current");
    await page.selectOption("#preset", "chunked");
    await page.evaluate((h) => { location.hash = h; }, new URL(link).hash);
    await page.waitForFunction(() => document.getElementById("preset").value === "missing");
    assert.equal(await page.textContent("#steplist li.current"), step);
    // In a new tab too.
    const other = await browser.context.newPage();
    try {
      await other.goto(link);
      await other.waitForSelector("html[data-ready=true]");
      assert.equal(await other.textContent("#steplist li.current"), step);
    } finally {
      await other.close();
    }
    // A damaged link says so.
    await page.evaluate(() => { location.hash = "#s=eyJtIjoicmVxdWVzd"; });
    await page.waitForSelector("#link-error:not([hidden])");
    assert.match(await page.textContent("#link-error"), /damaged/);
    await page.goto("about:blank");
    await load("#s=not*base64");
    assert.match(await page.textContent("#link-error"), /damaged/);
    assert.equal(await page.inputValue("#preset"), "get");
  });

  it("keeps each mode's own text", async () => {
    await load();
    await page.fill("#editor", "GET /mine HTTP/1.1\nHost: mine\n\n");
    await page.check("#mode-response");
    await page.fill("#editor", "HTTP/1.1 204 No Content\n\n");
    await page.check("#mode-request");
    assert.equal(await page.inputValue("#editor"), "GET /mine HTTP/1.1\nHost: mine\n\n");
    await page.check("#mode-response");
    assert.equal(await page.inputValue("#editor"), "HTTP/1.1 204 No Content\n\n");
  });

  it("names each refused request's own error, status and RFC section", async () => {
    await load();
    const cases = [
      ["many-headers", null, 431, "TooManyHeaders", "RFC 6585 §5"],
      [null, "POST / HTTP/1.1\nHost: x\nTransfer-Encoding: gzip, chunked\n\n0\n\n", 501, "UnknownTransferCoding", "RFC 9112 §6.1"],
      ["smuggle", null, 400, "ContentLengthWithTransferEncoding", "RFC 9112 §6.1"],
    ];
    for (const [preset, text, status, name, rfc] of cases) {
      if (preset) await page.selectOption("#preset", preset);
      else await paste(text);
      const x = page.locator("#exchanges .exchange").first();
      assert.equal(await x.getAttribute("data-status"), String(status));
      const rule = await x.locator(".rule").textContent();
      assert.match(rule, new RegExp(name), rule);
      assert.match(rule, new RegExp(String(status)), rule);
      assert.ok(rule.includes(rfc), rule);
      assert.doesNotMatch(rule, /RFC 9112 §2\.2/, rule);
    }
  });
});
