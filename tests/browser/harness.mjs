// Shared set-up for the browser tests: a static server for web-demo/dist on 127.0.0.1 and
// Debian's headless Chromium driven by playwright-core (which downloads no browser).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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

/**
 * Serves `dir` on an ephemeral port of 127.0.0.1 with Python's http.server (which sends
 * `.wasm` as application/wasm). Resolves to { url, stop }.
 */
export function serveStatic(dir) {
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(`${dir}/index.html is missing: build the explorer first with web-demo/build`);
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`static server did not start: ${out}`));
    }, 10_000);
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      });
    child.stdout.on("data", (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: `http://127.0.0.1:${m[1]}/`, stop });
      }
    });
    child.stderr.on("data", () => {}); // the access log
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`static server exited (${code}): ${out}`));
    });
  });
}

/**
 * Starts headless Chromium with a fresh profile. Returns { context, page, problems, close }:
 * `problems` collects every console error or warning, page error, failed request and HTTP
 * error status, so that a test can insist there were none.
 */
export async function openBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "simplehttp-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
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

/** Saves a screenshot of `page` under target/browser-artifacts/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
