// The run command's page loads in headless Chromium: the app boots (wasm instantiated, the
// Yew root rendered), no page errors, and the demo device is offered. Saves out/smoke.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DIST, serveDist, launch, screenshot } from './lib/harness.mjs';

test('the built app loads and renders its shell', async () => {
  assert.ok(existsSync(`${DIST}/index.html`), `no build at ${DIST}: run trunk build --release first`);
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    // #demo-device only exists once the wasm app has rendered.
    await page.waitForSelector('#demo-device', { state: 'visible', timeout: 20_000 });
    assert.match(await page.title(), /otaflash/i);
    await screenshot(page, 'smoke');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
