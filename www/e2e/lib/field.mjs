// Helpers for the field-readiness e2e tests (embedding, languages, station mode, secrets):
// a deployable copy of the build with an embedding allowlist, a static server that sends
// the recommended security headers, a browser launch with a chosen locale, and downloads.
// Like harness.mjs, this file holds no assertions.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { DIST } from './harness.mjs';

/**
 * A copy of the build whose index.html allowlists `origins` for the embedding API (the
 * deploy-time step README "Embedding" describes). Returns { dir, remove() }.
 */
export function deployWithOrigins(origins) {
  const dir = mkdtempSync(path.join(tmpdir(), 'otaflash-deploy-'));
  cpSync(DIST, dir, { recursive: true });
  const index = path.join(dir, 'index.html');
  const html = readFileSync(index, 'utf8');
  const meta = '<meta name="otaflash-embed-origins" content="">';
  if (!html.includes(meta)) throw new Error('index.html has no otaflash-embed-origins meta tag');
  writeFileSync(index, html.replace(meta, `<meta name="otaflash-embed-origins" content="${origins.join(' ')}">`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json', '.json': 'application/json', '.txt': 'text/plain',
};

/**
 * Serve `dir` on 127.0.0.1 (a free port). `headers(pathname)` adds response headers, e.g.
 * the Content-Security-Policy of a deployment. Returns { url, origin, port, stop() }.
 */
export async function serveStatic(dir, headers = () => ({})) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(dir, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    let body;
    try { body = readFileSync(file); } catch { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      ...headers(rel),
    });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/`, origin, port,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The headers README "Embedding" recommends for the flasher's index.html: the build's
 * script-src (dist/csp.txt), and frame-ancestors limited to `ancestors`.
 */
export function flasherHeaders(dir, ancestors) {
  const scriptSrc = readFileSync(path.join(dir, 'csp.txt'), 'utf8').trim();
  return (rel) => (rel.endsWith('.html')
    ? { 'Content-Security-Policy': `default-src 'self'; ${scriptSrc}; style-src 'self' 'unsafe-inline'; frame-ancestors 'self' ${ancestors.join(' ')}` }
    : {});
}

/** Headless Debian Chromium (as harness.launch) with a locale, e.g. 'zh-CN'. */
export async function launchWith({ locale = 'en-US' } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'otaflash-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    locale,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', `--lang=${locale}`],
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

/** Click `selector` in `scope` (a page or frame locator) and return the download's text. */
export async function downloadText(page, scope, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), scope.locator(selector).click()]);
  return readFileSync(await download.path(), 'utf8');
}

/** Run a demo SOTA in `scope` from the ready screen through the plan card to its result. */
export async function demoSota(scope, { timeout = 60_000 } = {}) {
  await scope.locator('#start-sota:not([disabled])').click({ timeout: 10_000 });
  await scope.locator('#confirm-plan').click({ timeout: 20_000 });
  const result = scope.locator('#result');
  await result.waitFor({ state: 'visible', timeout });
  return result.getAttribute('data-result');
}

/** A portal page that embeds `flasherUrl` and records every message and DOM event. */
export function hostDir(flasherUrl, loaderSource) {
  const dir = mkdtempSync(path.join(tmpdir(), 'otaflash-host-'));
  copyFileSync(loaderSource, path.join(dir, 'ota-flasher.js'));
  const sri = readFileSync(`${loaderSource}.sri`, 'utf8').trim();
  writeFileSync(path.join(dir, 'index.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>support portal</title><link rel="icon" href="data:,">
<script src="/ota-flasher.js" integrity="${sri}"></script></head>
<body><h1>Support portal</h1>
<ota-flasher id="flasher" src="${flasherUrl}" style="display:block;height:800px"></ota-flasher>
<script>
  window.raw = []; window.events = [];
  addEventListener('message', (e) => raw.push({ origin: e.origin, data: e.data }));
  const f = document.getElementById('flasher');
  for (const t of ['ready', 'state', 'stage', 'progress', 'plan', 'result', 'rejected']) {
    f.addEventListener('otaflash:' + t, (e) => events.push(e.detail));
  }
</script></body></html>`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A host page server on a fixed port (the allowlist must name the origin before it starts). */
export async function serveOn(dir, port) {
  const server = createServer((req, res) => {
    const rel = new URL(req.url, 'http://x').pathname.replace(/\/$/, '/index.html');
    try {
      const body = readFileSync(path.join(dir, path.normalize(rel)));
      res.writeHead(200, { 'Content-Type': rel.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(body);
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}
