// Station mode: two demo devices in a row. "Next device" keeps the form and connects the
// next (fresh) demo device; each finished job joins the shift, whose CSV has a header and
// one row per device, and each device's report JSON carries the module's facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, screenshot } from './lib/harness.mjs';
import { demoSota, downloadText, launchWith } from './lib/field.mjs';

test('two devices in a row make a two-row shift CSV', async () => {
  const server = await serveDist();
  const browser = await launchWith();
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ timeout: 20_000 });
    await page.click('#connect');
    await page.fill('#component', 'STM32');
    assert.equal(await demoSota(page), 'success', await page.textContent('#app'));
    const first = JSON.parse(await downloadText(page, page, '#download-report'));
    assert.equal(first.device, 1);
    assert.equal(first.result, 'success');
    // The core does not read the IMEI yet (no AT+GSN in its connect phase), so only its
    // presence is checked; model and firmware come from ATI / AT+QIOTINFO.
    assert.equal(typeof first.module.imei, 'string');
    assert.match(first.module.firmware, /\S/);
    assert.match(first.module.model, /EC200U/);

    await page.click('#next-device');
    await page.locator('#app[data-screen="ready"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.inputValue('#component'), 'STM32', 'the form is kept');
    assert.equal(await demoSota(page), 'success', await page.textContent('#app'));
    const second = JSON.parse(await downloadText(page, page, '#download-report'));
    assert.equal(second.device, 2);

    const shift = page.locator('#shift');
    assert.equal(await shift.getAttribute('data-count'), '2');
    assert.equal(await shift.getAttribute('data-succeeded'), '2');
    const csv = await downloadText(page, page, '#download-shift-csv');
    const rows = csv.split('\r\n').filter((r) => r.length > 0);
    assert.equal(rows.length, 3, csv);
    const header = rows[0].split(',');
    for (const column of ['imei', 'model', 'firmware', 'component', 'from_version', 'to_version', 'size', 'md5', 'sha256', 'durations_ms', 'result', 'lwm2m_result']) {
      assert.ok(header.includes(column), `column ${column}`);
    }
    const cell = (row, name) => rows[row].split(',')[header.indexOf(name)];
    for (const row of [1, 2]) {
      assert.equal(cell(row, 'device'), String(row));
      assert.equal(cell(row, 'result'), 'success');
      assert.equal(cell(row, 'lwm2m_result'), '1');
      assert.equal(cell(row, 'to_version'), '2_0_0');
      assert.match(cell(row, 'sha256'), /^[0-9a-f]{64}$/);
      assert.match(cell(row, 'durations_ms'), /transfer=\d+/);
      assert.equal(cell(row, 'device_kind'), 'demo', 'a demo-device row must not pass for hardware');
    }
    await screenshot(page, 'station-shift');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a job holds a screen wake lock, warns when the tab is hidden, and lets go at the end', async () => {
  const server = await serveDist();
  const browser = await launchWith();
  try {
    const { page, errors } = browser;
    // A recording stand-in for navigator.wakeLock (headless Chromium has no screen to keep on).
    await page.addInitScript(() => {
      window.wake = [];
      const wakeLock = {
        request: async (type) => {
          window.wake.push(`request:${type}`);
          return { release: async () => { window.wake.push('release'); } };
        },
      };
      Object.defineProperty(Navigator.prototype, 'wakeLock', { get: () => wakeLock });
    });
    const setHidden = (hidden) => page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#start-sota:not([disabled])').click({ timeout: 10_000 });
    await page.locator('#confirm-plan').waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => window.wake.includes('request:screen'));
    assert.deepEqual(await page.evaluate(() => window.wake), ['request:screen'], 'no lock before the job');

    await setHidden(true);
    await page.locator('#warning').waitFor({ timeout: 5_000 });
    assert.match(await page.textContent('#warning'), /background/);
    await setHidden(false);
    await page.waitForFunction(() => window.wake.filter((w) => w === 'request:screen').length === 2);

    await page.click('#confirm-plan');
    await page.locator('#result').waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => window.wake.filter((w) => w === 'release').length === 2);
    assert.match(await downloadText(page, page, '#download-transcript'), /# This tab went to the background/,
      'the warning stays in the transcript');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
