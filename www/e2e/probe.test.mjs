// The probe on connect, over the fake Web Serial port bridged to `otaflash sim … --ws`:
// right after connecting to the QuecThing module the device panel shows its family, model
// and IMEI (AT+GSN) and the form offers SOTA / FOTA but not ESP-AT; connecting to the
// ESP-AT module shows the ESP-AT job without choosing it and no SOTA. The #module-family
// select overrides the detection (and says it in Chinese too). The device report of a job
// carries the probed IMEI, and "next device" probes again.
// Saves out/probe-quecthing.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { screenshot } from './lib/harness.mjs';
import { appErrors, connectBridged, fastModule, withBridgedPage } from './lib/sim.mjs';

const IMEI = '490154203237518';

const row = (page, key) => page.textContent(`[data-testid="device-${key}"] dd`);

test('a QuecThing module is probed on connect: IMEI in the panel, SOTA and FOTA offered', async () => {
  const sims = { module: ['module', fastModule({ identity: { imei: IMEI } })] };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    assert.equal((await row(page, 'imei')).trim(), IMEI);
    assert.equal((await row(page, 'model')).trim(), 'EC200U');
    assert.match(await row(page, 'family'), /QuecThing/);
    assert.equal(await page.getAttribute('#detected-family', 'data-family'), 'quecthing');
    assert.ok(await page.isVisible('#start-sota'));
    assert.ok(await page.isVisible('#start-fota'));
    assert.equal(await page.locator('#start-espat').count(), 0, 'no ESP-AT job for a QuecThing module');
    assert.ok(await page.isVisible('#flash-file'), 'a local file can always be flashed');
    const state = await module.waitFor((s) => s.commands?.includes('AT+GSN'));
    assert.ok(state.commands.includes('AT+GSN'), `${state.commands}`);
    assert.ok(!state.commands.some((c) => c.startsWith('AT+QIOTREG')), 'the probe does not register');

    // The technician knows better: the ESP-AT form, then back to the detection.
    await page.selectOption('#module-family', 'espat');
    await page.locator('#start-espat').waitFor();
    assert.equal(await page.locator('#start-sota').count(), 0);
    await page.click('#lang-zh');
    assert.match(await page.textContent('label:has(#module-family)'), /任务适用于/);
    assert.match(await page.textContent('#module-family option[value="auto"]'), /自动，检测结果：QuecThing/);
    await page.click('#lang-en');
    await page.selectOption('#module-family', 'auto');
    await page.locator('#start-sota').waitFor();

    await screenshot(page, 'probe-quecthing');
    assert.deepEqual(appErrors(errors), []);
  });
});

test('an ESP-AT module is probed on connect: the ESP-AT form shows without choosing it', async () => {
  const sims = { module: ['espat', { latency_ms: 2 }] };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    assert.equal(await page.getAttribute('#detected-family', 'data-family'), 'espat');
    assert.ok(await page.isVisible('#start-espat'));
    assert.equal(await page.locator('#start-sota').count(), 0, 'no SOTA for an ESP-AT module');
    assert.equal(await page.locator('#start-fota').count(), 0);
    assert.match(await row(page, 'firmware'), /2\.2\.0\.0/);
    assert.equal((await row(page, 'imei')).trim(), '—', 'a Wi-Fi module has no IMEI');

    await page.selectOption('#module-family', 'quecthing');
    await page.locator('#start-sota').waitFor();
    assert.equal(await page.locator('#start-espat').count(), 0);
    assert.deepEqual(appErrors(errors), []);
  });
});

test('"next device" probes the next module again', async () => {
  const sims = { module: ['module', fastModule({ identity: { imei: IMEI } })] };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module, saveImage: true });
    await page.click('#start-sota');
    await page.locator('#reject-plan').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#reject-plan');
    await page.locator('#result').waitFor({ state: 'visible', timeout: 30_000 });
    // The device report names the probed module (the SOTA itself never asks for the IMEI).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(report.module.imei, IMEI, JSON.stringify(report));
    await page.click('#next-device');
    await page.locator('#app[data-screen="ready"]').waitFor({ timeout: 20_000 });
    assert.equal((await row(page, 'imei')).trim(), IMEI);
    const state = await module.waitFor((s) => s.commands?.filter((c) => c === 'AT+GSN').length >= 2);
    assert.equal(state.commands.filter((c) => c === 'AT+GSN').length, 2, `${state.commands}`);
    assert.deepEqual(appErrors(errors), []);
  });
});
