// Languages: with a Chinese browser locale the app opens in Simplified Chinese (from
// navigator.language), renders the connect, job, plan and result screens in Chinese, and
// shows a failed job's error message and hint in Chinese (the plan is rejected; the plan
// card's checks and the rejection reason are Chinese too). A choice of English is
// remembered across a reload, and the language is the only thing stored.
// A refused firmware file, a failed job's error and hint, and a job's warning are worded
// again in the new language after a switch.
// Saves out/i18n-zh-connect.png, out/i18n-zh-plan.png and out/i18n-zh-error.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, screenshot } from './lib/harness.mjs';
import { launchWith } from './lib/field.mjs';

const HAN = /[\u4e00-\u9fff]/;

test('a zh-CN browser gets every main screen and an error hint in Chinese', async () => {
  const server = await serveDist();
  const browser = await launchWith({ locale: 'zh-CN' });
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ timeout: 20_000 });
    assert.equal(await page.getAttribute('#app', 'lang'), 'zh-CN', 'chosen from navigator.language');
    assert.match(await page.textContent('#demo-device'), /演示设备/);
    assert.match(await page.textContent('#connect'), /连接/);
    assert.match(await page.textContent('#advanced summary'), /高级/);
    await screenshot(page, 'i18n-zh-connect');

    await page.click('#connect');
    await page.locator('#start-sota:not([disabled])').waitFor({ timeout: 10_000 });
    assert.match(await page.textContent('#start-sota'), /开始 SOTA/);
    assert.match(await page.textContent('#device-panel'), /设备/);
    await page.click('#start-sota');
    await page.locator('#reject-plan').waitFor({ timeout: 20_000 });
    assert.match(await page.textContent('#plan-card'), /升级计划/);
    // Each strategy check reads in Chinese too (name and value), its test id stays the key.
    const checks = await page.locator('#plan-card [data-testid^="check-"]').all();
    assert.ok(checks.length > 0, 'the demo plan has strategy checks');
    for (const check of checks) {
      const text = await check.textContent();
      assert.match(text, HAN, text);
      assert.doesNotMatch(text, /battery|signal|space|version|unknown|bytes/, text);
    }
    assert.match(await page.textContent('#progress'), /连接 QuecThing/);
    await screenshot(page, 'i18n-zh-plan');

    await page.click('#reject-plan');
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await result.getAttribute('data-result'), 'failed');
    assert.match(await result.textContent(), /升级失败/);
    assert.match(await page.textContent('#error-message'), HAN);
    // The reason names who declined, in Chinese (no English left in the message).
    assert.match(await page.textContent('#error-message'), /操作员拒绝了该计划/);
    assert.doesNotMatch(await page.textContent('#error-message'), /declined/);
    assert.match(await page.textContent('#error-hint'), /处理建议/);
    const hint = (await page.textContent('#error-hint')).replace('处理建议', '');
    assert.match(hint, HAN, `the hint itself is Chinese: ${hint}`);
    assert.match(await page.textContent('#next-device'), /下一台设备/);
    assert.match(await page.textContent('#shift'), /本班次/);
    await screenshot(page, 'i18n-zh-error');

    // The job ran in Chinese; after a switch its error and hint read in English.
    await page.click('#lang-en');
    await page.waitForFunction(() => document.querySelector('#app')?.getAttribute('lang') === 'en');
    assert.match(await page.textContent('#error-message'), /declined by the operator/);
    for (const id of ['#error-message', '#error-hint']) {
      const text = await page.textContent(id);
      assert.doesNotMatch(text, HAN, `${id} follows the switch: ${text}`);
    }

    // Switching to English is remembered, and the language is all that is stored.
    await page.reload();
    await page.locator('#demo-device').waitFor({ timeout: 20_000 });
    assert.equal(await page.getAttribute('#app', 'lang'), 'en');
    assert.match(await page.textContent('#demo-device'), /Demo device/);
    assert.deepEqual(await page.evaluate(() => ({ ...localStorage })), { 'otaflash.lang': 'en' });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a refused firmware file is worded anew when the language is switched', async () => {
  const server = await serveDist();
  const browser = await launchWith({ locale: 'en-US' });
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#start-sota:not([disabled])').waitFor({ timeout: 10_000 });
    // Line 2 lacks its start code.
    await page.setInputFiles('#flash-file', {
      name: 'app.hex', mimeType: 'text/plain',
      buffer: Buffer.from(':020000040800F2\n10000000FF\n:00000001FF\n'),
    });
    const error = page.locator('#file-error');
    await error.waitFor({ timeout: 5_000 });
    assert.match(await error.textContent(), /Intel HEX line 2: the line does not start with ':'/);
    await page.click('#lang-zh');
    await page.waitForFunction(() => document.querySelector('#app')?.getAttribute('lang') === 'zh-CN');
    assert.equal(await error.textContent(), "固件文件不可用：Intel HEX 第 2 行格式错误：行首缺少起始符 ':'");
    assert.ok(await page.locator('#start-flash').isDisabled(), 'a refused file cannot be flashed');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("a job's warning is worded anew when the language is switched", async () => {
  const server = await serveDist();
  const browser = await launchWith({ locale: 'en-US' });
  try {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.locator('#demo-device').waitFor({ timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#start-sota:not([disabled])').click({ timeout: 10_000 });
    await page.locator('#confirm-plan').click({ timeout: 20_000 });
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success');
    // The demo STM32 has no system memory: its flash size register cannot be read.
    const warning = page.locator('#result-warning');
    assert.match(await warning.textContent(), /could not read the flash size register/);
    await page.click('#lang-zh');
    await page.waitForFunction(() => document.querySelector('#app')?.getAttribute('lang') === 'zh-CN');
    const zh = await warning.textContent();
    assert.match(zh, /无法读取闪存容量寄存器/);
    assert.doesNotMatch(zh, /flash size/, zh);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
