// The demo device runs in a dedicated Web Worker (otaflash-demo) that the page loads only when
// the demo connects and terminates when it disconnects: the first load fetches none of its
// files, connecting starts exactly one worker from otaflash-demo_loader.js (the probe then
// runs through it), and disconnecting ends it. And README's recommended Content-Security-Policy
// (dist/csp.txt), sent on every response, lets the worker load its glue and compile its wasm.
// Offline is covered by offline.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DIST, serveDist, launch } from './lib/harness.mjs';
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
    assert.equal(new URL(worker.url()).pathname, '/otaflash-demo_loader.js');
    // The probe answered through the worker: the job form appears with the device's facts.
    await page.locator('#start-sota').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await page.textContent('[data-testid="device-model"]'), /EC200U/);
    assert.ok(requested.some((u) => new URL(u).pathname === '/otaflash-demo_bg.wasm'), 'the worker fetched its wasm');
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
