// The explorer's hex view of the bytes the parser saw: every byte as a hex pair at its offset,
// the same bytes marked as in the text view for each step, the same clicks, and the choice
// kept in the page's address.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { DIST, clickByte, offsetsOf, openBrowser, screenshot, serveStatic } from "./harness.mjs";

const GET = "GET /hello.txt HTTP/1.1\r\nHost: example.com\r\nUser-Agent: explorer/1\r\nAccept: */*\r\n\r\n";
// The classes the explorer marks a byte with for the selected step.
const MARKS = ["hl", "reqline", "fname", "fval", "data", "ext", "err", "cut", "done", "pending"];

const hex2 = (b) => b.toString(16).padStart(2, "0");
const utf8 = (s) => [...new TextEncoder().encode(s)];
/** The line of a classic 16-byte dump for `bytes` at `offset`. */
function dumpLine(bytes, offset) {
  const row = bytes.slice(offset, offset + 16);
  const pairs = row.map(hex2);
  const hex = [pairs.slice(0, 8).join(" "), pairs.slice(8).join(" ")].filter(Boolean).join("  ");
  const text = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  return `${hex2(offset >> 8)}${hex2(offset & 0xff)}  ${hex.padEnd(48)}  ${text}`;
}

describe("hex view of the explorer", { timeout: 120_000 }, () => {
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
    const problems = browser.problems.splice(0);
    assert.deepEqual(problems, [], "the page logged errors or warnings");
  });

  async function load() {
    await page.goto(server.url);
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  }

  /** The hex pairs shown, as [[offset, "0a"], ...]. */
  function hexCells() {
    return page.$$eval("#hexview .hx[data-i]", (l) => l.flatMap((s) =>
      s.textContent.split(/ +/).map((pair, k) => [Number(s.dataset.i) + k, pair])));
  }

  /** The offsets of the bytes carrying `cls`: in the text view, or in the hex view's hex or ASCII column. */
  function marked(cls, where) {
    const sel = { text: `#bytes span.${cls}`, hex: `#hexview .hx.${cls}`, ascii: `#hexview .ch.${cls}` }[where];
    return offsetsOf(page, sel);
  }

  /** Every mark of every byte for the selected step, in one view. */
  function allMarks(where) {
    const sel = { text: "#bytes span", hex: "#hexview .hx", ascii: "#hexview .ch" }[where];
    return page.evaluate(([sel, marks]) => Object.fromEntries(marks.map((cls) =>
      [cls, [...document.querySelectorAll(`${sel}.${cls}`)].flatMap((s) =>
        Array.from({ length: Number(s.dataset.n || 1) }, (_, k) => Number(s.dataset.i) + k))])), [sel, MARKS]);
  }

  /** The state the page keeps in its address. */
  async function savedState() {
    const hash = new URL(page.url()).hash;
    const m = /^#s=([A-Za-z0-9_-]+)$/.exec(hash);
    assert.ok(m, `the address holds the state: ${hash}`);
    return JSON.parse(Buffer.from(m[1], "base64url").toString("utf8"));
  }

  /** Puts `text` in the editor as typing would (faster than page.fill for long text). */
  async function type(text) {
    await page.evaluate((t) => {
      const e = document.getElementById("editor");
      e.value = t;
      e.dispatchEvent(new Event("input"));
    }, text);
  }

  const rows = () => page.$$eval("#hexview .hexrow[data-offset]", (l) => l.map((r) => r.textContent));

  it("shows a bare LF as 0a with no 0d before it, at its offset, and marks the byte the parser refused", async () => {
    await load();
    await page.selectOption("#preset", "bare-lf");
    assert.equal(await page.isVisible("#hexview"), false, "the text view is the default");
    await page.check("#view-hex");
    assert.equal(await page.isVisible("#hexview"), true);
    assert.equal(await page.isVisible("#bytes"), false);

    const input = utf8("GET / HTTP/1.1\nHost: example.com\r\n\r\n");
    const cells = await hexCells();
    assert.deepEqual(cells, input.map((b, i) => [i, hex2(b)]), "one hex pair per byte, in order");
    assert.equal(cells[14][1], "0a", "the bare LF is byte 14");
    assert.equal(cells[13][1], "31", "…and no CR (0d) comes before it");
    assert.deepEqual([cells[32][1], cells[33][1]], ["0d", "0a"], "the line after it ends in CR LF");
    assert.deepEqual(await rows(), [0, 16, 32].map((o) => dumpLine(input, o)), "offset, 16 pairs a row, ASCII");
    assert.equal(await page.getAttribute('#hexview .hexrow[data-offset="0"] .off', "class"), "off");
    assert.equal(await page.textContent('#hexview .ch[data-i="14"]'), ".", "non-printable bytes are dots in the ASCII column");
    assert.match(await page.getAttribute('#hexview .hx[data-i="14"]', "title"), /^byte 14 \(0xe\): 0x0a LF$/);

    await page.click("#last");
    assert.match(await page.textContent("#steplist li.current"), /^error → 400: /);
    assert.match(await page.textContent("#detail"), /at byte 14 \(0x0a\)/);
    assert.deepEqual(await marked("err", "hex"), [14], "the refused byte is marked in the hex column");
    assert.deepEqual(await marked("err", "ascii"), [14], "…and in the ASCII column");
    await page.check("#view-text");
    assert.deepEqual(await marked("err", "text"), [14], "the text view marks the same byte");
  });

  it("marks in hex exactly the bytes the text view marks, step by step", async () => {
    // Reads of 9 bytes for one of them: the parser waits, and bytes not yet read are dimmed.
    for (const [preset, segment] of [["get", "9"], ["chunked", "0"], ["smuggle", "0"], ["pipelined", "0"]]) {
      await load();
      await page.selectOption("#preset", preset);
      await page.fill("#segment", segment);
      const n = await page.locator("#steplist li").count();
      const text = [];
      for (let k = 0; k < n; k++) {
        await page.click(`#steplist li:nth-child(${k + 1}) button`);
        text.push(await allMarks("text"));
      }
      await page.check("#view-hex");
      for (let k = 0; k < n; k++) {
        await page.click(`#steplist li:nth-child(${k + 1}) button`);
        const step = `${preset}, step ${k + 1}`;
        assert.deepEqual(await allMarks("hex"), text[k], `${step}: hex column`);
        assert.deepEqual(await allMarks("ascii"), text[k], `${step}: ASCII column`);
      }
    }
  });

  it("highlights a field step's byte range, its name and its value", async () => {
    await load();
    await page.check("#view-hex");
    await page.click('#steplist li:has-text("field: User-Agent") button');
    const from = GET.indexOf("User-Agent");
    const line = "User-Agent: explorer/1\r\n";
    const range = (a, len) => Array.from({ length: len }, (_, k) => a + k);
    assert.deepEqual(await marked("hl", "hex"), range(from, line.length));
    assert.deepEqual(await marked("fname", "hex"), range(from, "User-Agent".length));
    assert.deepEqual(await marked("fval", "hex"), range(GET.indexOf("explorer/1"), "explorer/1".length));
    assert.deepEqual(await marked("hl", "ascii"), range(from, line.length));
    await screenshot(page, "explorer-hex");
    await page.check("#view-text");
    await screenshot(page, "explorer-text");
  });

  it("shows each byte of tabs, trailing spaces, non-ASCII and NUL as it is", async () => {
    await load();
    await page.check("#view-hex");
    const text = "GET / HTTP/1.1\nHost: x  \nX-Fold: a\n\tb\nX-Name: é\u0000\n\n";
    await page.fill("#editor", text);
    const input = utf8(text.replaceAll("\n", "\r\n"));
    assert.ok(input.includes(0), "the field keeps the NUL");
    assert.deepEqual(await hexCells(), input.map((b, i) => [i, hex2(b)]));
    const at = (s) => text.replaceAll("\n", "\r\n").indexOf(s);
    const pairs = async (from, n) => (await hexCells()).slice(from, from + n).map(([, h]) => h).join(" ");
    assert.equal(await pairs(at("x  \r\n"), 5), "78 20 20 0d 0a", "trailing spaces before CR LF");
    assert.equal(await pairs(at("\r\n\tb"), 4), "0d 0a 09 62", "an obs-fold tab after CR LF");
    assert.equal(await pairs(at("é"), 3), "c3 a9 00", "é as two UTF-8 bytes, then NUL");
    assert.deepEqual(await rows(), [0, 16, 32, 48].map((o) => dumpLine(input, o)));
    // Bytes a reader must tell apart are coloured: CR, LF, HT, and anything outside printable ASCII.
    const odd = await offsetsOf(page, "#hexview .hx:is(.ctl, .bin)");
    assert.deepEqual(odd, input.flatMap((b, i) => (b < 0x20 || b >= 0x7f ? [i] : [])));
  });

  it("does what the text view does with a click: selects the step, or ends a read there", async () => {
    await load();
    await page.check("#view-hex");
    await clickByte(page, "#hexview", 50, "hx");
    assert.equal(await page.textContent("#steplist li.current"), "field: User-Agent: explorer/1");
    await clickByte(page, "#hexview", GET.indexOf("*/*"), "ch");
    assert.equal(await page.textContent("#steplist li.current"), "field: Accept: */*");
    await clickByte(page, "#hexview", 2, "hx");
    assert.equal(await page.textContent("#steplist li.current"), "request line: GET /hello.txt HTTP/1.1");

    await page.check("#cutmode");
    await clickByte(page, "#hexview", 10, "hx");
    await clickByte(page, "#hexview", 40, "ch");
    const waits = await page.$$eval('#steplist li[data-kind="need-more"]', (l) => l.map((li) => li.textContent));
    assert.deepEqual(waits, [
      `waiting for more bytes (10 of ${GET.length} arrived)`,
      `waiting for more bytes (40 of ${GET.length} arrived)`,
    ]);
    assert.deepEqual(await marked("cut", "hex"), [10, 40]);
    assert.deepEqual(await marked("cut", "ascii"), [10, 40]);
    await clickByte(page, "#hexview", 10, "hx");
    assert.deepEqual(await marked("cut", "hex"), [40], "a second click removes a cut");
    await page.check("#view-text");
    assert.deepEqual(await marked("cut", "text"), [40], "the text view shows the same cut");
    await page.click("#clearcuts");
    await page.uncheck("#cutmode");
  });

  it("keeps the choice in the address: a reload or a shared link opens the same view", async () => {
    await load();
    await page.selectOption("#preset", "chunked");
    assert.equal((await savedState()).h, 0);
    await page.check("#view-hex");
    assert.equal((await savedState()).h, 1);
    await page.reload();
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
    assert.equal(await page.isChecked("#view-hex"), true);
    assert.equal(await page.isVisible("#hexview"), true);
    assert.equal(await page.isVisible("#bytes"), false);
    assert.equal(await page.inputValue("#preset"), "chunked");
    assert.ok((await hexCells()).length > 0);

    // A link made before there was a hex view opens the text view.
    const state = await savedState();
    delete state.h;
    const other = await browser.context.newPage();
    try {
      await other.goto(`${server.url}#s=${Buffer.from(JSON.stringify(state)).toString("base64url")}`);
      await other.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
      assert.equal(await other.isChecked("#view-text"), true);
      assert.equal(await other.isVisible("#bytes"), true);
      assert.equal(await other.inputValue("#preset"), "chunked");
    } finally {
      await other.close();
    }
  });

  it("is reached and switched with the keyboard, and its bytes are reached and selected with the arrow keys and Enter", async () => {
    await load();
    await page.focus("#ins-lf");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "view-text");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.isChecked("#view-hex"), true);
    assert.equal(await page.isVisible("#hexview"), true);
    assert.equal((await savedState()).h, 1);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "hexview");
    assert.equal(await page.textContent("#position"), "step 1 of 7");
    // The cursor starts on the selected step's first byte; a row down is byte 16, then 9
    // bytes on is byte 25, the H of Host.
    assert.deepEqual(await offsetsOf(page, "#hexview .hx.cursor"), [0]);
    await page.keyboard.press("ArrowDown");
    for (let k = 0; k < 9; k++) await page.keyboard.press("ArrowRight");
    assert.deepEqual(await offsetsOf(page, "#hexview .hx.cursor"), [25]);
    assert.match(await page.textContent("#byte-at"), /^byte 25 \(0x19\): 0x48 'H'; read by step 3: field: Host: example\.com/);
    await page.keyboard.press("Enter");
    assert.equal(await page.textContent("#steplist li.current"), "field: Host: example.com");
    assert.equal(await page.evaluate(() => document.activeElement.id), "hexview", "the focus stays on the bytes");
    assert.deepEqual(await marked("hl", "hex"), Array.from({ length: 19 }, (_, k) => 25 + k));
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.isChecked("#view-text"), true);
    assert.equal(await page.isVisible("#bytes"), true);
  });

  it("marks the end of the input when a message stops short", async () => {
    await load();
    await page.check("#view-hex");
    await page.fill("#editor", "GET / HTTP/1.1\nHost: x\n");
    await page.check("#eof");
    await page.click("#last");
    assert.equal(await page.$eval("#steplist li.current", (li) => li.dataset.kind), "error");
    assert.equal(await page.textContent("#hexview .hx.err.eof"), "EOF");
    assert.equal(await page.locator("#hexview .hx.err[data-i]").count(), 0, "no byte is blamed");
    // GET / HTTP/1.1 CR LF is 16 bytes: Host: x CR LF fills 9 places of the second row.
    const last = await page.textContent("#hexview .hexrow[data-offset]:last-child");
    assert.match(last, /^0010 {2}48 6f 73 74 3a 20 78 0d {2}0a EOF +Host: x\.\.$/, "EOF sits where the next byte would be");
    assert.equal(last.indexOf("Host"), dumpLine(utf8("GET / HTTP/1.1\r\nHost: x\r\n"), 16).indexOf("Host"), "the ASCII column stays in line");
  });

  it("reads responses too", async () => {
    await load();
    await page.check("#mode-response");
    await page.check("#view-hex");
    await page.selectOption("#preset", "r-malformed");
    const cells = await hexCells();
    assert.deepEqual(cells.slice(0, 12).map(([, h]) => h).join(" "), "48 54 54 50 2f 31 2e 31 20 32 4f 4f");
    await page.click("#last");
    const err = await marked("err", "hex");
    assert.equal(err.length, 1);
    await page.check("#view-text");
    assert.deepEqual(await marked("err", "text"), err);
    await page.check("#view-hex");
    await page.check("#mode-request");
    assert.equal(await page.isChecked("#view-hex"), true, "the view stays when the side changes");
  });

  it("scrolls a long dump to the selected step's bytes", async () => {
    await load();
    await page.check("#view-hex");
    const fields = Array.from({ length: 80 }, (_, k) => `X-Field-${k + 1}: ${k + 1}\n`).join("");
    await type(`GET / HTTP/1.1\nHost: example.com\n${fields}\n`);
    await page.click('#steplist li:has-text("field: X-Field-80:") button');
    const seen = await page.$eval("#hexview", (box) => {
      const cell = box.querySelector(".hx.hl");
      const a = box.getBoundingClientRect();
      const c = cell.getBoundingClientRect();
      return { scrolled: box.scrollTop, inside: c.top >= a.top && c.bottom <= a.bottom };
    });
    assert.ok(seen.scrolled > 0 && seen.inside, `the field's first byte is in sight: ${JSON.stringify(seen)}`);
  });

  it("fits a narrow window with 8 bytes a row, and 16 again when wide", async () => {
    await load();
    await page.check("#view-hex");
    await page.click('#steplist li:has-text("field: User-Agent") button');
    const perRow = async () => (await offsetsOf(page, '#hexview .hexrow[data-offset="0"] .hx')).length;
    assert.equal(await perRow(), 16);
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForFunction(() => document.getElementById("hexview").dataset.cols === "8");
    assert.equal(await perRow(), 8);
    const sizes = await page.evaluate(() => {
      const box = document.getElementById("hexview");
      return { page: document.documentElement.scrollWidth - window.innerWidth, box: box.scrollWidth - box.clientWidth };
    });
    assert.deepEqual(sizes, { page: 0, box: 0 }, "no sideways scrolling, of the page or the dump");
    const first = (await rows())[0];
    assert.equal(first, "0000  47 45 54 20 2f 68 65 6c  GET /hel");
    assert.deepEqual(await marked("hl", "hex"), Array.from({ length: 24 }, (_, k) => 44 + k), "the same bytes, rows of 8");
    await screenshot(page, "explorer-hex-narrow");
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.waitForFunction(() => document.getElementById("hexview").dataset.cols === "16");
    assert.equal(await perRow(), 16);
  });
});
