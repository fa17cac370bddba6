// The explorer for every reader: the contrast of every text against what is behind it
// (WCAG AA), a legend of the colours, and the whole page used with the keyboard alone.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { DIST, offsetsOf, openBrowser, screenshot, serveStatic } from "./harness.mjs";

/**
 * In the page: every visible text (an element with text of its own) whose colour, against
 * the backgrounds behind it composited in order, is under 4.5:1 (3:1 for large text).
 * Returns [{ text, classes, ratio, fg, bg }].
 */
function lowContrast() {
  const parse = (c) => {
    const m = /rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:,? \/? ?([\d.]+))?\)/.exec(c);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : [0, 0, 0, 0];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((k) => top[k] * a + under[k] * (1 - a)).concat(1);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    const layers = [];
    for (let n = e; n; n = n.parentElement) layers.push(parse(getComputedStyle(n).backgroundColor));
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const out = [];
  let checked = 0;
  for (const e of document.querySelectorAll("body *")) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !e.getClientRects().length) continue;
    const cs = getComputedStyle(e);
    if (cs.visibility !== "visible" || e.closest("[hidden], :disabled, .sr-only, .seg input")) continue;
    let opacity = 1;
    for (let n = e; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    if (opacity < 0.99) {
      out.push({ text: e.textContent.slice(0, 40), classes: e.className, ratio: 0, fg: `opacity ${opacity}`, bg: "" });
      continue;
    }
    checked++;
    const bg = background(e);
    const fg = over(parse(cs.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      out.push({ text: e.textContent.slice(0, 40), classes: `${e.tagName} ${e.className}`, ratio: Number(ratio.toFixed(2)), fg: cs.color, bg: `rgb(${bg.slice(0, 3).map(Math.round)})` });
    }
  }
  return { out, checked };
}

