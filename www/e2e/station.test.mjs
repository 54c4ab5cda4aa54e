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
    }
    await screenshot(page, 'station-shift');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
