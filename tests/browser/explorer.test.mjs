// The explorer in headless Chromium: it loads without a console error or warning, and the
// steps and highlighted bytes it shows are the core's.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { DIST, clickByte, offsetsOf, openBrowser, screenshot, serveStatic } from "./harness.mjs";

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
    // Each test answers for what happened during it.
    const problems = browser.problems.splice(0);
    assert.deepEqual(problems, [], "the page logged errors or warnings");
  });

  /** Loads the page afresh and waits for the ready marker set after the module's init(). */
  async function load() {
    await page.goto(server.url);
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  }

  /** The kinds of the core's events listed, without the "need more" waits and head parts. */
  async function kinds() {
    const all = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.dataset.kind));
    return all.filter((k) => k !== "need-more" && k !== "part");
  }

  /** The offsets of the bytes carrying `cls` in the byte view. */
  async function marked(cls) {
    return offsetsOf(page, `#bytes span.${cls}`);
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

  it("selects the step of a byte that is clicked, and the bytes of a step that is clicked", async () => {
    await load();
    await page.selectOption("#preset", "put-new");
    const input = await page.evaluate(() => document.getElementById("editor").value.replaceAll("\n", "\r\n"));
    const bodyAt = input.indexOf("hello again");
    await clickByte(page, "#bytes", bodyAt + 3);
    assert.match(await page.textContent("#steplist li.current"), /^body: 11 bytes$/);
    assert.equal(bytesAt(input, await marked("hl")), "hello again");
    await page.click('#steplist li[data-kind="head"] button');
    assert.deepEqual(await marked("hl"), [...Array(bodyAt).keys()]);
  });

  it("steps through the head's parts, forward and back, with the buttons and the arrow keys", async () => {
    await load();
    // head, request line, 3 fields, the framing decision, end
    assert.equal(await page.textContent("#position"), "step 1 of 7");
    await page.click("#next");
    assert.equal(await page.textContent("#steplist li.current"), "request line: GET /hello.txt HTTP/1.1");
    assert.equal(bytesAt(GET, await marked("hl")), "GET /hello.txt HTTP/1.1\r\n");
    assert.match(await page.textContent("#detail"), /request-line = method SP request-target SP HTTP-version CRLF/);
    await page.click("#next");
    assert.equal(await page.textContent("#steplist li.current"), "field: Host: example.com");
    assert.equal(bytesAt(GET, await marked("hl")), "Host: example.com\r\n");
    assert.equal(await page.getAttribute("#detail dd a", "href"), "https://www.rfc-editor.org/rfc/rfc9110#section-7.2");
    await page.locator("#steplist").focus();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.textContent("#steplist li.current"), "body framing: none");
    assert.match(await page.textContent("#detail"), /a request with neither content-length nor transfer-encoding has no body/);
    await page.keyboard.press("ArrowRight");
    assert.match(await page.textContent("#steplist li.current"), /^end of request 1$/);
    assert.deepEqual(await marked("hl"), [], "End consumes no bytes");
    await page.keyboard.press("Home");
    assert.equal(await page.textContent("#position"), "step 1 of 7");
    await page.keyboard.press("End");
    assert.equal(await page.textContent("#position"), "step 7 of 7");
    await page.click("#prev");
    assert.equal(await page.textContent("#position"), "step 6 of 7");
    // A click on a field's byte selects that field's step.
    await clickByte(page, "#bytes", 50);
    assert.equal(await page.textContent("#steplist li.current"), "field: User-Agent: explorer/1");
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
  });

  it("marks the byte of a smuggling attempt and names the status", async () => {
    await load();
    await page.selectOption("#preset", "smuggle");
    const all = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.dataset.kind));
    assert.equal(all.at(-1), "error");
    await page.click("#last");
    assert.match(await page.textContent("#steplist li.current"), /^error → 400: /);
    assert.match(await page.textContent("#detail"), /The server answers 400/);
    assert.equal(await page.getAttribute("#detail .rule-ref a", "href"), "https://www.rfc-editor.org/rfc/rfc9112#section-6.1");
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

  // Every preset, with the status the server answers to each request in it.
  const PRESET_STATUSES = {
    get: [200],
    missing: [404],
    head: [200],
    conditional: [304],
    range: [206],
    listing: [200],
    "put-new": [201],
    "put-continue": [201],
    "put-existing": [204],
    delete: [204],
    options: [204],
    "unknown-method": [405],
    chunked: [201],
    smuggle: [400],
    "te-cl": [400],
    "cl-twice-equal": [201],
    "cl-twice-differ": [400],
    "cl-list": [201],
    "bare-cr": [400],
    "obs-fold": [400],
    "space-colon": [400],
    "chunked-not-last": [400],
    "chunk-lead-space": [400],
    "chunk-trail-space": [400],
    "chunk-0x": [400],
    "chunk-overflow": [400],
    "chunk-ext": [201],
    "te-http10": [400],
    escape: [400],
    malformed: [400],
    "bare-lf": [400],
    "many-headers": [431],
    pipelined: [200, 200, 404],
    typo: [201, 400],
    "leading-crlf": [200],
    "repeated-length": [201],
    "host-differs": [200],
  };

  it("answers every preset with the status simple-server gives", async () => {
    await load();
    const ids = await page.$$eval("#preset option", (os) => os.map((o) => o.value).filter(Boolean));
    assert.deepEqual(ids.sort(), Object.keys(PRESET_STATUSES).sort(), "every preset has an expected status");
    for (const [id, statuses] of Object.entries(PRESET_STATUSES)) {
      await page.selectOption("#preset", id);
      const got = await page.$$eval("#exchanges .exchange", (xs) => xs.map((x) => Number(x.dataset.status)));
      assert.deepEqual(got, statuses, `preset ${id}`);
      // Stepping to the end of the parse shows an end or an error, never a hang.
      await page.click("#last");
      const last = await page.$eval("#steplist li.current", (li) => li.dataset.kind);
      assert.ok(["end", "error"].includes(last), `preset ${id} ends in ${last}`);
    }
  });

  it("shows the rule that fired and the response bytes", async () => {
    await load();
    await page.selectOption("#preset", "conditional");
    const x = page.locator("#exchanges .exchange").first();
    assert.equal(await x.getAttribute("data-rule"), "NotModifiedDate");
    assert.match(await x.locator(".rule").textContent(), /not modified since If-Modified-Since → 304/);
    assert.match(await x.locator("h3").textContent(), /^1\. GET \/hello\.txt → 304 Not Modified$/);

    await page.selectOption("#preset", "get");
    const head = await page.textContent("#exchanges .resp-head");
    assert.match(head, /^HTTP\/1\.1 200 OKCRLF\n/);
    assert.match(head, /Content-Length: 13CRLF\n/);
    assert.equal(await page.textContent("#exchanges .resp-body"), "hello, world\n");
  });

  it("says when 100 Continue goes out before the body", async () => {
    await load();
    await page.selectOption("#preset", "put-continue");
    assert.match(await page.textContent("#exchanges .exchange .note"), /100 Continue went out before the body was read/);
    await page.click('#steplist li[data-kind="head"] button');
    assert.match(await page.textContent("#detail"), /The client waits for 100 Continue before the body\./);
  });

  it("keeps the WebAssembly module under 250 KB", () => {
    const wasm = join(DIST, "pkg", "simplehttp_web_demo_bg.wasm");
    const size = statSync(wasm).size;
    assert.ok(size < 250 * 1024, `${wasm} is ${size} bytes`);
  });

  it("PUT and DELETE change the store once applied, and the store can be edited", async () => {
    await load();
    await page.selectOption("#preset", "put-new");
    assert.match(await page.textContent("#changes"), /\+ docs\/new\.txt \(11 B\)/);
    await page.click("#apply");
    assert.equal(await page.textContent('#files tr[data-path="docs/new.txt"] td:nth-child(2)'), "11 B");
    // The same PUT again now replaces the file.
    assert.deepEqual(await page.$$eval("#exchanges .exchange", (xs) => xs.map((x) => x.dataset.status)), ["204"]);

    await page.selectOption("#preset", "delete");
    await page.click("#apply");
    assert.equal(await page.locator('#files tr[data-path="hello.txt"]').count(), 0);
    await page.selectOption("#preset", "get");
    assert.equal(await page.getAttribute("#exchanges .exchange", "data-status"), "404");

    // Add a file by hand: GET now finds it.
    await page.click("#file-editor summary");
    await page.fill("#file-path", "hello.txt");
    await page.fill("#file-data", "made by hand");
    await page.click("#file-form button[type=submit]");
    assert.equal(await page.getAttribute("#exchanges .exchange", "data-status"), "200");
    assert.equal(await page.textContent("#exchanges .resp-body"), "made by hand");
    await page.click("#store-reset");
  });

  it("restores the whole state from a shared link", async () => {
    await load();
    await page.selectOption("#preset", "chunked");
    await page.fill("#segment", "7");
    await page.check("#readonly");
    const link = page.url();
    assert.match(link, /#s=[A-Za-z0-9_-]+$/);
    const before = await page.textContent("#steplist");

    const other = await browser.context.newPage();
    try {
      await other.goto(link);
      await other.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
      assert.equal(await other.inputValue("#preset"), "chunked");
      assert.equal(await other.inputValue("#segment"), "7");
      assert.equal(await other.isChecked("#readonly"), true);
      assert.equal(await other.textContent("#steplist"), before);
      // Read-only: the PUT is refused.
      assert.equal(await other.getAttribute("#exchanges .exchange", "data-status"), "405");
    } finally {
      await other.close();
    }
  });

  it("reads responses as the client does: interim heads, HEAD, close-delimited bodies", async () => {
    await load();
    await page.check("#mode-response");
    assert.equal(await page.textContent("#input-title"), "Response bytes");
    assert.equal(await page.isVisible("#exchanges"), false, "the server's answer is hidden for responses");
    assert.equal(await page.inputValue("#preset"), "r-chunked");
    assert.deepEqual(await kinds(), ["head", "chunk-header", "data", "chunk-header", "data", "chunk-header", "trailers", "end"]);
    assert.match(await page.textContent("#steplist li.current"), /^head: HTTP\/1\.1 200 OK, 3 fields$/);
    assert.equal(await page.textContent("#detail .v-status"), "200 OK");

    await page.selectOption("#preset", "r-continue");
    assert.equal(await page.inputValue("#method"), "PUT");
    const labels = await page.$$eval('#steplist li[data-kind="head"]', (lis) => lis.map((li) => li.textContent));
    assert.match(labels[0], /^interim head: HTTP\/1\.1 100 Continue/);
    assert.match(labels[1], /^head: HTTP\/1\.1 201 Created/);

    await page.selectOption("#preset", "r-head");
    assert.deepEqual(await kinds(), ["head", "end"], "a response to HEAD has no body");
    await page.selectOption("#method", "GET");
    assert.equal((await kinds()).includes("end"), false, "the same bytes after a GET wait for 13 body bytes");

    await page.selectOption("#preset", "r-close");
    assert.equal(await page.isChecked("#eof"), true);
    assert.deepEqual(await kinds(), ["head", "data", "end"]);
    await page.uncheck("#eof");
    assert.deepEqual(await kinds(), ["head", "data"], "without the close the body has no end");

    for (const id of ["r-conflict", "r-malformed"]) {
      await page.selectOption("#preset", id);
      const all = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.dataset.kind));
      assert.equal(all.at(-1), "error", id);
    }
    await screenshot(page, "explorer-response");
    await page.check("#mode-request");
    assert.equal(await page.isVisible("#exchanges"), true);
  });

  it("lets the user choose where reads end by clicking bytes", async () => {
    await load();
    const whole = await kinds();
    await page.check("#cutmode");
    await clickByte(page, "#bytes", 10);
    await clickByte(page, "#bytes", 40);
    const waits = await page.$$eval('#steplist li[data-kind="need-more"]', (l) => l.map((li) => li.textContent));
    assert.deepEqual(waits, [
      `waiting for more bytes (10 of ${GET.length} arrived)`,
      `waiting for more bytes (40 of ${GET.length} arrived)`,
    ]);
    assert.deepEqual(await kinds(), whole, "the same events, whatever the reads");
    assert.deepEqual(await marked("cut"), [10, 40]);
    assert.equal(await page.isDisabled("#segment"), true, "cuts take the place of the read size");
    await clickByte(page, "#bytes", 10);
    assert.deepEqual(await marked("cut"), [40], "a second click removes a cut");
    await page.click("#clearcuts");
    assert.deepEqual(await marked("cut"), []);
    await page.uncheck("#cutmode");
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

  it("looks right on a laptop screen and in a narrow window", async () => {
    await load();
    await page.selectOption("#preset", "chunked");
    await page.click("#steplist li:nth-child(2) button");
    await screenshot(page, "explorer-chunked");
    await page.setViewportSize({ width: 420, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling in a narrow window (${overflow}px too wide)`);
    await screenshot(page, "explorer-narrow");
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