describe("the explorer for every reader", { timeout: 300_000 }, () => {
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

  it("gives every text at least 4.5:1 against its background, at every step of the presets, in both views", async () => {
    await load();
    const seen = new Set();
    const bad = [];
    const check = async (where) => {
      const { out, checked } = await page.evaluate(lowContrast);
      assert.ok(checked > 50, `${checked} texts checked`);
      for (const f of out) {
        const key = `${f.classes} ${f.fg} ${f.bg}`;
        if (!seen.has(key)) {
          seen.add(key);
          bad.push({ where, ...f });
        }
      }
    };
    // Reads of 9 bytes, so that steps have bytes already read and bytes not yet arrived.
    for (const [mode, preset, segment] of [
      ["request", "get", "9"], ["request", "chunked", "0"], ["request", "smuggle", "0"], ["request", "bare-lf", "0"],
      ["request", "pipelined", "0"], ["response", "r-chunked", "7"], ["response", "r-malformed", "0"],
      // Expert info at every level, and the conversation (100 Continue, a refusal, the close).
      ["request", "typo", "0"], ["request", "put-continue", "0"], ["response", "r-cacheable", "0"],
      ["response", "r-405-bare", "0"], ["response", "r-bare", "0"],
    ]) {
      await page.check(`#mode-${mode}`);
      await page.selectOption("#preset", preset);
      await page.fill("#segment", segment);
      const n = await page.locator("#steplist li").count();
      for (const view of ["text", "hex"]) {
        await page.check(`#view-${view}`);
        for (let k = 0; k < n; k++) {
          await page.click(`#steplist li:nth-child(${k + 1}) button`);
          await check(`${preset}, ${view} view, step ${k + 1}`);
        }
      }
    }
    await page.fill("#segment", "0");
    await page.check("#mode-request");
    await page.check("#view-text");
    // A typo the expert info flags.
    await page.fill("#editor", "POST /a HTTP/1.1\nHost: x\nContent-Lenght: 5\n\nhello");
    await check("a flagged typo");
    // The expert info's levels and the conversation's turns are checked as drawn, and each
    // level's colours were checked above; here they must also be there to check.
    for (const sel of ["#expert li.lv-warning .lv", "#exchanges li.lv-good .lv", "#exchanges li.lv-note .lv", "#conversation li.t-response"]) {
      if (sel.includes("#exchanges")) await page.selectOption("#preset", "get");
      assert.ok(await page.locator(sel).count() > 0, `${sel} is drawn`);
    }
    await page.selectOption("#preset", "smuggle");
    assert.ok(await page.locator("#conversation li.t-server-closed").count() > 0);
    await check("a refused request's conversation");
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
  });

  it("gives the framing checklist and the parser comparison AA contrast in every state they show", async () => {
    await load();
    const bad = [];
    const seen = new Set();
    const states = new Set();
    const verdicts = new Set();
    for (const [mode, preset] of [
      ["request", "get"], ["request", "smuggle"], ["request", "cl-twice-equal"], ["request", "chunk-trail-space"],
      ["request", "te-http10"], ["response", "r-304"], ["response", "r-conflict"], ["response", "r-close"],
    ]) {
      await page.check(`#mode-${mode}`);
      await page.selectOption("#preset", preset);
      await page.click("#last");
      for (const s of await page.$$eval("#checklist li", (l) => l.map((li) => li.dataset.state))) states.add(s);
      for (const v of await page.$$eval("#parsers tbody tr", (l) => l.map((tr) => tr.dataset.verdict))) verdicts.add(v);
      const { out } = await page.evaluate(lowContrast);
      for (const f of out.filter((f) => !seen.has(`${f.classes} ${f.fg} ${f.bg}`))) {
        seen.add(`${f.classes} ${f.fg} ${f.bg}`);
        bad.push({ where: preset, ...f });
      }
    }
    // Every state of a rule and every verdict was on the page when contrast was computed.
    for (const s of ["decided", "refused", "skipped", "later", "not-reached"]) assert.ok(states.has(s), `a rule ${s}`);
    for (const v of ["refuses", "accepts"]) assert.ok(verdicts.has(v), `a verdict ${v}`);
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
    await page.check("#mode-request");
  });

  it("shows a legend of what each colour of the bytes means, in the colours of the bytes", async () => {
    await load();
    assert.equal(await page.isVisible("#legend"), true);
    const legend = await page.$$eval("#legend li", (lis) => lis.map((li) => {
      const sw = li.querySelector(".sw");
      const cs = getComputedStyle(sw);
      return [sw.classList[1], li.textContent.replace(sw.textContent, "").trim(), cs.backgroundColor, cs.color];
    }));
    const kinds = legend.map(([k]) => k);
    for (const k of ["hl", "reqline", "fname", "fval", "data", "err", "done", "pending", "ctl", "lint-warning"]) {
      assert.ok(kinds.includes(k), `the legend explains ${k}`);
    }
    // Each swatch is drawn as the bytes are: the same colours as a byte with that mark.
    await page.fill("#segment", "9");
    await page.click('#steplist li[data-kind="need-more"] button');
    for (const [k, , bg, fg] of legend.filter(([k]) => ["done", "pending", "hl"].includes(k))) {
      const byte = await page.$eval(`#bytes span.${k}:not(.reqline, .fname, .fval, .data, .ext, .err)`, (s) => [getComputedStyle(s).backgroundColor, getComputedStyle(s).color]).catch(() => null);
      if (byte) assert.deepEqual(byte, [bg, fg], `${k}: the swatch and the bytes match`);
    }
    assert.ok((await offsetsOf(page, "#bytes span.pending")).length > 0, "a step with bytes not yet arrived");
    await screenshot(page, "access-legend");
  });

  /** Presses Tab (or Shift+Tab) until `done()` holds in the page; returns the ARIA line of
   * each element passed on the way. */
  async function tabTo(done, back = false) {
    const seen = [];
    for (let k = 0; k < 60; k++) {
      await page.keyboard.press(back ? "Shift+Tab" : "Tab");
      seen.push(await page.locator(":focus").ariaSnapshot());
      if (await page.evaluate(done)) return seen;
    }
    throw new Error(`not reached by Tab: ${seen.join(" | ")}`);
  }

  it("walks through a preset with the keyboard alone, every stop named for what it acts on", async () => {
    await load();
    await page.locator("body").focus();
    const stops = await tabTo(() => document.activeElement.id === "preset");
    // Choose the preset with the arrow keys.
    for (let k = 0; k < 12 && (await page.inputValue("#preset")) !== "put-new"; k++) await page.keyboard.press("ArrowDown");
    assert.equal(await page.inputValue("#preset"), "put-new");
    assert.match(await page.textContent("#steplist li.current"), /^head: PUT \/docs\/new\.txt/);
    stops.push(...(await tabTo(() => document.activeElement.id === "steplist")));
    // Every step, one arrow key each; the step list is one stop.
    const n = Number(/of (\d+)/.exec(await page.textContent("#position"))[1]);
    for (let k = 1; k < n; k++) await page.keyboard.press("ArrowDown");
    assert.equal(await page.textContent("#position"), `step ${n} of ${n}`);
    assert.match(await page.textContent("#steplist li.current"), /^end of request 1$/);
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "steplist", "Enter keeps the focus on the steps");
    await page.keyboard.press("Home");
    assert.equal(await page.textContent("#position"), `step 1 of ${n}`);
    // Back to the bytes: the cursor reaches the body, Enter selects the step that read it.
    stops.push(...(await tabTo(() => document.activeElement.id === "bytes", true)));
    const input = await page.evaluate(() => document.getElementById("editor").value.replaceAll("\n", "\r\n"));
    await page.keyboard.press("End");
    assert.deepEqual(await offsetsOf(page, "#bytes span.cursor"), [input.length - 1]);
    await page.keyboard.press("Enter");
    assert.equal(await page.textContent("#steplist li.current"), "body: 11 bytes");
    assert.equal(await page.evaluate(() => document.activeElement.id), "bytes");
    // And on through the answer and the store.
    stops.push(...(await tabTo(() => document.activeElement.textContent === "delete")));
    for (const stop of stops) assert.match(stop, /"[^"]+"|: \S/, `every stop has a name: ${stop}`);
    assert.match(stops.at(-1), /button "Delete \/docs\/notes\.md"/);
    for (const path of ["/hello.txt", "/docs/notes.md"]) {
      assert.equal(await page.getByRole("button", { name: `Edit ${path}`, exact: true }).count(), 1);
      assert.equal(await page.getByRole("button", { name: `Delete ${path}`, exact: true }).count(), 1);
    }
    await screenshot(page, "access-keyboard");
  });

  it("undoes typing and inserted CR or LF in the editor", async () => {
    await load();
    const before = await page.inputValue("#editor");
    const count = await page.textContent("#bytecount");
    await page.focus("#editor");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("X");
    assert.equal(await page.inputValue("#editor"), `${before}X`);
    await page.keyboard.press("Control+z");
    assert.equal(await page.inputValue("#editor"), before);
    await page.click("#ins-lf");
    assert.equal(await page.inputValue("#editor"), `${before}\u240A`);
    assert.notEqual(await page.textContent("#bytecount"), count);
    await page.keyboard.press("Control+z");
    assert.equal(await page.inputValue("#editor"), before, "the inserted LF is undone");
    assert.equal(await page.textContent("#bytecount"), count, "and the parse follows");
  });
});
