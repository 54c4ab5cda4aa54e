// Resume (issue 7) of a job an embedding portal started: the portal (another localhost
// origin, allowlisted) embeds the flasher whose fake Web Serial is bridged to a simulated
// module and STM32, and starts a SOTA by postMessage. Mid-transfer the portal reloads the
// flasher's iframe; as soon as the reloaded flasher says otaflash:ready the portal sends
// the same start again: the flasher is still on the connect screen and has not read its
// IndexedDB journal yet (without the patch of the waiting job in ui/resume.rs use_journal
// this test fails). The job must take the journal path a technician's Resume takes: it
// resumes past the start (at most the read in flight done twice, no second plan request
// to the module), ends in success with the module's image
// in the MCU, and the portal gets the result report. The simulators' state files are the
// judges, as in resume.test.mjs. Saves out/embed-resume.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, screenshot } from './lib/harness.mjs';
import { deployWithOrigins, flasherHeaders, hostDir, launchWith, serveOn, serveStatic } from './lib/field.mjs';
import { FAKE_SERIAL, MCU_INFO, MODULE_INFO, appErrors, fastModule, startSim } from './lib/sim.mjs';

const KIB = 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const START = { job: 'sota', component: 'STM32', current_version: '1_0_0', auto_confirm: true };

/** Every AT+QIOTOTARD start offset the module received, in order. */
function readOffsets(moduleState) {
  return moduleState.commands
    .map((c) => /^AT\+QIOTOTARD=(\d+),\d+/.exec(c))
    .filter(Boolean)
    .map((m) => Number(m[1]));
}

/** The portal's recorded events of `type`. */
async function portalEvents(page, type) {
  return page.evaluate((t) => window.events.filter((e) => e.type === t), type);
}

test('a portal-started SOTA resumes from the journal after the flasher iframe reloads mid-transfer', async (t) => {
  // As resume.test.mjs: module blocks of one read, a checkpoint before every read, reads
  // answered after 300 ms so the reload lands while one is in flight.
  const module = await startSim('module', fastModule({
    free_space: KIB,
    plan: [{ image: { size: 24 * KIB } }],
    timing: { download_per_block_ms: 30, first_data_ms: 20 },
    command_latency_ms: { QIOTOTARD: 300 },
  }));
  const mcu = await startSim('stm32', { serial: { pacing: false } });
  const portalPort = await freePort();
  const portal = `http://127.0.0.1:${portalPort}`;
  const deploy = deployWithOrigins([portal]);
  // The recommended headers, plus connect-src for the fake ports' WebSockets to the sims.
  const headers = flasherHeaders(deploy.dir, [portal]);
  const flasher = await serveStatic(deploy.dir, (rel) => {
    const h = headers(rel);
    const csp = h['Content-Security-Policy'];
    return csp ? { 'Content-Security-Policy': `${csp}; connect-src 'self' ws://127.0.0.1:*` } : h;
  });
  const portalHost = hostDir(flasher.url, path.join(deploy.dir, 'embed', 'ota-flasher.js'));
  const servers = [flasher];
  const browser = await launchWith();
  try {
    servers.push(await serveOn(portalHost.dir, portalPort));
    const { page, errors } = browser;
    // Init scripts run in every frame, so the flasher's iframe gets the fake ports too.
    const ports = [{ ws: module.url, info: MODULE_INFO }, { ws: mcu.url, info: MCU_INFO }];
    await page.addInitScript((p) => { window.__fakeSerialPorts = p; }, ports);
    await page.addInitScript(FAKE_SERIAL);
    await page.goto(`${portal}/`);
    await page.waitForFunction(() => window.events.some((e) => e.type === 'otaflash:ready'), null, { timeout: 20_000 });

    // The technician picks the ports in the frame once; the portal starts the job.
    const frame = page.frameLocator('ota-flasher iframe');
    await frame.locator('#use-serial').click({ timeout: 20_000 });
    await frame.locator('#pick-module-port').click();
    await frame.locator('#module-port-label', { hasText: '2c7c:0125' }).waitFor();
    await frame.locator('#pick-mcu-port').click();
    await frame.locator('#mcu-port-label', { hasText: '0403:6001' }).waitFor();
    await page.evaluate((start) => document.getElementById('flasher').start(start), START);
    const before = await module.waitFor((s) => s.reads >= 8, 30_000);
    assert.ok(before.reads >= 8, `the transfer did not start: ${before.reads} reads; ${await frame.locator('#app').textContent()}`);
    // Right after the module received a read (its block's checkpoint is journaled by then).
    await module.waitFor((s) => s.reads > before.reads, 5_000);
    await sleep(100);

    // The portal reloads the flasher and sends start the moment it is ready again.
    await page.evaluate((start) => {
      const f = document.getElementById('flasher');
      window.restarted = new Promise((resolve) => {
        f.addEventListener('otaflash:ready', () => { f.start(start); resolve(); }, { once: true });
      });
      const iframe = f.querySelector('iframe');
      iframe.src = iframe.src;
    }, START);
    await page.evaluate(() => window.restarted);

    const note = frame.locator('#resume-note');
    await note.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await note.getAttribute('data-kind'), 'resumed', await note.textContent());
    const resumedAt = Number(await note.getAttribute('data-offset'));
    assert.ok(resumedAt > 0, `resumed past the start (offset ${resumedAt})`);
    await page.waitForFunction(() => window.events.some((e) => e.type === 'otaflash:result'), null, { timeout: 90_000 });
    await screenshot(page, 'embed-resume');

    const [{ report }] = await portalEvents(page, 'otaflash:result');
    assert.equal(report.result, 'success', JSON.stringify(report));
    const moduleState = await module.waitFor((s) => s.reached_10705);
    assert.ok(moduleState.reached_10705, 'the module confirmed the upgrade');
    const [pkg] = moduleState.images;
    assert.equal(report.sha256, pkg.sha256, 'the report names the module\'s image');
    const offsets = readOffsets(moduleState);
    const again = offsets.length - new Set(offsets).size;
    t.diagnostic(`resumed at ${resumedAt}; ${offsets.length} reads, ${again} of them done again`);
    assert.ok(again <= 1, `more than one read was done again: ${offsets.join(',')}`);
    const planRequests = moduleState.commands.filter((c) => c.startsWith('AT+QIOTOTAREQ'));
    assert.equal(planRequests.length, 1, `the plan was requested once: ${planRequests.join(' ')}`);
    const flash = await mcu.waitFor((s) => s.programmed_sha256 === pkg.sha256, 10_000);
    assert.equal(flash.programmed_len, pkg.size, 'programmed length equals the image size');
    assert.equal(flash.programmed_sha256, pkg.sha256, 'the MCU flash holds the image');
    assert.equal((await portalEvents(page, 'otaflash:ready')).length, 2, 'the flasher was ready twice');
    assert.deepEqual(appErrors(errors), []);
  } finally {
    await browser.close();
    await Promise.all(servers.map((s) => s.stop()));
    portalHost.remove(); deploy.remove();
    module.stop();
    mcu.stop();
  }
});
