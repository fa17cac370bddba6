// The two lessons of the explorer beside the parse: how other parsers read the ambiguous
// inputs request smuggling lives on (a reviewed table kept in step with the presets, whose
// simplehttp column is what the live parser does), and the framing decision as RFC 9112
// §6.3's checklist, in both modes. Both readable at 360 px; no console error or warning.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { ARTIFACTS, DIST, ROOT, openBrowser, screenshot, serveStatic } from "./harness.mjs";

const { PRESETS, RESPONSE_PRESETS } = await import(join(ROOT, "web-demo", "www", "presets.js"));
const { CASES, PARSERS, VERDICTS } = await import(join(ROOT, "web-demo", "www", "parsers.js"));

/** Saves a screenshot of one element under target/browser-artifacts/. */
async function shot(locator, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await locator.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

describe("the parser comparison table is reviewed data in step with the presets", () => {
  it("gives every ambiguous preset a row, and every row names presets that exist", () => {
    const ids = new Set(PRESETS.map((p) => p.id));
    const ambiguous = PRESETS.filter((p) => p.ambiguous).map((p) => p.id);
    assert.ok(ambiguous.length >= 16, `${ambiguous.length} ambiguous presets`);
    for (const id of ambiguous) assert.ok(CASES.some((c) => c.presets.includes(id)), `a row for the preset ${id}`);
    for (const c of CASES) {
      assert.ok(c.presets.length > 0, `${c.id} names a preset`);
      for (const p of c.presets) assert.ok(ids.has(p), `${c.id}: the preset ${p} exists`);
    }
    assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length, "row ids are unique");
  });

  it("has a claim for every parser in every row, each with a source or marked not verified", () => {
    for (const c of CASES) {
      assert.ok(c.title && c.rfc.text && c.rfc.sources.length, `${c.id}: what the RFC says, and where`);
      assert.ok(c.simplehttp.refuses || c.simplehttp.accepts, `${c.id}: simplehttp's expected outcome`);
      for (const p of PARSERS) {
        const claim = c.claims[p.id];
        assert.ok(claim, `${c.id}: a claim for ${p.id}`);
        assert.ok(VERDICTS.includes(claim.verdict), `${c.id}/${p.id}: verdict ${claim.verdict}`);
        if (claim.verdict === "not verified") continue;
        assert.ok(claim.text.length > 10, `${c.id}/${p.id}: says what it does`);
        assert.ok(claim.sources.length > 0, `${c.id}/${p.id}: has a source`);
        for (const s of [...claim.sources, ...c.rfc.sources]) {
          assert.match(s.url, /^https:\/\/[^\s]+$/, `${c.id}/${p.id}: ${s.label}`);
          assert.ok(s.label.length > 3);
        }
      }
      assert.deepEqual(Object.keys(c.claims).sort(), PARSERS.map((p) => p.id).sort(), `${c.id}: no claim for an unknown parser`);
    }
  });
});

