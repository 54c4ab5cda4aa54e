// Module FOTA over the fake Web Serial port bridged to `otaflash sim module --ws`: confirm the
// plan, watch the download, and follow the module through its reboot, during which the
// simulator drops the WebSocket and refuses new ones (the browser sees an unplugged port
// that comes back). Ends in a verified success with the new firmware version, which the
// simulator's state file confirms. Saves out/serial-fota.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot } from './lib/harness.mjs';
import { appErrors, connectBridged, fastModule, withBridgedPage } from './lib/sim.mjs';

const FROM = 'EC200UCNAAR03A03M08';
const TO = 'EC200UCNAAR03A04M08';

test('a module FOTA over a bridged port survives the module reboot', async () => {
  // reg_mode 2: the module re-registers by itself after the reboot; register_ms 300 keeps its
  // `3,10200` clear of the host's own AT+QIOTREG=1 (see crates/cli/tests/fota.rs).
  const sims = {
    module: ['module', fastModule({
      reg_mode: 2,
      timing: { register_ms: 300, fota_reboot_ms: 2_000 },
      plan: [{ id: 'EC200U', kind: 'module', source: FROM, target: TO, image: { size: 200_000 } }],
    })],
  };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    await page.click('#start-fota');
    await page.locator('#confirm-plan').waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await page.textContent('#plan-from'), FROM);
    assert.equal(await page.textContent('#plan-to'), TO);
    assert.match(await page.textContent('[data-testid="device-firmware"]'), new RegExp(`${FROM}$`), 'the panel shows the old firmware');
    await page.click('#confirm-plan');

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 90_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    assert.equal(await page.getAttribute('#stage-reboot', 'data-state'), 'done', 'the reboot stage completed');
    assert.match(await page.textContent('[data-testid="device-firmware"]'), new RegExp(`${TO}$`), 'the panel shows the new firmware');

    // The port really went away and was opened again after the reboot.
    const calls = (await page.evaluate(() => window.__serialLog)).filter((e) => e.port === 0).map((e) => e.call);
    const firstLoss = calls.indexOf('link-closed');
    assert.ok(firstLoss > 0, `the link dropped during the reboot: ${calls}`);
    assert.ok(calls.slice(firstLoss).includes('opened'), `the module port was opened again after the reboot: ${calls}`);
    const state = await module.waitFor((s) => s.module_version === TO);
    assert.equal(state.module_version, TO, 'the simulated module runs the new firmware');

    await screenshot(page, 'serial-fota');
    assert.deepEqual(appErrors(errors), []);
  });
});
