// The demo device runs in a dedicated Web Worker (otaflash-demo) that the page loads only when
// the demo connects and terminates when it disconnects: the first load fetches none of its
// files, connecting starts exactly one worker from this build's hashed loader (the probe then
// runs through it), and disconnecting ends it. And README's recommended Content-Security-Policy
// (dist/csp.txt), sent on every response, lets the worker load its glue and compile its wasm.
// Offline is covered by offline.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DIST, serveDist, launch, demoWorkerFiles } from './lib/harness.mjs';
import { serveStatic } from './lib/field.mjs';

const isDemoFile = (url) => /\/otaflash-demo[^/]*$/.test(new URL(url).pathname);

test('the demo worker is loaded on connect and ended on disconnect', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    const requested = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForLoadState('networkidle');
    assert.deepEqual(requested.filter(isDemoFile), [], 'the first load fetches no demo files');
    assert.deepEqual(page.workers(), [], 'no worker before the demo connects');

    const [worker] = await Promise.all([page.waitForEvent('worker', { timeout: 10_000 }), page.click('#connect')]);
    assert.equal(new URL(worker.url()).pathname, demoWorkerFiles().loader);
    // The probe answered through the worker: the job form appears with the device's facts.
    await page.locator('#start-sota').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await page.textContent('[data-testid="device-model"]'), /EC200U/);
    assert.ok(requested.some((u) => new URL(u).pathname === demoWorkerFiles().wasm), 'the worker fetched its wasm');
    assert.equal(page.workers().length, 1, 'one worker for both ports');

    const closed = new Promise((resolve) => worker.once('close', resolve));
    await page.click('#disconnect');
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the worker outlived the disconnect')), 5_000)),
    ]);
    assert.deepEqual(page.workers(), []);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('the demo worker files are named by a hash of their contents', () => {
  const files = demoWorkerFiles();
  const read = (p) => readFileSync(path.join(DIST, p));
  const hash = createHash('sha256').update(read(files.glue)).update(read(files.wasm)).digest('hex').slice(0, 16);
  assert.equal(files.loader, `/otaflash-demo-${hash}_loader.js`);
  assert.equal(read(files.loader).toString(),
    `importScripts(".${files.glue}");wasm_bindgen(".${files.wasm}");`);
  for (const unhashed of ['otaflash-demo.js', 'otaflash-demo_bg.wasm', 'otaflash-demo_loader.js']) {
    assert.ok(!existsSync(path.join(DIST, unhashed)), `${unhashed} is not shipped`);
  }
});

test('the recommended CSP on every response lets the demo worker run', async () => {
  const scriptSrc = readFileSync(path.join(DIST, 'csp.txt'), 'utf8').trim();
  const csp = `default-src 'self'; ${scriptSrc}; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'`;
  const server = await serveStatic(path.resolve(DIST), () => ({ 'Content-Security-Policy': csp }));
  const browser = await launch();
  try {
    const { page, errors } = browser;
    const violations = [];
    page.on('console', (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) violations.push(m.text()); });
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#start-sota').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await page.textContent('[data-testid="device-model"]'), /EC200U/);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