describe("the explorer's parser comparison and framing checklist", { timeout: 300_000 }, () => {
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

  /** What the panel shows: the row, and simplehttp's live outcome. */
  const panel = () => page.evaluate(() => {
    const box = document.getElementById("parsers");
    const sh = box.querySelector('tr[data-parser="simplehttp"]');
    return {
      case: box.dataset.case,
      verdict: sh?.dataset.verdict,
      matches: sh?.dataset.matches,
      text: sh?.textContent ?? "",
      parsers: [...box.querySelectorAll("tbody tr")].map((tr) => [tr.dataset.parser, tr.dataset.verdict]),
      links: box.querySelectorAll("a[href^='https://']").length,
    };
  });

  /** The live parse of the page: the error's name and status, or the first head's framing. */
  const liveParse = () => page.evaluate(async () => {
    const { parseRequest } = await import(new URL("pkg/simplehttp_web_demo.js", location.href).href);
    const enc = new TextEncoder();
    // The bytes the page parsed, as the page itself made them from the editor.
    const text = document.getElementById("editor").value;
    const crlf = document.getElementById("crlf").checked;
    const out = [];
    for (const part of text.split(/(\n|\u240D|\u240A)/)) {
      if (part === "\n") out.push(...(crlf ? [13, 10] : [10]));
      else if (part === "\u240D") out.push(13);
      else if (part === "\u240A") out.push(10);
      else if (part) out.push(...enc.encode(part));
    }
    const steps = parseRequest(new Uint8Array(out), 0, false);
    const err = steps.find((s) => s.kind === "error");
    const head = steps.find((s) => s.kind === "head");
    return err ? { refuses: err.code, status: err.status } : { accepts: head?.framing, length: head?.length };
  });

  it("shows, for every ambiguous preset, its row with simplehttp's column from the live parser", async () => {
    await load();
    for (const c of CASES) {
      for (const preset of c.presets) {
        await page.selectOption("#preset", preset);
        const p = await panel();
        assert.equal(p.case, c.id, `${preset}: the row shown`);
        const live = await liveParse();
        // The table's expectation is what the WebAssembly parser does with these bytes...
        if (c.simplehttp.refuses) {
          assert.deepEqual(live, { refuses: c.simplehttp.refuses, status: c.simplehttp.status }, `${preset}: simplehttp refuses`);
          assert.equal(p.verdict, "refuses", preset);
          assert.ok(p.text.includes(c.simplehttp.refuses) && p.text.includes(`→ ${c.simplehttp.status}`), `${preset}: ${p.text}`);
          assert.match(p.text, /RFC \d+ §/, `${preset}: the RFC section from the core`);
        } else {
          assert.equal(live.accepts, c.simplehttp.accepts, `${preset}: simplehttp accepts`);
          if (c.simplehttp.length !== undefined) assert.equal(live.length, c.simplehttp.length, preset);
          assert.equal(p.verdict, "accepts", preset);
          assert.match(p.text, /rule \d/, `${preset}: the framing rule from the core`);
        }
        // ...and the panel says it matches.
        assert.equal(p.matches, "true", `${preset}: the live parse matches the reviewed row`);
        assert.deepEqual(p.parsers.map(([id]) => id), ["simplehttp", ...PARSERS.map((x) => x.id)]);
        for (const [id, v] of p.parsers.slice(1)) assert.equal(v, c.claims[id].verdict, `${preset}: ${id}`);
        assert.ok(p.links >= 7, `${preset}: sources are links (${p.links})`);
      }
    }
  });

  it("recognises each case in typed input from the core's parse result alone", async () => {
    await load();
    for (const c of CASES) {
      if (c.id === "chunk-ext") continue; // checked below with a preset of its own
      await page.selectOption("#preset", c.presets[0]);
      // The same bytes as the user's own input: no preset to go by.
      await page.$eval("#editor", (e) => e.dispatchEvent(new Event("input")));
      assert.equal(await page.inputValue("#preset"), "");
      assert.equal((await panel()).case, c.id, `typed ${c.presets[0]}`);
    }
    await page.fill("#editor", "PUT /a HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n3;q=\"v\"\nabc\n0\n\n");
    assert.equal((await panel()).case, "chunk-ext");
    await page.fill("#editor", "GET / HTTP/1.1\nHost: x\n\n");
    assert.equal((await panel()).case, "");
    assert.match(await page.textContent("#parsers"), /none of the \d+ ambiguous cases/);
    // Edited away from what the row was reviewed with: the panel says so.
    await page.fill("#editor", "POST /a HTTP/1.1\nHost: x\nContent-Length: 3\nContent-Length: 3\n\nabc");
    const p = await panel();
    assert.equal(p.case, "cl-twice-equal");
    assert.equal(p.matches, "false");
    assert.match(p.text, /differs from the preset/);
  });

  /** The checklist: the rule that decided, and the state of each rule. */
  const checklist = () => page.evaluate(() => {
    const box = document.getElementById("checklist");
    return {
      decided: box.dataset.decided,
      states: [...box.querySelectorAll("li")].map((li) => li.dataset.state),
      current: box.querySelector('li[aria-current="true"]')?.dataset.rule ?? null,
      summary: box.querySelector(".cl-summary")?.textContent ?? "",
      text: box.textContent,
    };
  });
  const expectStates = (decided, how) =>
    Array.from({ length: 8 }, (_, i) => (i + 1 < decided ? "skipped" : i + 1 === decided ? how : "later"));

  it("ticks RFC 9112 §6.3's rules in order for requests, the deciding one highlighted", async () => {
    await load();
    const rows = [
      ["get", 7, "decided", /RequestWithoutLength/],
      ["put-new", 6, "decided", /ContentLength/],
      ["chunked", 4, "decided", /Chunked/],
      ["smuggle", 3, "refused", /ContentLengthWithTransferEncoding → 400/],
      ["chunked-not-last", 4, "refused", /ChunkedNotLast → 400/],
      ["cl-twice-differ", 5, "refused", /ConflictingContentLength → 400/],
      ["cl-twice-equal", 6, "decided", /ContentLength/],
    ];
    for (const [preset, rule, how, summary] of rows) {
      await page.selectOption("#preset", preset);
      await page.click("#last");
      const c = await checklist();
      assert.equal(c.decided, String(rule), preset);
      assert.deepEqual(c.states, expectStates(rule, how), preset);
      assert.equal(c.current, String(rule), `${preset}: the deciding rule is marked current`);
      assert.match(c.summary, summary, preset);
      if (rule > 1) assert.match(c.text, /did not apply \(responses only\)/, `${preset}: rule 1 speaks of responses`);
    }
    // Refused before the rules: nothing decided, nothing ticked.
    for (const preset of ["bare-lf", "te-http10", "obs-fold"]) {
      await page.selectOption("#preset", preset);
      await page.click("#last");
      const c = await checklist();
      assert.equal(c.decided, "", preset);
      assert.deepEqual(c.states, Array(8).fill("not-reached"), preset);
      assert.match(c.summary, /refused before the message-length rules/, preset);
    }
    // Pipelined: the checklist follows the message of the selected step.
    await page.selectOption("#preset", "pipelined");
    await page.click("#first");
    assert.match((await checklist()).summary, /^Request 1: rule 7/);
    const second = await page.$$eval("#steplist li", (l) => l.findIndex((li) => /HEAD \/docs\/notes\.md/.test(li.textContent)));
    assert.ok(second > 0);
    await page.click(`#steplist li:nth-child(${second + 1}) button`);
    assert.match((await checklist()).summary, /^Request 2: rule 7/);
    await shot(page.locator(".checklist-panel"), "checklist-request-pipelined");
  });

  it("ticks the rules for responses too: HEAD, 304, 1xx, chunked, length, close, conflict", async () => {
    await load();
    await page.check("#mode-response");
    const rows = [
      ["r-304", 1, "decided"],
      ["r-head", 1, "decided"],
      ["r-chunked", 4, "decided"],
      ["r-length", 6, "decided"],
      ["r-close", 8, "decided"],
      ["r-conflict", 3, "refused"],
    ];
    for (const [preset, rule, how] of rows) {
      await page.selectOption("#preset", preset);
      await page.click("#last");
      const c = await checklist();
      assert.equal(c.decided, String(rule), preset);
      assert.deepEqual(c.states, expectStates(rule, how), preset);
      assert.match(c.summary, /^Response 1/, preset);
      assert.doesNotMatch(c.text, /\(responses only\)/, `${preset}: in response mode, no rule is for the other side`);
    }
    // 100 Continue, then 201: the interim head is decided by rule 1, the final one by rule 6.
    await page.selectOption("#preset", "r-continue");
    await page.click("#first");
    let c = await checklist();
    assert.equal(c.decided, "1");
    assert.match(c.summary, /interim 100/);
    await page.click("#last");
    c = await checklist();
    assert.equal(c.decided, "6");
    assert.match(c.text, /did not apply \(requests only\)|not consulted/);
    // The comparison of parsers speaks of requests: hidden with the server's panels.
    assert.equal(await page.isVisible("#parsers"), false);
    await page.check("#mode-request");
    assert.equal(await page.isVisible("#parsers"), true);
  });

  it("reads well at 360 px: long text wraps inside the panels, the page never scrolls sideways", async () => {
    await load();
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      for (const preset of ["smuggle", "chunk-overflow", "cl-list", "bare-cr"]) {
        await page.selectOption("#preset", preset);
        const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(scroll <= inner, `${preset} at ${width} px: the page is ${scroll} px wide in a ${inner} px window`);
        const spill = await page.evaluate(() => {
          const out = [];
          for (const id of ["parsers", "checklist"]) {
            const box = document.getElementById(id).closest("section").getBoundingClientRect();
            for (const e of document.getElementById(id).querySelectorAll("*")) {
              const r = e.getBoundingClientRect();
              if (r.width && (r.right > box.right + 1 || r.left < box.left - 1)) out.push(`${id}: ${e.tagName} ${e.textContent.slice(0, 30)}`);
            }
          }
          return out;
        });
        assert.deepEqual(spill, [], `${preset} at ${width} px: nothing runs out of its panel`);
      }
      await page.selectOption("#preset", "smuggle");
      await screenshot(page, `parsers-page-${width}`);
      await shot(page.locator(".parsers-panel"), `parsers-panel-${width}`);
      await page.click("#last");
      await shot(page.locator(".checklist-panel"), `checklist-panel-${width}`);
    }
  });
});

// Response presets need no row: the comparison is of requests.
assert.ok(RESPONSE_PRESETS.every((p) => !p.ambiguous));
