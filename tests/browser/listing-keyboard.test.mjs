// The listing page with the keyboard alone, in headless Chromium: Tab visits the path, the
// upload control, the filter, the sort links, every file link and its delete button in
// that order, each with a visible focus ring and an accessible name (Chromium's own, from
// its accessibility tree) that says what it acts on; Enter opens a folder and sorts; the
// filter's results stay reachable; the delete confirmation is answered by keyboard.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { listingSuite, screenshot } from "./harness.mjs";

/** The column heads' sort links, as the keyboard meets them. */
const SORT_LINKS = ["link: Name", "link: Size", "link: Modified"];

function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), "simplehttp-keys-"));
  mkdirSync(join(root, "docs"));
  writeFileSync(join(root, "docs", "inside.txt"), "in\n");
  writeFileSync(join(root, "notes.txt"), "short\n");
  writeFileSync(join(root, "archive.bin"), Buffer.alloc(3_000));
  writeFileSync(join(root, "readme.md"), "# hello\n");
  return root;
}

describe("listing page: keyboard", { timeout: 120_000 }, () => {
  const suite = listingSuite(makeRoot);
  const { serve, load } = suite;
  let browser;
  let page;
  let cdp;
  before(async () => {
    ({ browser, page } = suite);
    cdp = await browser.context.newCDPSession(page);
  });

  /** "role: name" of the element `expression` evaluates to, as Chromium's accessibility
   * tree has it (what a screen reader is told), and its description. */
  async function accessible(expression) {
    const { result } = await cdp.send("Runtime.evaluate", { expression });
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { objectId: result.objectId, fetchRelatives: false });
    await cdp.send("Runtime.releaseObject", { objectId: result.objectId });
    const node = nodes[0];
    return { name: `${node.role?.value}: ${node.name?.value ?? ""}`, description: node.description?.value };
  }

  /** The focused element as Chromium's accessibility tree sees it: "role: name", and
   * whether its focus is drawn (a focus-visible outline at least 2 px wide). */
  async function focused() {
    const { name, description } = await accessible("document.activeElement");
    const ring = await page.evaluate(() => {
      const e = document.activeElement;
      const s = getComputedStyle(e);
      return e.matches(":focus-visible") && s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
    });
    return { name, ring, description };
  }

  /** Presses Tab until the focus leaves the page's content or comes round to an element it
   * has visited (at most `limit` times), and returns each stop. */
  async function tabThrough(limit = 40) {
    await page.evaluate(() => { window.visited = new WeakSet(); });
    const stops = [];
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press("Tab");
      const fresh = await page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body || window.visited.has(e)) return false;
        window.visited.add(e);
        return true;
      });
      if (!fresh) break;
      stops.push(await focused());
    }
    return stops;
  }

  it("tabs through every control in order, with a visible focus and a name saying what it acts on", async () => {
    const { server } = await serve();
    await page.setViewportSize({ width: 1280, height: 800 });
    await load(server.url);
    const stops = await tabThrough();
    assert.deepEqual(stops.map((s) => s.name), [
      "link: Home",
      "button: Upload files to /",
      "searchbox: Filter names",
      ...SORT_LINKS,
      "link: docs/",
      "link: archive.bin",
      "button: Delete archive.bin",
      "link: notes.txt",
      "button: Delete notes.txt",
      "link: readme.md",
      "button: Delete readme.md",
    ]);
    const unringed = stops.filter((s) => !s.ring).map((s) => s.name);
    assert.deepEqual(unringed, [], "focus not drawn on these");
    // The sort links say what following them does.
    assert.deepEqual(stops.slice(3, 6).map((s) => s.description), [
      "Sort by name, descending",
      "Sort by size, ascending",
      "Sort by modification time, ascending",
    ]);

    // Shift+Tab goes back the same way.
    await page.keyboard.press("Shift+Tab");
    assert.equal((await focused()).name, "button: Delete readme.md");
    await page.keyboard.press("Shift+Tab");
    assert.equal((await focused()).name, "link: readme.md");

    // Focus drawn on a delete button, for the eye.
    await page.keyboard.press("Shift+Tab");
    console.log(`screenshot: ${await screenshot(page, "listing-keyboard-focus")}`);
  });

  it("opens a folder and sorts with Enter", async () => {
    const { server } = await serve();
    await load(server.url);
    await page.focus("#filter");
    await page.keyboard.press("Tab"); // Name
    await page.keyboard.press("Tab"); // Size
    assert.equal((await focused()).name, "link: Size");
    await Promise.all([page.waitForURL(/\?sort=size&order=asc$/), page.keyboard.press("Enter")]);
    await page.waitForSelector("html[data-ready=true]");
    assert.deepEqual(await page.$$eval("#listing tbody a", (as) => as.map((a) => a.textContent)), ["docs/", "notes.txt", "readme.md", "archive.bin"]);

    // To the folder by keyboard, and in it, back up by keyboard.
    let stops = 0;
    while ((await focused()).name !== "link: docs/" && stops++ < 20) await page.keyboard.press("Tab");
    await Promise.all([page.waitForURL(/\/docs\/$/), page.keyboard.press("Enter")]);
    await page.waitForSelector("html[data-ready=true]");
    const inDocs = (await tabThrough()).map((s) => s.name);
    assert.deepEqual(inDocs, [
      "link: Home",
      "link: docs",
      "button: Upload files to /docs/",
      "searchbox: Filter names",
      ...SORT_LINKS,
      "link: Parent folder",
      "link: inside.txt",
      "button: Delete inside.txt",
    ]);
    await page.focus('a[href="../"]');
    await Promise.all([page.waitForURL(server.url), page.keyboard.press("Enter")]);
  });

  it("keeps the filtered rows reachable and the hidden ones out of the way", async () => {
    const { server } = await serve();
    await load(server.url);
    await page.focus("#filter");
    await page.keyboard.type("re");
    assert.deepEqual(await page.$$eval("#listing tbody tr:not([hidden]) a", (as) => as.map((a) => a.textContent)), ["readme.md"]);
    // A screen reader hears how many are left.
    assert.equal(await page.textContent("#matches"), "1 of 4 names match");
    assert.equal(await page.getAttribute("#matches", "aria-live"), "polite");
    const stops = (await tabThrough()).map((s) => s.name);
    assert.deepEqual(stops, [...SORT_LINKS, "link: readme.md", "button: Delete readme.md"]);
    // Back to the filter, Escape empties it and every row is back in the order.
    await page.focus("#filter");
    await page.keyboard.press("Escape");
    assert.equal(await page.inputValue("#filter"), "");
    assert.equal(await page.textContent("#matches"), "");
    assert.equal((await tabThrough()).length, 10);
  });

  it("answers the delete confirmation by keyboard: Escape and Enter keep, Tab then Enter deletes", async () => {
    const { root, server } = await serve();
    await load(server.url);
    await page.focus('button[aria-label="Delete notes.txt"]');

    // Enter opens the dialog with Cancel focused; Enter there keeps the file.
    await page.keyboard.press("Enter");
    await page.waitForSelector("dialog#confirm[open]");
    assert.equal(await page.textContent("#confirm p"), "Delete notes.txt?");
    assert.equal((await focused()).name, "button: Cancel");
    assert.equal((await accessible("document.getElementById('confirm')")).name, "dialog: Delete notes.txt?");
    console.log(`screenshot: ${await screenshot(page, "listing-confirm-1280")}`);
    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page with its dialog is ${overflow}px wider than a 360 px phone`);
    console.log(`screenshot: ${await screenshot(page, "listing-confirm-360")}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.keyboard.press("Enter");
    await page.waitForSelector("dialog#confirm:not([open])", { state: "attached" });
    assert.equal(existsSync(join(root, "notes.txt")), true);
    // The focus is back where it was.
    assert.equal((await focused()).name, "button: Delete notes.txt");

    // Escape keeps it too.
    await page.keyboard.press(" ");
    await page.waitForSelector("dialog#confirm[open]");
    await page.keyboard.press("Escape");
    await page.waitForSelector("dialog#confirm:not([open])", { state: "attached" });
    assert.equal(existsSync(join(root, "notes.txt")), true);
    assert.equal((await focused()).name, "button: Delete notes.txt");
    assert.equal(await page.locator("#results li").count(), 0, "nothing was sent");

    // Tab to Delete, Enter: the file goes, and the focus lands on the row now in its place.
    await page.keyboard.press("Enter");
    await page.waitForSelector("dialog#confirm[open]");
    await page.keyboard.press("Tab");
    const yes = await focused();
    assert.deepEqual([yes.name, yes.ring], ["button: Delete notes.txt", true]);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#results li.ok"));
    assert.equal(await page.textContent("#results li .status"), "204 No Content");
    assert.equal(existsSync(join(root, "notes.txt")), false);
    await page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 3);
    assert.equal((await focused()).name, "link: readme.md");
    // And a delete button of the refreshed rows works by keyboard the same way.
    await page.keyboard.press("Tab");
    assert.equal((await focused()).name, "button: Delete readme.md");
  });

  it("has no upload or delete stop on a read-only page", async () => {
    const { server } = await serve(["--read-only"]);
    await load(server.url);
    const stops = (await tabThrough()).map((s) => s.name);
    assert.deepEqual(stops, [
      "link: Home",
      "searchbox: Filter names",
      ...SORT_LINKS,
      "link: docs/",
      "link: archive.bin",
      "link: notes.txt",
      "link: readme.md",
    ]);
  });

  it("sees a CSP violation when there is one (the watch itself works)", async () => {
    const { server } = await serve();
    await load(server.url);
    await page.evaluate(() => {
      const s = document.createElement("style");
      s.textContent = "body { color: red }";
      document.head.append(s);
    });
    await page.waitForFunction(() => true);
    const deadline = Date.now() + 5_000;
    while (!browser.problems.some((p) => p.startsWith("CSP violation: style-src")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const problems = browser.problems.splice(0);
    assert.ok(problems.some((p) => p.startsWith("CSP violation: style-src")), `${problems}`);
  });
});
