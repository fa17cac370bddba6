// The listing page in headless Chromium: laid out at 1280 and 375 px, sorted by clicking its
// column heads, filtered, three files uploaded through the file input with progress and
// results, a file deleted after confirming, the read-only page without an upload area, and
// not one console error or CSP violation throughout.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { listingSuite, screenshot } from "./harness.mjs";

function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), "simplehttp-listing-"));
  mkdirSync(join(root, "docs"));
  mkdirSync(join(root, "photos 2024"));
  writeFileSync(join(root, "notes.txt"), "short\n");
  writeFileSync(join(root, "archive.bin"), Buffer.alloc(300_000));
  writeFileSync(join(root, "readme.md"), "# hello\n".repeat(40));
  writeFileSync(join(root, "zeta <&> \u202Eevil.txt"), "x");
  return root;
}

describe("listing page", { timeout: 120_000 }, () => {
  const suite = listingSuite(makeRoot);
  const { serve, load, names } = suite;
  let browser;
  let page;
  before(() => ({ browser, page } = suite));

  it("lays out at 1280 and 375 px, shows local times and sorts by clicking", async () => {
    const { server } = await serve();
    await page.setViewportSize({ width: 1280, height: 800 });
    await load(server.url);
    assert.deepEqual(await names(), ["docs/", "photos 2024/", "archive.bin", "notes.txt", "readme.md", "zeta <&> [U+202E]evil.txt"]);
    // The script ran: the filter is shown, times are local with UTC on hover.
    assert.equal(await page.isVisible("#filter"), true);
    const title = await page.getAttribute("#listing tbody tr:nth-child(3) time", "title");
    assert.match(title, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    assert.equal(await page.getAttribute("#listing tbody tr:nth-child(3) td:nth-child(2)", "title"), "300000 bytes");
    assert.equal(await page.textContent("#listing tbody tr:nth-child(3) td:nth-child(2)"), "293.0 KiB");
    const shot = await screenshot(page, "listing-1280");
    console.log(`screenshot: ${shot}`);

    await page.click("th.size a");
    await page.waitForURL(/sort=size&order=asc/);
    await page.waitForSelector("html[data-ready=true]");
    assert.deepEqual(await names(), ["docs/", "photos 2024/", "zeta <&> [U+202E]evil.txt", "notes.txt", "readme.md", "archive.bin"]);
    await page.click("th.size a");
    await page.waitForURL(/sort=size&order=desc/);
    assert.deepEqual((await names()).slice(2, 4), ["archive.bin", "readme.md"]);
    await page.click("th.name a");
    await page.waitForURL(/sort=name&order=asc/);
    assert.deepEqual((await names())[2], "archive.bin");

    await page.setViewportSize({ width: 375, height: 800 });
    await load(server.url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    console.log(`screenshot: ${await screenshot(page, "listing-375")}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, "rgb(21, 23, 26)", "dark mode from prefers-color-scheme");
    console.log(`screenshot: ${await screenshot(page, "listing-dark")}`);
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("filters by name", async () => {
    const { server } = await serve();
    await load(server.url);
    await page.fill("#filter", "E.M");
    assert.deepEqual(await names(), ["readme.md"]);
    await page.fill("#filter", "o");
    assert.deepEqual(await names(), ["docs/", "photos 2024/", "notes.txt"]);
    await page.fill("#filter", "");
    assert.equal((await names()).length, 6);
  });

  it("uploads three files with progress and results, then deletes one after confirming", async () => {
    const { root, server } = await serve();
    await load(`${server.url}docs/`);
    assert.equal(await page.isVisible("#upload"), true);
    // Each bar's values as they are drawn; the upload link slowed to 4 MB/s so that the
    // 2 MB file is seen part way.
    await page.evaluate(() => {
      window.seen = {};
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.target.localName !== "progress") continue;
          const name = r.target.closest("li").querySelector(".name").textContent;
          (window.seen[name] ??= []).push(Number(r.target.value));
        }
      }).observe(document.getElementById("results"), { subtree: true, attributes: true, attributeFilter: ["value"] });
    });
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4_000_000 });
    await page.setInputFiles("#files", [
      { name: "one.txt", mimeType: "text/plain", buffer: Buffer.from("one\n") },
      { name: "two words.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(2_000_000, 7) },
      { name: "thrée#?.txt", mimeType: "text/plain", buffer: Buffer.from("three\n") },
    ]);
    await page.waitForFunction(() => document.querySelectorAll("#results li.ok").length === 3);
    const results = await page.$$eval("#results li", (lis) =>
      lis.map((li) => [li.querySelector(".name").textContent, li.querySelector(".status").textContent, li.querySelector("progress").value]),
    );
    assert.deepEqual(results, [
      ["one.txt", "201 Created", 1],
      ["two words.bin", "201 Created", 1],
      ["thrée#?.txt", "201 Created", 1],
    ]);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    const seen = await page.evaluate(() => window.seen["two words.bin"]);
    assert.ok(seen.some((v) => v > 0 && v < 1), `the bar showed the upload part way: ${seen}`);
    assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]) && seen.at(-1) === 1, `${seen}`);
    assert.equal(readFileSync(join(root, "docs", "thrée#?.txt"), "utf8"), "three\n");
    assert.equal(readFileSync(join(root, "docs", "two words.bin")).length, 2_000_000);
    // The list was refreshed.
    await page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 4);
    assert.deepEqual(await names(), ["../", "one.txt", "thrée#?.txt", "two words.bin"]);
    assert.match(await page.textContent("#summary"), /0 folders, 3 files/);

    // Uploading one again replaces it: 204.
    await page.setInputFiles("#files", [{ name: "one.txt", mimeType: "text/plain", buffer: Buffer.from("uno\n") }]);
    await page.waitForFunction(() => document.querySelectorAll("#results li").length === 4 && document.querySelector("#results li:last-child.ok"));
    assert.equal(await page.textContent("#results li:last-child .status"), "204 No Content");
    console.log(`screenshot: ${await screenshot(page, "listing-uploaded")}`);

    // Delete: cancelled first, then confirmed, in the page's own dialog.
    await page.click('button[aria-label="Delete one.txt"]');
    await page.waitForSelector("dialog#confirm[open]");
    assert.equal(await page.textContent("#confirm p"), "Delete one.txt?");
    await page.click("#confirm button.cancel");
    await page.waitForSelector("dialog#confirm:not([open])", { state: "attached" });
    assert.equal(existsSync(join(root, "docs", "one.txt")), true);
    assert.equal(await page.locator("#results li").count(), 4, "nothing was sent");
    await page.click('button[aria-label="Delete one.txt"]');
    await page.waitForSelector("dialog#confirm[open]");
    await page.click("#confirm button.delete");
    await page.waitForFunction(() => document.querySelectorAll("#listing tbody tr").length === 3);
    assert.equal(existsSync(join(root, "docs", "one.txt")), false);
    assert.equal(await page.textContent("#results li:last-child .status"), "204 No Content");
    assert.deepEqual(await names(), ["../", "thrée#?.txt", "two words.bin"]);
    // The delete buttons came back with the refreshed rows.
    assert.equal(await page.locator("#listing button.delete").count(), 2);
  });

  it("shows a refused upload's status and reason", async () => {
    const { server } = await serve(["--max-upload", "10"]);
    await load(server.url);
    await page.setInputFiles("#files", [{ name: "large.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(100_000) }]);
    await page.waitForFunction(() => document.querySelector("#results li.err"));
    assert.match(await page.textContent("#results li .status"), /^(413 Content Too Large|failed: network error)$/);
    // The 413 (or the reset) is expected here, and nothing else.
    const expected = (p) =>
      /^HTTP 413 for .*\/large\.bin$/.test(p) ||
      /^console error: Failed to load resource: (the server responded with a status of 413 |net::ERR_CONNECTION_RESET)/.test(p) ||
      /^request failed: .*\/large\.bin net::ERR_CONNECTION_RESET$/.test(p);
    assert.deepEqual(browser.problems.splice(0).filter((p) => !expected(p)), []);
  });

  it("shows no upload area or delete button when read-only, and browses without JavaScript", async () => {
    const { server } = await serve(["--read-only"]);
    await load(server.url);
    assert.equal(await page.locator("#upload").count(), 0);
    assert.equal(await page.locator("button").count(), 0);
    assert.equal(await page.locator("input[type=file]").count(), 0);
    console.log(`screenshot: ${await screenshot(page, "listing-read-only")}`);

    // Without JavaScript: links and sorting still work, nothing needing the script shows.
    const noJs = await browser.context.newPage();
    const cdp = await browser.context.newCDPSession(noJs);
    await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
    await noJs.goto(server.url);
    await noJs.click("text=docs/");
    await noJs.waitForURL(/\/docs\/$/);
    await Promise.all([noJs.waitForURL(server.url, { waitUntil: "load" }), noJs.click("nav >> text=Home")]);
    await noJs.click("th.size a");
    await noJs.waitForURL(/sort=size&order=asc/);
    assert.equal(await noJs.getAttribute("html", "data-ready"), null, "the script did not run");
    assert.equal(await noJs.isVisible("#filter"), false);
    assert.equal(await noJs.textContent("#listing tbody tr:nth-child(3) time"), await noJs.$eval("#listing tbody tr:nth-child(3) time", (t) => t.dateTime.slice(0, 10) + " " + t.dateTime.slice(11, 16) + " UTC"));
    await noJs.close();
  });
});
