// The explorer's lessons: expert info (the core's lint of the message and of the server's
// own responses), the conversation of one connection, and the editor's caret linked to the
// steps. Each behaviour is checked in headless Chromium, with no console error or warning,
// without sideways scrolling at 360 px, and with screenshots at 360, 768 and 1280 px.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { DIST, openBrowser, screenshot, serveStatic } from "./harness.mjs";

describe("the explorer's lessons", { timeout: 300_000 }, () => {
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

  async function load() {
    await page.goto(server.url);
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  }

  async function preset(mode, id) {
    await page.check(`#mode-${mode}`);
    await page.selectOption("#preset", id);
  }

  /** The findings listed in `box`: [level, marker text, name, text, rfc]. */
  const findings = (box) => page.$$eval(`${box} li.finding`, (lis) => lis.map((li) => [
    li.dataset.level, li.querySelector(".lv").textContent.trim(), li.querySelector(".lint-name").textContent,
    li.querySelector(".lint-text").textContent, li.querySelector(".lint-rfc").textContent]));

  const current = () => page.textContent("#steplist li.current");
  const editorSelection = () => page.evaluate(() => {
    const e = document.getElementById("editor");
    return e.value.slice(e.selectionStart, e.selectionEnd);
  });
  const focused = () => page.evaluate(() => document.activeElement.id || document.activeElement.className);

  it("lists every finding of the message with its level, name, explanation and RFC section, and selects its bytes", async () => {
    await load();
    await preset("request", "typo");
    const list = await findings("#expert");
    const names = list.map((f) => f[2]);
    assert.deepEqual(names.sort(), ["NearKnownName", "NextMessageFollows"]);
    const typo = list.find((f) => f[2] === "NearKnownName");
    assert.equal(typo[0], "warning");
    assert.equal(typo[1], "\u26A0 warning", "the level is a mark and a word, not only a colour");
    assert.match(typo[3], /^One edit from Content-Length: .*\.$/, "one sentence");
    // The body, read as a next request, is refused.
    assert.deepEqual(await page.$$eval("#exchanges .exchange", (xs) => xs.map((x) => x.dataset.status)), ["201", "400"]);
    assert.equal(typo[4], "RFC 9110 §5.1, RFC 9112 §6.3");
    assert.equal(await page.getAttribute("#expert li[data-name=NearKnownName] .lint-rfc a", "href"),
      "https://www.rfc-editor.org/rfc/rfc9110#section-5.1");
    await page.click("#expert li[data-name=NearKnownName] button");
    assert.equal(await current(), "field: Content-Lenght: 7");
    assert.equal(await editorSelection(), "Content-Lenght", "its bytes are selected in the editor");
    assert.match(await page.textContent("#byte-at"), /^byte 48 /);
    await page.click("#expert li[data-name=NextMessageFollows] button");
    assert.equal(await editorSelection(), "hello\n", "the bytes read as the next request");
    assert.equal(await page.evaluate(() => document.activeElement.dataset?.name ?? document.activeElement.closest("li")?.dataset.name),
      "NextMessageFollows", "the button keeps the focus");
    await preset("request", "get");
    assert.equal(await page.textContent("#byte-at"), "", "a new input forgets the byte cursor of the last");
    for (const [id, name, bytes] of [
      ["leading-crlf", "LeadingEmptyLines", "\n\n"],
      ["repeated-length", "RepeatedContentLength", "Content-Length: 5\n"],
      ["host-differs", "HostDiffersFromTarget", "other.example"],
    ]) {
      await preset("request", id);
      assert.ok((await findings("#expert")).some((f) => f[2] === name), `${id}: ${name}`);
      await page.click(`#expert li[data-name=${name}] button`);
      assert.equal(await editorSelection(), bytes, `${id}: the bytes of ${name}`);
    }
    await preset("request", "get");
    assert.equal(await page.textContent("#expert"), "Request 1: nothing to point out.");
  });

  it("lints the server's own responses in the answer, and every response lint has a preset that shows it", async () => {
    await load();
    await preset("request", "get");
    const answer = await findings("#exchanges");
    const by = Object.fromEntries(answer.map((f) => [f[2], f]));
    assert.equal(by.Validators?.[0], "good", JSON.stringify(answer));
    assert.match(by.Validators[3], /validator/);
    assert.equal(by.AcceptsRanges?.[0], "good");
    assert.equal(by.NoExplicitFreshness?.[0], "note", "no Cache-Control");
    assert.match(by.NoExplicitFreshness[3], /neither cache-control nor expires/i);
    assert.equal(by.MissingDate, undefined, "the server sends Date");
    // Each lint of lint::response, in the presets of response mode.
    const seen = new Set();
    const ids = await (async () => {
      await page.check("#mode-response");
      return page.$$eval("#preset option", (os) => os.map((o) => o.value).filter(Boolean));
    })();
    for (const id of ids) {
      await page.selectOption("#preset", id);
      for (const f of await findings("#expert")) seen.add(f[2]);
    }
    for (const name of ["MissingDate", "Validators", "NoValidator", "NoExplicitFreshness", "AcceptsRanges", "NoAcceptRanges",
      "PartialWithoutContentRange", "UnsatisfiableWithoutContentRange", "Varies", "VaryStar", "EncodingWithoutVary",
      "MissingAllow", "MissingWwwAuthenticate", "MissingContentType"]) {
      assert.ok(seen.has(name), `a response preset shows ${name}: ${[...seen].join(", ")}`);
    }
  });

  const turns = () => page.$$eval("#conversation li.turn", (lis) => lis.map((li) => li.dataset.kind));

  it("shows the conversation: 100 Continue, pipelined answers in order, and who closed and why", async () => {
    await load();
    await preset("request", "put-continue");
    assert.deepEqual(await turns(), ["request", "continue", "request-body", "response", "open"]);
    assert.match(await page.textContent("#conversation li.t-continue"), /HTTP\/1\.1 100 Continue \(interim\)/);
    assert.match(await page.textContent("#conversation li.t-request-body"), /the body of request 1 \(5 bytes, read once the 100 Continue went out\)/);
    assert.match(await page.textContent("#conversation li.t-open"), /waits for the next request/);

    await preset("request", "pipelined");
    assert.deepEqual(await turns(), ["request", "response", "request", "response", "request", "response", "server-closed"]);
    const statuses = await page.$$eval("#conversation li.t-response", (lis) => lis.map((li) => li.dataset.status));
    assert.deepEqual(statuses, ["200", "200", "404"]);
    assert.match(await page.textContent("#conversation"), /All 3 requests arrived in one read/);
    assert.match(await page.textContent("#conversation li.t-server-closed"), /request 3 asked for it/);
    // A request's button selects its bytes in the parse and in the editor.
    await page.click("#conversation li.t-request:nth-child(3) button");
    assert.match(await current(), /^head: HEAD \/docs\/notes\.md/);
    assert.match(await editorSelection(), /^HEAD \/docs\/notes\.md HTTP\/1\.1\nHost: example\.com\n\n$/);

    await page.check("#eof");
    await preset("request", "get");
    assert.deepEqual(await turns(), ["request", "response", "client-closed", "server-closed"]);
    assert.match(await page.textContent("#conversation li.t-server-closed"), /between requests: a clean end/);
    await page.uncheck("#eof");

    await preset("request", "smuggle");
    assert.deepEqual((await turns()).slice(0, 2), ["refused", "response"]);
    assert.match(await page.textContent("#conversation li.t-refused"), /ContentLengthWithTransferEncoding|refuses request 1/);
    assert.match(await page.textContent("#conversation li.t-server-closed"), /refused request 1/);
  });

  it("reads any of the server's responses as the client, and keeps the request", async () => {
    await load();
    await preset("request", "pipelined");
    const request = await page.inputValue("#editor");
    await page.click("#conversation li.t-response:nth-of-type(4) button.read-client");
    assert.equal(await page.isChecked("#mode-response"), true);
    assert.equal(await page.inputValue("#method"), "HEAD", "read as the answer to a HEAD");
    assert.equal(await focused(), "mode-response");
    assert.match(await page.inputValue("#editor"), /^HTTP\/1\.1 200 OK\n/);
    const labels = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.textContent));
    assert.ok(labels.some((l) => /^head: HTTP\/1\.1 200 OK/.test(l)), labels.join(" | "));
    assert.ok(labels.some((l) => l === "end of response 1"), "a response to HEAD has no body");
    assert.ok(!labels.some((l) => l.startsWith("error")), labels.join(" | "));
    // The response's own lint, now in the expert panel.
    assert.ok((await findings("#expert")).some((f) => f[2] === "Validators"));
    // A 100 Continue too, and a response with a body: the client reads the same bytes.
    await page.check("#mode-request");
    assert.equal(await page.inputValue("#editor"), request, "the request is kept");
    await preset("request", "put-continue");
    await page.click("#conversation li.t-continue button.read-client");
    assert.match(await page.textContent("#steplist li:first-child"), /^interim head: HTTP\/1\.1 100 Continue/);
    const after = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.textContent));
    assert.ok(after.some((l) => /^head: HTTP\/1\.1 201 Created/.test(l)), `then the final response: ${after.join(" | ")}`);
    assert.equal(await page.inputValue("#method"), "PUT");
    await page.check("#mode-request");
    await preset("request", "get");
    await page.click("#exchanges button.read-client");
    assert.equal(await page.isChecked("#mode-response"), true);
    const steps = await page.$$eval("#steplist li", (lis) => lis.map((li) => li.textContent));
    assert.ok(steps.includes("body: 13 bytes"), steps.join(" | "));
    assert.ok(steps.includes("end of response 1"));
  });

  it("links the editor's caret and the steps both ways, without taking the focus from the step list", async () => {
    await load();
    await preset("request", "put-new");
    const text = await page.inputValue("#editor");
    // The caret on the second line: the step that read its bytes is the Host field.
    await page.focus("#editor");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("ArrowDown");
    assert.equal(await current(), "field: Host: example.com");
    assert.equal(await focused(), "editor", "the focus stays in the editor");
    await page.keyboard.press("End");
    assert.equal(await current(), "field: Host: example.com", "the CR LF at the end of the line is the field's");
    await page.keyboard.press("Control+End");
    assert.equal(await current(), "body: 11 bytes");
    // A click in the text does the same.
    const box = await page.locator("#editor").boundingBox();
    await page.mouse.click(box.x + 12, box.y + 10);
    assert.match(await current(), /^request line: PUT/);
    assert.match(await page.textContent("#byte-at"), /read by step \d+: request line/);
    // A step selects its bytes in the editor; the focus stays on the steps.
    await page.focus("#steplist");
    await page.keyboard.press("Home");
    assert.equal(await editorSelection(), text.slice(0, text.indexOf("hello again")));
    for (let k = 0; k < 2; k++) await page.keyboard.press("ArrowDown");
    assert.equal(await current(), "field: Host: example.com");
    assert.equal(await editorSelection(), "Host: example.com\n");
    assert.equal(await focused(), "steplist");
    await page.keyboard.press("End");
    assert.equal(await current(), "end of request 1");
    await page.keyboard.press("ArrowUp");
    assert.equal(await current(), "body: 11 bytes");
    assert.equal(await editorSelection(), "hello again");
    assert.equal(await focused(), "steplist");
    // Bare CR and LF marks, and text beyond ASCII, map to their bytes.
    await page.fill("#editor", "PUT /a HTTP/1.1\nHost: x\nContent-Length: 4\n\n\u00e9\u240Db");
    await page.focus("#steplist");
    await page.keyboard.press("Home");
    assert.equal(await editorSelection(), "PUT /a HTTP/1.1\nHost: x\nContent-Length: 4\n\n");
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowUp");
    assert.equal(await current(), "body: 4 bytes");
    assert.equal(await editorSelection(), "\u00e9\u240Db", "two bytes of UTF-8 and a bare CR: the body's 4 bytes");
    // And the caret after the bare CR is on its last byte.
    await page.focus("#editor");
    await page.keyboard.press("Control+End");
    await page.keyboard.press("ArrowLeft");
    assert.match(await page.textContent("#byte-at"), /^byte 50 \(0x32\): 0x62 'b'/);
  });

  it("links the caret and the steps in a 5 MiB paste, in about the time of a small one", async () => {
    await load();
    const n = 5 * 1024 * 1024;
    await page.evaluate((n) => {
      const e = document.getElementById("editor");
      // The last byte of the body's two is "é": 5 MiB of bytes in one character fewer.
      e.value = `PUT /big.bin HTTP/1.1\nHost: x\nContent-Length: ${n}\n\n${"a".repeat(n - 2)}\u00e9`;
      e.dispatchEvent(new InputEvent("input", { inputType: "insertFromPaste", bubbles: true }));
    }, n);
    const times = [];
    for (const sel of ["#last", "#prev", "#first", "#next", "#last", "#prev"]) {
      times.push(await page.evaluate((sel) => {
        const t = performance.now();
        document.querySelector(sel).click();
        void document.body.offsetHeight;
        return performance.now() - t;
      }, sel));
    }
    console.log(`5 MiB paste: a step, its bytes selected in the editor, took ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
    assert.ok(Math.max(...times) < 1000);
    assert.equal(await current(), "body: 5242880 bytes");
    const [a, b, len] = await page.evaluate(() => {
      const e = document.getElementById("editor");
      return [e.selectionStart, e.selectionEnd, e.value.length];
    });
    assert.deepEqual([b, len], [len, len], "the body runs to the end of the text");
    assert.equal(len - a, n - 1, "5 MiB of bytes: the last character is two of them");
    // The caret at the end of the text: the body's step.
    await page.click("#first");
    await page.focus("#editor");
    await page.keyboard.press("Control+End");
    assert.equal(await current(), "body: 5242880 bytes");
  });

  it("fits a 360 px window with the new panels; screenshots at 360, 768 and 1280 px", async () => {
    await load();
    for (const [mode, id, name] of [["request", "pipelined", "pipelined"], ["request", "typo", "typo"], ["response", "r-405-bare", "response-lint"]]) {
      await preset(mode, id);
      if (id === "typo") await page.click("#expert li[data-name=NearKnownName] button");
      for (const width of [360, 768, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        await screenshot(page, `lessons-${name}-${width}`);
        assert.ok(scroll <= inner, `${name}: ${scroll} px wide in a window of ${inner} px`);
        for (const sel of ["#expert", "#exchanges", "#conversation"]) {
          const over = await page.$eval(sel, (e) => e.scrollWidth - e.clientWidth);
          assert.ok(over <= 0, `${name} at ${width} px: ${sel} is ${over} px too wide`);
        }
      }
    }
  });

  /** Presses Tab until `done()` holds in the page; returns the ARIA line of each stop. */
  async function tabTo(done) {
    const seen = [];
    for (let k = 0; k < 80; k++) {
      await page.keyboard.press("Tab");
      seen.push(await page.locator(":focus").ariaSnapshot());
      if (await page.evaluate(done)) return seen;
    }
    throw new Error(`not reached by Tab: ${seen.join(" | ")}`);
  }

  it("walks with the keyboard alone through a preset, its expert info and its conversation", async () => {
    await load();
    await page.locator("body").focus();
    await tabTo(() => document.activeElement.id === "preset");
    for (let k = 0; k < 40 && (await page.inputValue("#preset")) !== "host-differs"; k++) await page.keyboard.press("ArrowDown");
    assert.equal(await page.inputValue("#preset"), "host-differs");
    // To the expert info: its button selects the Host that differs.
    const stops = await tabTo(() => document.activeElement.classList.contains("lint-show"));
    assert.match(stops.at(-1), /button "Select the bytes of HostDiffersFromTarget, bytes \d+–\d+"/);
    await page.keyboard.press("Enter");
    assert.equal(await editorSelection(), "other.example");
    assert.equal(await current(), "field: Host: other.example");
    assert.ok(await page.evaluate(() => document.activeElement.classList.contains("lint-show")), "the focus stays on the button");
    // On to the conversation: read the first response as the client.
    stops.push(...(await tabTo(() => document.activeElement.closest("#conversation") && document.activeElement.classList.contains("read-client"))));
    assert.match(stops.at(-1), /button "Read response 1 as the client: open its bytes in response mode"/);
    await page.keyboard.press("Enter");
    assert.equal(await focused(), "mode-response");
    assert.equal(await page.isChecked("#mode-response"), true);
    // The steps of the response, with the arrow keys, then its expert info.
    stops.push(...(await tabTo(() => document.activeElement.id === "steplist")));
    await page.keyboard.press("End");
    assert.match(await current(), /^end of response 1$/);
    stops.push(...(await tabTo(() => document.activeElement.classList.contains("lint-show"))));
    assert.match(stops.at(-1), /button "Select the bytes of \w+, bytes \d+–\d+"/);
    await page.keyboard.press("Enter");
    assert.ok((await editorSelection()).length > 0, "the finding's bytes are selected");
    assert.notEqual(await current(), "end of response 1", "the step that read them is selected");
    // Back to the request with the arrow keys on the mode radios: the typo is still there.
    await page.focus("#mode-response");
    await page.keyboard.press("ArrowUp");
    assert.equal(await page.isChecked("#mode-request"), true);
    assert.match(await page.inputValue("#editor"), /Host: other\.example/);
    for (const stop of stops) assert.match(stop, /"[^"]+"|: \S/, `every stop has a name: ${stop}`);
    await screenshot(page, "lessons-keyboard");
  });
});
