// Module FOTA on the demo device: confirm the plan, watch the module download, apply and
// reboot (the in-page module goes silent, comes back, re-registers), and end in a verified
// success with the new module firmware version. Saves out/demo-fota.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, screenshot } from './lib/harness.mjs';

test('a module FOTA survives the reboot on the demo device', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#start-fota').waitFor({ state: 'visible', timeout: 10_000 });
    const before = await page.textContent('[data-testid="device-firmware"]');
    await page.click('#start-fota');

    await page.locator('#confirm-plan').waitFor({ state: 'visible', timeout: 15_000 });
    await page.click('#confirm-plan');

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 90_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    assert.equal(await page.getAttribute('#stage-reboot', 'data-state'), 'done', 'the reboot stage completed');
    const after = await page.textContent('[data-testid="device-firmware"]');
    assert.notEqual(after, before, 'the device panel shows the new module firmware');
    await screenshot(page, 'demo-fota');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
