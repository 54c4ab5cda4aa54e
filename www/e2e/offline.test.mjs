// Offline PWA: load once, let the service worker precache the shell and the hashed wasm/js
// (and the demo device's worker), stop the server, reload, and the app still boots and the
// demo device still connects. Saves out/offline.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, screenshot, demoWorkerFiles } from './lib/harness.mjs';

test('the app boots offline after one visit', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page } = browser;
    await page.goto(server.url);
    await page.waitForSelector('#demo-device', { state: 'visible', timeout: 20_000 });
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
      }
    });
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('otaflash-')));
      return (await cache.keys()).map((r) => new URL(r.url).pathname);
    });
    assert.ok(cached.some((p) => p.endsWith('.wasm')), `wasm precached: ${cached}`);
    assert.ok(cached.some((p) => p.endsWith('.js') && p !== '/sw.js'), `js precached: ${cached}`);
    for (const file of Object.values(demoWorkerFiles())) {
      assert.ok(cached.includes(file), `demo worker precached: ${file} in ${cached}`);
    }

    await server.stop();
    const direct = await page.evaluate(async (url) => {
      try { await fetch(`${url}/nonexistent-${Date.now()}`, { cache: 'no-store' }); return 'reachable'; } catch { return 'offline'; }
    }, server.url);
    assert.equal(direct, 'offline', 'the server is really gone');

    await page.reload();
    await page.waitForSelector('#demo-device', { state: 'visible', timeout: 20_000 });
    // The demo device's worker comes from the cache too: the probe runs through it.
    await page.click('#connect');
    await page.waitForSelector('#start-sota', { state: 'visible', timeout: 20_000 });
    await screenshot(page, 'offline');
  } finally {
    await browser.close();
    await server.stop();
  }
});
