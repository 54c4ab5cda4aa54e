// The main job with no hardware: the app opens with the demo device selected, and a full
// SOTA (module download, transfer, MD5/SHA-256, STM32 erase/write/verify, version report)
// runs in the in-page simulators, through the plan card, to a success result with a
// downloadable JSON report and transcript. Saves out/demo-plan.png and out/demo-sota.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { DIST, serveDist, launch, screenshot } from './lib/harness.mjs';

test('a full SOTA runs on the demo device', async () => {
  assert.ok(existsSync(`${DIST}/index.html`), `no build at ${DIST}: run trunk build --release first`);
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    const demo = page.locator('#demo-device');
    await demo.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await demo.getAttribute('aria-pressed'), 'true', 'the demo device is the default');

    await page.click('#connect');
    await page.locator('#start-sota').waitFor({ state: 'visible', timeout: 10_000 });
    await page.click('#start-sota');

    // The plan card waits for the technician; every strategy check is shown.
    await page.locator('#confirm-plan').waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await page.textContent('#plan-component'), 'STM32');
    assert.equal(await page.textContent('#plan-to'), '2_0_0');
    const checks = await page.locator('#plan-card [data-testid^="check-"]').count();
    assert.ok(checks >= 1, 'the plan card lists its checks');
    await screenshot(page, 'demo-plan');
    await page.click('#confirm-plan');

    // Separate stages with their own bars; transfer shows bytes.
    await page.locator('#stage-transfer progress').waitFor({ timeout: 10_000 });
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    for (const stage of ['transfer', 'verify', 'erase', 'write', 'flash-verify', 'report']) {
      assert.equal(await page.getAttribute(`#stage-${stage}`, 'data-state'), 'done', `stage ${stage}`);
    }
    // The device panel learnt the module and the new MCU version.
    assert.match(await page.textContent('[data-testid="device-model"]'), /EC200U/);
    assert.match(await page.textContent('[data-testid="device-mcu"]'), /2_0_0/);

    const [report] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
    const json = JSON.parse(readFileSync(await report.path(), 'utf8'));
    assert.equal(json.result, 'success');
    assert.equal(json.to_version, '2_0_0');
    assert.match(json.sha256, /^[0-9a-f]{64}$/);

    const [transcript] = await Promise.all([page.waitForEvent('download'), page.click('#download-transcript')]);
    const text = readFileSync(await transcript.path(), 'utf8');
    assert.match(text, /module tx t "AT\+QIOTOTARD=/);
    assert.match(text, /mcu tx h /);

    await screenshot(page, 'demo-sota');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('the language switch changes the UI to Simplified Chinese', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#lang-zh');
    assert.match(await page.textContent('#demo-device'), /演示设备/);
    assert.equal(await page.getAttribute('#app', 'lang'), 'zh-CN');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a local .hex file is flashed into the demo STM32', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#flash-file').waitFor({ state: 'visible', timeout: 10_000 });
    // 256 bytes at 0x08000000 as Intel HEX: 16 data records and an EOF record.
    const lines = [':020000040800F2'];
    for (let i = 0; i < 16; i += 1) {
      const data = Array.from({ length: 16 }, (_, j) => (i * 16 + j) & 0xff);
      const bytes = [16, (i * 16) >> 8, (i * 16) & 0xff, 0, ...data];
      const sum = (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
      lines.push(`:${[...bytes, sum].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase()}`);
    }
    lines.push(':00000001FF');
    await page.setInputFiles('#flash-file', { name: 'app.hex', mimeType: 'text/plain', buffer: Buffer.from(`${lines.join('\n')}\n`) });
    const start = page.locator('#start-flash:not([disabled])');
    await start.waitFor({ timeout: 5_000 });
    await start.click();
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    assert.equal(await page.getAttribute('#stage-write', 'data-state'), 'done');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
