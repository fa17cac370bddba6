// Shared set-up for the browser tests: simple-server serving web-demo/dist on 127.0.0.1, and
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

/** Saves a screenshot of `page` under target/browser-artifacts/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
