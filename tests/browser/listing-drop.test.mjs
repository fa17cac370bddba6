// Drag-and-drop uploads on the listing page in headless Chromium: several files dropped on
// the upload area (a DataTransfer built in the page, as a drag from the desktop carries
// one), and files and a folder dropped through Chromium's own drag machinery (DevTools'
// Input.dispatchDragEvent with paths on disk), each with its progress and result row, then
// on disk byte for byte and in the refreshed list. At 360 px wide nothing overflows.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { listingSuite, screenshot } from "./harness.mjs";

const LONG = "a-very-long-file-name-without-any-space-in-it-that-has-to-wrap-on-a-phone-0123456789.txt";

function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), "simplehttp-drop-"));
  mkdirSync(join(root, "inbox"));
  writeFileSync(join(root, "inbox", "already.txt"), "here before\n");
  return root;
}

describe("listing page: drag and drop", { timeout: 120_000 }, () => {
  const suite = listingSuite(makeRoot);
  const { serve, load, names } = suite;
  let browser;
  let page;
  before(() => ({ browser, page } = suite));

  /** Drops a file called `name` on the listing's table, as a drag from the desktop would. */
  const dropOnTable = (name) =>
    page.evaluate((name) => {
      const dt = new DataTransfer();
      dt.items.add(new File(["dropped on the table\n"], name, { type: "text/plain" }));
      document.getElementById("listing").dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, name);
  const results = () =>
    page.$$eval("#results li", (lis) =>
      lis.map((li) => [li.querySelector(".name").textContent, li.querySelector(".status").textContent, li.querySelector("progress").value, li.className]),
    );

  it("uploads several files dropped on the upload area", async () => {
    const { root, server } = await serve();
    await page.setViewportSize({ width: 1280, height: 800 });
    await load(`${server.url}inbox/`);
    const files = [
      { name: "photo.jpg", type: "image/jpeg", bytes: randomBytes(1_500_000) },
      { name: "ünï cødé #1?.txt", type: "text/plain", bytes: Buffer.from("Grüße\r\n\u0000binary after a NUL\n") },
      { name: "empty.bin", type: "application/octet-stream", bytes: Buffer.alloc(0) },
      { name: LONG, type: "text/plain", bytes: Buffer.from("long\n") },
    ];
    // Progress is recorded as it is drawn: the value attribute of each row's bar.
    await page.evaluate(() => {
      window.seen = {};
      new MutationObserver((records) => {
        for (const r of records) {
          const li = r.target.closest?.("li");
          if (r.target.localName !== "progress" || !li) continue;
          const name = li.querySelector(".name").textContent;
          (window.seen[name] ??= []).push(Number(r.target.value));
        }
      }).observe(document.getElementById("results"), { subtree: true, attributes: true, attributeFilter: ["value"] });
    });
    const verdicts = await page.evaluate((files) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      const drop = document.getElementById("drop");
      const fire = (type, target) => {
        const e = new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt });
        target.dispatchEvent(e);
        return e.defaultPrevented;
      };
      const seen = {};
      seen.enter = fire("dragenter", drop);
      seen.highlighted = drop.classList.contains("over");
      seen.over = fire("dragover", drop.querySelector("span"));
      // Moving onto a child and back keeps the highlight; it goes once the drag has left.
      fire("dragenter", drop.querySelector("input"));
      fire("dragleave", drop.querySelector("span"));
      seen.stillHighlighted = drop.classList.contains("over");
      seen.drop = fire("drop", drop.querySelector("input"));
      seen.afterDrop = drop.classList.contains("over");
      return seen;
    }, files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString("base64") })));
    assert.deepEqual(verdicts, { enter: true, highlighted: true, over: true, stillHighlighted: true, drop: true, afterDrop: false });

    await page.waitForFunction((n) => document.querySelectorAll("#results li.ok").length === n, files.length, { timeout: 20_000 });
    assert.deepEqual(await results(), [
      ["photo.jpg", "201 Created", 1, "ok"],
      ["ünï cødé #1?.txt", "201 Created", 1, "ok"],
      ["empty.bin", "201 Created", 1, "ok"],
      [LONG, "201 Created", 1, "ok"],
    ]);
    const seen = await page.evaluate(() => window.seen);
    // Every bar ended full; none ever went backwards.
    for (const f of files) {
      const values = seen[f.name] ?? [];
      assert.equal(values.at(-1), 1, `${f.name}: ${values}`);
      assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), `${f.name}: ${values}`);
    }
    for (const f of files) assert.deepEqual(readFileSync(join(root, "inbox", f.name)), f.bytes, f.name);
    await page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 6);
    assert.deepEqual(await names(), ["../", LONG, "already.txt", "empty.bin", "photo.jpg", "ünï cødé #1?.txt"]);
    assert.match(await page.textContent("#summary"), /^0 folders, 5 files,/);
    console.log(`screenshot: ${await screenshot(page, "listing-dropped-1280")}`);

    // At phone width, long names wrap and nothing is wider than the screen.
    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 360 px phone`);
    const wrapped = await page.$eval("#results li:last-child .name", (n) => n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight));
    assert.ok(wrapped >= 2, `the long name in the results takes ${wrapped} lines`);
    console.log(`screenshot: ${await screenshot(page, "listing-dropped-360")}`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("uploads files and a folder dropped through Chromium's drag machinery", async () => {
    const { root, server } = await serve();
    // What the user drags from a file manager: two files and a folder with a subfolder.
    const src = suite.temp("simplehttp-dragged-");
    const tree = {
      "report.pdf": randomBytes(300_000),
      "notes.md": Buffer.from("# notes\n"),
      "album/b.txt": Buffer.from("b\n"),
      "album/a.png": randomBytes(70_000),
      "album/more/c d.txt": Buffer.from("c and d\n"),
    };
    // A dot-folder the server would answer 404 for, file by file: left out, said once.
    mkdirSync(join(src, "album", ".git", "objects"), { recursive: true });
    writeFileSync(join(src, "album", ".git", "objects", "x"), "object\n");
    mkdirSync(join(src, "album", "more"), { recursive: true });
    mkdirSync(join(src, "album", "empty"));
    for (const [p, bytes] of Object.entries(tree)) writeFileSync(join(src, p), bytes);

    await load(`${server.url}inbox/`);
    const box = await page.locator("#drop").boundingBox();
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const data = {
      items: [],
      files: [join(src, "report.pdf"), join(src, "notes.md"), join(src, "album")],
      dragOperationsMask: 1,
    };
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Input.dispatchDragEvent", { type: "dragEnter", ...at, data });
    await cdp.send("Input.dispatchDragEvent", { type: "dragOver", ...at, data });
    assert.equal(await page.$eval("#drop", (d) => d.classList.contains("over")), true, "the drop area shows it takes the drop");
    await cdp.send("Input.dispatchDragEvent", { type: "drop", ...at, data });
    await cdp.detach();

    const want = ["report.pdf", "notes.md", "album/.git/", "album/a.png", "album/b.txt", "album/more/c d.txt"];
    await page.waitForFunction((n) => document.querySelectorAll("#results li.ok, #results li.err").length === n, want.length, { timeout: 20_000 });
    assert.deepEqual(await results(), want.map((p) => p.includes(".git")
      ? [p, "left out: the server takes no names starting with a dot", 1, "err"]
      : [p, "201 Created", 1, "ok"]));
    assert.equal(existsSync(join(root, "inbox", "album", ".git")), false);
    assert.equal(await page.$eval("#drop", (d) => d.classList.contains("over")), false);
    for (const [p, bytes] of Object.entries(tree)) assert.deepEqual(readFileSync(join(root, "inbox", p)), bytes, p);
    await page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 5);
    assert.deepEqual(await names(), ["../", "album/", "already.txt", "notes.md", "report.pdf"]);

    // The folder came up whole, its subfolder included.
    await page.click(`#listing a[href="./album/"]`);
    await page.waitForURL(/\/inbox\/album\/$/);
    await page.waitForSelector("html[data-ready=true]");
    assert.deepEqual(await names(), ["../", "more/", "a.png", "b.txt"]);
    console.log(`screenshot: ${await screenshot(page, "listing-dropped-folder")}`);
  });

  it("a drop elsewhere on the page uploads too, and a drag of text is left alone", async () => {
    const { root, server } = await serve();
    await load(server.url);
    await dropOnTable(".env");
    await page.waitForFunction(() => document.querySelector("#results li.err"));
    assert.deepEqual(await results(), [[".env", "left out: the server takes no names starting with a dot", 1, "err"]]);
    assert.equal(existsSync(join(root, ".env")), false);
    // Under --hidden the page sends it, and the server takes it.
    const hidden = await serve(["--hidden"]);
    await load(hidden.server.url);
    await dropOnTable(".env");
    await page.waitForFunction(() => document.querySelector("#results li.ok"));
    assert.deepEqual(await results(), [[".env", "201 Created", 1, "ok"]]);
    assert.equal(readFileSync(join(hidden.root, ".env"), "utf8"), "dropped on the table\n");

    await load(server.url);
    const verdicts = await page.evaluate(() => {
      const fire = (type, target, dt) => {
        const e = new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt });
        target.dispatchEvent(e);
        return e.defaultPrevented;
      };
      const text = new DataTransfer();
      text.setData("text/plain", "just words");
      const files = new DataTransfer();
      files.items.add(new File(["dropped on the table\n"], "on-table.txt", { type: "text/plain" }));
      const table = document.getElementById("listing");
      return {
        textOver: fire("dragover", table, text),
        textDrop: fire("drop", table, text),
        filesOver: fire("dragover", table, files),
        filesDrop: fire("drop", table, files),
      };
    });
    assert.deepEqual(verdicts, { textOver: false, textDrop: false, filesOver: true, filesDrop: true });
    await page.waitForFunction(() => document.querySelector("#results li.ok"));
    assert.equal(readFileSync(join(root, "on-table.txt"), "utf8"), "dropped on the table\n");
    assert.deepEqual(await results(), [["on-table.txt", "201 Created", 1, "ok"]]);
  });
});
