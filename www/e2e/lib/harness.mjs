// Shared e2e harness: serve the built dist/ on 127.0.0.1, launch Debian's headless Chromium
// through playwright-core (never a downloaded browser), collect page errors, and save
// screenshots under www/e2e/out/. Tests import these helpers; they hold no assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const DIST = process.env.DIST ?? path.join(ROOT, 'dist');
export const OUT = path.join(ROOT, 'www/e2e/out');

/** The demo worker's loader, glue and wasm paths in a build: content-hashed names that the
 *  build's index.html names in its otaflash-demo-worker meta (www/pwa/demo-worker-names.mjs). */
export function demoWorkerFiles(dir = DIST) {
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const m = html.match(/<meta name="otaflash-demo-worker" content="(otaflash-demo-[0-9a-f]{16})_loader\.js">/);
  if (!m) throw new Error(`${dir}/index.html names no demo worker`);
  return { loader: `/${m[1]}_loader.js`, glue: `/${m[1]}.js`, wasm: `/${m[1]}_bg.wasm` };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Wait until `port` on 127.0.0.1 accepts connections. */
export async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Serve `dir` on a free port; returns { url, port, stop() }. */
export async function serveDist(dir = DIST) {
  const port = await freePort();
  const proc = spawn('python3', [path.join(here, 'serve.py'), dir, String(port)], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    }),
  };
}

/**
 * Launch headless Chromium with the offline-friendly flags from toolchain.md, in a fresh
 * profile. Returns { context, page, errors, close() }; `errors` collects page errors and
 * console errors so tests can assert the page stayed clean.
 */
export async function launch() {
  const profile = mkdtempSync(path.join(tmpdir(), 'otaflash-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return {
    context, page, errors,
    close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

/** Save a full-page screenshot as www/e2e/out/<name>.png and return its path. */
export async function screenshot(page, name) {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
