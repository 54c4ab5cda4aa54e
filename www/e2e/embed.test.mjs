// Embedding in a support portal: a host page on another localhost origin loads the
// <ota-flasher> loader (with SRI) and embeds the flasher, which is served with the
// recommended CSP (script-src from dist/csp.txt, frame-ancestors). The host starts a demo
// SOTA by postMessage and receives state, stage, progress and the result report, only
// from the flasher's origin. A page on an origin that is framed but not allowlisted gets
// no events, and its commands are ignored (and logged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, screenshot } from './lib/harness.mjs';
import { deployWithOrigins, flasherHeaders, hostDir, launchWith, serveOn, serveStatic } from './lib/field.mjs';

test('an allowlisted portal drives a demo SOTA and gets progress and the report; others are ignored', async () => {
  const [portalPort, strangerPort] = [await freePort(), await freePort()];
  const portal = `http://127.0.0.1:${portalPort}`;
  const stranger = `http://127.0.0.1:${strangerPort}`;
  // Deployed with only the portal allowlisted; both may frame it (so the stranger's
  // commands reach the message filter rather than being stopped by frame-ancestors).
  const deploy = deployWithOrigins([portal]);
  const flasher = await serveStatic(deploy.dir, flasherHeaders(deploy.dir, [portal, stranger]));
  const loader = path.join(deploy.dir, 'embed', 'ota-flasher.js');
  const portalHost = hostDir(flasher.url, loader);
  const strangerHost = hostDir(flasher.url, loader);
  const servers = [flasher];
  const browser = await launchWith();
  try {
    servers.push(await serveOn(portalHost.dir, portalPort), await serveOn(strangerHost.dir, strangerPort));

    const { page, errors } = browser;
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });

    // 1. The allowlisted portal.
    await page.goto(`${portal}/`);
    await page.waitForFunction(() => window.events.some((e) => e.type === 'otaflash:ready'), null, { timeout: 20_000 });
    await page.evaluate(() => document.getElementById('flasher').start({
      job: 'sota', component: 'STM32', current_version: '1_0_0', auto_confirm: true,
    }));
    await page.waitForFunction(() => window.events.some((e) => e.type === 'otaflash:result'), null, { timeout: 60_000 });
    const { events, raw } = await page.evaluate(() => ({ events: window.events, raw: window.raw }));
    const types = new Set(events.map((e) => e.type));
    for (const t of ['otaflash:ready', 'otaflash:state', 'otaflash:stage', 'otaflash:progress', 'otaflash:plan', 'otaflash:result']) {
      assert.ok(types.has(t), `the portal received ${t}`);
    }
    const transfer = events.filter((e) => e.type === 'otaflash:progress' && e.stage === 'transfer');
    assert.ok(transfer.length >= 1 && transfer.at(-1).total > 0, 'transfer progress with a total');
    const { report } = events.find((e) => e.type === 'otaflash:result');
    assert.equal(report.result, 'success', JSON.stringify(report));
    assert.equal(report.to_version, '2_0_0');
    assert.match(report.sha256, /^[0-9a-f]{64}$/);
    assert.ok(report.module && report.durations.length > 0);
    assert.equal(report.module.simulated, true, 'the portal can tell a demo-device report from hardware');
    assert.ok(raw.length > 0 && raw.every((m) => m.origin === flasher.origin), 'every message came from the flasher');
    await screenshot(page, 'embed-portal');

    // 2. A framing page that is not allowlisted: no events, its command is ignored.
    await page.goto(`${stranger}/`);
    const frame = page.frameLocator('ota-flasher iframe');
    await frame.locator('#app').waitFor({ timeout: 20_000 });
    await page.evaluate((origin) => {
      document.querySelector('ota-flasher iframe').contentWindow.postMessage(
        { type: 'otaflash:start', job: 'sota', component: 'STM32', current_version: '1_0_0', auto_confirm: true }, origin);
    }, flasher.origin);
    await page.waitForTimeout(2_000);
    assert.equal(await frame.locator('#app').getAttribute('data-screen'), 'connect', 'the command was not acted upon');
    assert.deepEqual(await page.evaluate(() => window.raw), [], 'no event reached a non-allowlisted parent');
    assert.ok(warnings.some((w) => w.includes('ignored a message from') && w.includes(stranger)), warnings.join('\n'));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await Promise.all(servers.map((s) => s.stop()));
    portalHost.remove(); strangerHost.remove(); deploy.remove();
  }
});
