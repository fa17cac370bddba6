// The explorer in headless Chromium: it loads without a console error or warning, and the
// steps and highlighted bytes it shows are the core's.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { DIST, openBrowser, screenshot, serveStatic } from "./harness.mjs";

const GET = "GET /hello.txt HTTP/1.1\r\nHost: example.com\r\nUser-Agent: explorer/1\r\nAccept: */*\r\n\r\n";

describe("web explorer", { timeout: 120_000 }, () => {
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

  afterEach(() => {
    assert.deepEqual(browser.problems, [], "the page logged errors or warnings");
  });

  /** Loads the page afresh and waits for the ready marker set after the module's init(). */
  async function load() {
    await page.goto(server.url);
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  }

  /** The kinds of the steps listed, without the "need more" waits. */
  async function kinds() {
    const all = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.dataset.kind));
    return all.filter((k) => k !== "need-more");
  }

  /** The offsets of the bytes carrying `cls` in the byte view. */
  async function marked(cls) {
    return page.$$eval(`#bytes span.${cls}`, (spans) => spans.map((s) => Number(s.dataset.i)));
  }

  /** The input bytes at `offsets`, as a string (the page shows CR/LF as marks). */
  function bytesAt(input, offsets) {
    return offsets.map((i) => input[i]).join("");
  }

  async function selectStep(kind, nth = 0) {
    const buttons = page.locator(`#steplist li[data-kind="${kind}"] button`);
    await buttons.nth(nth).click();
  }

  it("loads the WebAssembly module and parses the GET preset into a head", async () => {
    await load();
    assert.match(await page.textContent("#version"), /simplehttp-core \d+\.\d+\.\d+/);
    assert.equal(await page.inputValue("#preset"), "get");
    assert.deepEqual(await kinds(), ["head", "end"]);

    // The first step is selected: a head, with method, target and the whole head highlighted.
    const current = await page.textContent("#steplist li.current");
    assert.match(current, /^head: GET \/hello\.txt HTTP\/1\.1, 3 fields$/);
    assert.equal(await page.textContent("#detail .v-method"), "GET");
    assert.match(await page.textContent("#detail .v-target"), /^\/hello\.txt \(origin form\)$/);
    assert.equal(await page.textContent("#bytecount"), `(${GET.length} bytes)`);

    const hl = await marked("hl");
    assert.deepEqual(hl, [...GET].map((_, i) => i), "the head step covers every byte of the request");
    assert.equal(bytesAt(GET, await marked("reqline")), "GET /hello.txt HTTP/1.1\r\n");
    assert.equal(bytesAt(GET, await marked("fname")), "HostUser-AgentAccept");
    assert.equal(bytesAt(GET, await marked("fval")), "example.comexplorer/1*/*");
    // CR and LF are shown as visible marks.
    assert.equal(await page.textContent('#bytes span[data-i="23"]'), "CR");
    assert.equal(await page.textContent('#bytes span[data-i="24"]'), "LF\n");

    const rows = await page.$$eval("#detail table.fields tbody tr", (trs) =>
      trs.map((tr) => [...tr.children].slice(0, 2).map((c) => c.textContent)),
    );
    assert.deepEqual(rows, [["Host", "example.com"], ["User-Agent", "explorer/1"], ["Accept", "*/*"]]);
    await screenshot(page, "explorer-get");
  });

  it("steps forward and back with the buttons and the arrow keys", async () => {
    await load();
    assert.equal(await page.textContent("#position"), "step 1 of 2");
    await page.click("#next");
    assert.match(await page.textContent("#steplist li.current"), /^end of request 1$/);
    assert.deepEqual(await marked("hl"), [], "End consumes no bytes");
    await page.locator("#bytes").focus();
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.textContent("#position"), "step 1 of 2");
    await page.keyboard.press("End");
    assert.equal(await page.textContent("#position"), "step 2 of 2");
  });

  it("shows chunk extensions, body bytes and trailers of a chunked upload", async () => {
    await load();
    await page.selectOption("#preset", "chunked");
    const input = await page.evaluate(() => document.getElementById("editor").value.replaceAll("\n", "\r\n"));
    assert.deepEqual(await kinds(), [
      "head", "chunk-header", "data", "chunk-header", "data", "chunk-header", "trailers", "end",
    ]);
    await selectStep("head");
    assert.match(await page.textContent("#detail"), /chunked: transfer-encoding ends in chunked/);
    assert.equal(await page.getAttribute("#detail a", "href"), "https://www.rfc-editor.org/rfc/rfc9112#section-6.3");

    await selectStep("chunk-header", 0);
    assert.equal(bytesAt(input, await marked("hl")), "5;note=first\r\n");
    assert.equal(bytesAt(input, await marked("ext")), ";note=first");
    await selectStep("data", 0);
    assert.equal(bytesAt(input, await marked("data")), "hello");
    await selectStep("data", 1);
    assert.equal(bytesAt(input, await marked("data")), " world");
    await selectStep("trailers");
    assert.equal(bytesAt(input, await marked("fname")), "X-Checksum");
    assert.equal(bytesAt(input, await marked("fval")), "42");
    await screenshot(page, "explorer-chunked");
  });

  it("marks the byte of a smuggling attempt and names the status", async () => {
    await load();
    await page.selectOption("#preset", "smuggle");
    const all = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.dataset.kind));
    assert.equal(all.at(-1), "error");
    await page.click("#last");
    assert.match(await page.textContent("#steplist li.current"), /^error → 400: /);
    assert.match(await page.textContent("#detail"), /The server answers 400/);
    assert.equal((await marked("err")).length, 1, "one byte is marked");
    await screenshot(page, "explorer-error");
  });

  it("gives the same events whatever the size of each read", async () => {
    await load();
    await page.selectOption("#preset", "pipelined");
    const whole = await kinds();
    assert.deepEqual(whole, ["head", "end", "head", "end", "head", "end"]);
    for (const segment of ["1", "5", "17"]) {
      await page.fill("#segment", segment);
      const split = await kinds();
      assert.deepEqual(split, whole, `reads of ${segment} bytes`);
      const waits = await page.$$eval('#steplist li[data-kind="need-more"]', (l) => l.length);
      assert.ok(waits > 0, `reads of ${segment} bytes make the parser wait`);
    }
  });

  it("keeps bytes the text field would lose: CR LF by default, a bare LF on purpose", async () => {
    await load();
    await page.selectOption("#preset", "bare-lf");
    const last = await page.$$eval("#steplist li", (lis) => lis.at(-1).dataset.kind);
    assert.equal(last, "error", "a bare LF ends no line in strict HTTP/1.1");
    await page.fill("#editor", "GET / HTTP/1.1\nHost: x\n\n");
    assert.equal(await page.textContent("#bytecount"), "(27 bytes)");
    assert.deepEqual(await kinds(), ["head", "end"]);
    await page.uncheck("#crlf");
    assert.equal(await page.textContent("#bytecount"), "(24 bytes)");
  });
});
