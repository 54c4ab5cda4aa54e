// ESP-AT module upgrade over the fake Web Serial port bridged to `otaflash sim espat --ws`:
// choose AT+USEROTA, type the firmware URL, start, and follow the module through its
// download and its own reboot to the AT+GMR version check. Ends in a verified success whose
// report says job "espat", and the simulator's state file shows the new version and the
// exact URL it received. The form's strings switch to Simplified Chinese. Saves
// out/serial-espat.png. Then AT+CIUPDATE to a version: the download row counts the module's
// +CIUPDATE steps (4 of 4) and the module received the version on the command line. Then
// a non-blocking AT+CIUPDATE over HTTPS (the form's checkboxes): the module says OK at
// once, its +CIPUPDATE URCs fill the download row, and the page restarts it with AT+RST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { screenshot } from './lib/harness.mjs';
import { appErrors, connectBridged, withBridgedPage } from './lib/sim.mjs';

const URL = 'http://fw.example.com/esp-at/v2.4.0.0/ota.bin';

test('an ESP-AT module upgrades with AT+USEROTA over a bridged port', async () => {
  // Timings cut for CI, as in crates/cli/tests/espat.rs.
  const sims = {
    module: ['espat', { latency_ms: 2, step_ms: 50, download_ms: 300, reboot_ms: 400, http_timeout_ms: 600 }],
  };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    assert.match(await page.textContent('#espat-webserver-help'), /AT\+WEBSERVER/);
    await page.click('#lang-zh');
    assert.equal((await page.textContent('#start-espat')).trim(), '开始 ESP-AT 升级');
    assert.match(await page.textContent('#espat-webserver-help'), /AT\+WEBSERVER（用手机/);
    assert.match(await page.textContent('label:has(#espat-nonblocking)'), /非阻塞/);
    assert.match(await page.textContent('label:has(#espat-https)'), /HTTPS（/);
    await page.click('#lang-en');
    await page.check('#espat-userota');
    assert.ok(await page.isDisabled('#start-espat'), 'no URL yet: the job cannot start');
    await page.fill('#espat-url', 'ftp://fw.example.com/ota.bin');
    await page.locator('#espat-error').waitFor();
    assert.ok(await page.isDisabled('#start-espat'), 'an ftp:// URL is refused before the module hears it');
    await page.fill('#espat-url', URL);
    await page.locator('#espat-error').waitFor({ state: 'detached' });
    await page.click('#start-espat');

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    for (const stage of ['connect', 'download', 'reboot', 'report']) {
      assert.equal(await page.getAttribute(`#stage-${stage}`, 'data-state'), 'done', `stage ${stage}`);
    }
    assert.match(await page.textContent('[data-testid="device-firmware"]'), /2\.4\.0\.0/, 'the panel shows the new version');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(report.job, 'espat');
    assert.equal(report.result, 'success');
    assert.equal(report.from_version, '2.2.0.0');
    assert.equal(report.to_version, '2.4.0.0');
    assert.equal(report.lwm2m_result, 1);

    const state = await module.waitFor((s) => s.version === '2.4.0.0');
    assert.equal(state.version, '2.4.0.0', 'the simulated module runs the new firmware');
    assert.deepEqual(state.urls, [URL], 'the module received the URL byte for byte, once');
    assert.equal(state.reboots, 1);

    await screenshot(page, 'serial-espat');
    assert.deepEqual(appErrors(errors), []);
  });
});

test('an ESP-AT module upgrades with AT+CIUPDATE and shows the module\'s steps', async () => {
  const sims = {
    module: ['espat', { latency_ms: 2, step_ms: 50, download_ms: 300, reboot_ms: 400, new_prefix: true }],
  };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    await page.check('#espat-ciupdate');
    await page.fill('#espat-version', 'v2.4.0.0');
    await page.click('#start-espat');

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    // +CIUPDATE:1..4 are the download's steps, not bytes.
    assert.equal(await page.getAttribute('#stage-download', 'data-done'), '4');
    assert.equal(await page.getAttribute('#stage-download', 'data-total'), '4');
    assert.match(await page.textContent('#stage-download'), /4 \/ 4 · firmware written/);

    const state = await module.waitFor((s) => s.version === '2.4.0.0');
    assert.equal(state.version, '2.4.0.0', 'the simulated module runs the new firmware');
    assert.ok(state.commands.includes('AT+CIUPDATE=0,"v2.4.0.0"'), `${state.commands}`);
    assert.deepEqual(appErrors(errors), []);
  });
});

test('a non-blocking AT+CIUPDATE over HTTPS follows the URCs and restarts the module', async () => {
  const sims = { module: ['espat', { latency_ms: 2, step_ms: 50, download_ms: 300, reboot_ms: 400 }] };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    await page.check('#espat-ciupdate');
    await page.check('#espat-https');
    await page.check('#espat-nonblocking');
    await page.fill('#espat-version', 'v2.4.0.0');
    await page.click('#start-espat');

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    assert.equal(await page.getAttribute('#stage-download', 'data-done'), '4');
    assert.equal(await page.getAttribute('#stage-reboot', 'data-state'), 'done');

    const state = await module.waitFor((s) => s.version === '2.4.0.0');
    const update = state.commands.indexOf('AT+CIUPDATE=1,"v2.4.0.0",,1');
    assert.ok(update >= 0, `${state.commands}`);
    assert.ok(state.commands.indexOf('AT+RST') > update, `the page restarts the module: ${state.commands}`);
    assert.equal(state.reboots, 1);
    assert.deepEqual(appErrors(errors), []);
  });
});
