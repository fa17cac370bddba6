// Shared set-up for the browser tests: simple-server serving web-demo/dist on 127.0.0.1, and
// Debian's headless Chromium driven by playwright-core (which downloads no browser).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST = join(ROOT, "web-demo", "dist");
export const ARTIFACTS = join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "browser-artifacts");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  // Stops Chromium's own DNS look-ups; `localhost` then does not resolve: use 127.0.0.1.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

const TARGET = process.env.CARGO_TARGET_DIR || join(ROOT, "target");

/**
 * Serves `dir` read-only on an ephemeral port of 127.0.0.1 with our own simple-server
 * (target/debug/simple-server, which scripts/test builds first; SIMPLE_SERVER names another
 * binary). With EXPLORER_SERVER=python, Python's http.server is used instead. Resolves to
 * { url, stop }.
 */
export function serveStatic(dir) {
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(`${dir}/index.html is missing: build the explorer first with web-demo/build`);
  }
  let cmd;
  let args;
  if (process.env.EXPLORER_SERVER === "python") {
    cmd = "python3";
    args = ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir];
  } else {
    cmd = process.env.SIMPLE_SERVER || join(TARGET, "debug", "simple-server");
    if (!existsSync(cmd)) {
      throw new Error(`${cmd} is missing: build it with cargo build -p simplehttp-native (or set EXPLORER_SERVER=python)`);
    }
    args = ["--root", dir, "--bind", "127.0.0.1", "--read-only", "0"];
  }
  return spawnServer(cmd, args);
}

/** Starts simple-server (as serveStatic finds it) on an ephemeral port of 127.0.0.1 with `args`
 * after `--bind 127.0.0.1 --quiet`. Resolves to { url, port, stop }. */
export function startServer(args) {
  const cmd = process.env.SIMPLE_SERVER || join(TARGET, "debug", "simple-server");
  if (!existsSync(cmd)) throw new Error(`${cmd} is missing: build it with cargo build -p simplehttp-native`);
  return spawnServer(cmd, ["--bind", "127.0.0.1", "--quiet", ...args, "0"]);
}

function spawnServer(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let started = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} did not say where it listens within 10 s: ${out}`));
    }, 10_000);
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(kill);
          done();
        });
        child.kill("SIGTERM");
      });
    const look = (d) => {
      out += d;
      const m = /(?:on http:\/\/127\.0\.0\.1:|port )(\d+)/.exec(out);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolvePromise({ url: `http://127.0.0.1:${m[1]}/`, port: Number(m[1]), stop });
      }
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${cmd} exited (${code}): ${out}`));
    });
  });
}

/**
 * Starts headless Chromium with a fresh profile. Returns { context, page, problems, close }:
 * `problems` collects every console error or warning, page error, failed request and HTTP
 * error status, so that a test can insist there were none. `options` go to playwright's
 * context (`httpCredentials`, say).
 */
export async function openBrowser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "simplehttp-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  const problems = [];
  const watch = (page) => {
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("requestfailed", (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });
  };
  context.on("page", watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, problems, close };
}

/** Reports every Content-Security-Policy violation on any page of `browser` (from
 * openBrowser) to its `problems`, so that a test's "no problems" covers the policy too. */
export async function watchCsp(browser) {
  await browser.context.exposeBinding("reportViolation", (_src, v) => browser.problems.push(`CSP violation: ${v}`));
  await browser.context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.reportViolation?.(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

/**
 * The set-up of a describe() of listing-page tests: one browser for the suite with CSP
 * violations among its problems, and after each test no problem left. `serve(args)` starts
 * simple-server on a fresh root from `makeRoot()`, `load(url)` opens a page and waits for its
 * script, `names()` lists the shown rows' names, `temp(prefix)` makes a folder; all are
 * stopped or removed after the suite. `browser` and `page` are set once `before` has run.
 */
export function listingSuite(makeRoot) {
  const servers = [];
  const dirs = [];
  const suite = {
    browser: null,
    page: null,
    temp(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    async serve(args = []) {
      const root = makeRoot();
      dirs.push(root);
      const server = await startServer(["--root", root, ...args]);
      servers.push(server);
      return { root, server };
    },
    async load(url) {
      await suite.page.goto(url);
      await suite.page.waitForSelector("html[data-ready=true]");
    },
    names: () => suite.page.$$eval("#listing tbody tr:not([hidden]) td:first-child a", (as) => as.map((a) => a.textContent)),
  };
  before(async () => {
    suite.browser = await openBrowser();
    suite.page = suite.browser.page;
    await watchCsp(suite.browser);
  });
  after(async () => {
    await suite.browser?.close();
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  afterEach(() => {
    assert.deepEqual(suite.browser.problems.splice(0), [], "the page logged errors, warnings or CSP violations");
  });
  return suite;
}

/** Saves a screenshot of `page` under target/browser-artifacts/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// The byte views draw bytes that look alike as one element: `data-i` is its first byte,
// `data-n` how many bytes it stands for.

/** The offsets of the bytes shown by the elements matching `selector`, in order. */
export function offsetsOf(page, selector) {
  return page.$$eval(selector, (l) => l.flatMap((s) =>
    Array.from({ length: Number(s.dataset.n || 1) }, (_, k) => Number(s.dataset.i) + k)));
}

/** Where byte `i` is drawn in the view `box` ("#bytes", or "#hexview" with `column` "hx"
 * for its hex pair or "ch" for its ASCII character): the middle of its text, scrolled into
 * sight. */
export async function bytePoint(page, box, i, column = "") {
  const pt = await page.evaluate(([box, i, column]) => {
    const sel = column ? `${box} .${column}[data-i]` : `${box} span[data-i]`;
    const span = [...document.querySelectorAll(sel)].find((s) => i >= Number(s.dataset.i) && i < Number(s.dataset.i) + Number(s.dataset.n || 1));
    if (!span) return null;
    const k = i - Number(span.dataset.i);
    const node = span.firstChild;
    const one = Number(span.dataset.n || 1) === 1;
    const from = span.starts ? span.starts[k] : one ? 0 : k;
    const len = span.starts ? 2 : one ? node.length : 1;
    const r = document.createRange();
    r.setStart(node, from);
    r.setEnd(node, from + len);
    span.scrollIntoView({ block: "nearest" });
    const b = r.getClientRects()[0];
    return { x: b.left + Math.min(b.width / 2, 4), y: b.top + b.height / 2 };
  }, [box, i, column]);
  if (!pt) throw new Error(`byte ${i} is not drawn in ${box} ${column}`);
  return pt;
}

/** Clicks byte `i` (see bytePoint). */
export async function clickByte(page, box, i, column = "") {
  const { x, y } = await bytePoint(page, box, i, column);
  await page.mouse.click(x, y);
}
