// Resume (issue 7), end to end over the fake Web Serial bridged to `otaflash sim --ws`:
// 1. the module's USB port is unplugged mid-transfer and re-enumerates as a new port object
//    with the same USB ids: the page shows "reconnecting…", re-acquires it through
//    navigator.serial's 'connect' event, resumes the transfer and flashes the right image,
//    re-reading at most the one read that was in flight; "Next device" then opens the new
//    port object;
// 2. the page is reloaded mid-transfer: the IndexedDB journal offers "Resume", which
//    continues at the journaled offset (module blocks of one read each here, so at most one
//    read is done twice) and ends with the right image in the MCU. The reload happens while
//    a read is in flight: reloading between a block's last read and the next block's 10703
//    finds the module on the next block, and the core then starts over (see the report).
//    Then station "Next device": the old driver's ports are closed before the same ports
//    open again (the driver says when it has closed them, no fixed delay);
// 3. the STM32 step fails (write-protected page): the verified image kept in the journal is
//    written to a repaired board with "Write MCU again", without a new download, and the
//    module hears the new version (AT+QIOTMCUVER) as after a SOTA.
// The simulators' state files are the judges: the module's command list (every
// AT+QIOTOTARD offset) and the MCU flash digest. Saves out/resume-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot } from './lib/harness.mjs';
import { appErrors, connectBridged, fastModule, withBridgedPage } from './lib/sim.mjs';

const KIB = 1024;
/** The bootloader at full speed: these tests are about the transfer, not the UART. */
const FAST_STM32 = { serial: { pacing: false } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every AT+QIOTOTARD start offset the module received, in order. */
function readOffsets(moduleState) {
  return moduleState.commands
    .map((c) => /^AT\+QIOTOTARD=(\d+),\d+/.exec(c))
    .filter(Boolean)
    .map((m) => Number(m[1]));
}

/** How many reads asked again for an offset already read. */
function rereads(offsets) {
  return offsets.length - new Set(offsets).size;
}

/** Start a SOTA from the ready screen and confirm its plan. */
async function startSota(page) {
  await page.click('#start-sota');
  await page.locator('#confirm-plan').waitFor({ state: 'visible', timeout: 20_000 });
  await page.click('#confirm-plan');
}

/** The MCU flash holds exactly the module's package. */
async function assertFlashed(mcu, pkg) {
  const flash = await mcu.waitFor((s) => s.programmed_sha256 === pkg.sha256, 10_000);
  assert.equal(flash.programmed_len, pkg.size, 'programmed length equals the image size');
  assert.equal(flash.programmed_sha256, pkg.sha256, 'the MCU flash holds the image');
}

/**
 * Station "Next device" on Web Serial: the old driver's ports are closed before the same
 * ports (the current port objects, also after a re-enumeration) open again.
 */
async function nextDevice(page, t) {
  const mark = await page.evaluate(() => window.__serialLog.length);
  const clicked = Date.now();
  await page.click('#next-device');
  await page.locator('#app[data-screen="ready"]').waitFor({ timeout: 10_000 }).catch(async () => {
    assert.fail(`next device did not get ready: ${await page.textContent('#app')}`);
  });
  t.diagnostic(`next device ready ${Date.now() - clicked} ms after the click`);
  const after = (await page.evaluate(() => window.__serialLog)).slice(mark);
  for (const port of [0, 1]) {
    const closed = after.findIndex((e) => e.port === port && e.call === 'close');
    const opened = after.findIndex((e) => e.port === port && e.call === 'opened');
    assert.ok(closed >= 0 && opened > closed, `port ${port} closed, then opened: ${JSON.stringify(after)}`);
  }
}

test('an unplugged module port is re-acquired by USB ids and the transfer resumes where it stopped', async (t) => {
  const sims = {
    module: ['module', fastModule({ plan: [{ image: { size: 48 * KIB } }] })],
    mcu: ['stm32', FAST_STM32],
  };
  await withBridgedPage(sims, async ({ page, errors, server, module, mcu }) => {
    await connectBridged(page, server.url, { module, mcu });
    await startSota(page);

    const before = await module.waitFor((s) => s.reads >= 10, 30_000);
    assert.ok(before.reads >= 10, `the transfer did not start: ${before.reads} reads`);
    await page.evaluate(() => window.__fakeSerial.unplug(0));
    const banner = page.locator('#reconnecting[data-port="module"]');
    await banner.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await banner.textContent(), /NetworkError|lost/i, 'the banner says why');
    await screenshot(page, 'resume-reconnecting');

    await sleep(1_000);
    const replugged = Date.now();
    await page.evaluate(() => window.__fakeSerial.reappear(0));
    await page.locator('#resume-note[data-kind="resumed"]').waitFor({ timeout: 20_000 });
    t.diagnostic(`resumed ${Date.now() - replugged} ms after the port re-enumerated`);
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 90_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));

    // The driver opened the NEW port object (the old one refuses), found by its USB ids.
    const log = await page.evaluate(() => window.__serialLog);
    const back = log.findIndex((e) => e.call === 'reappear' && e.port === 0);
    assert.ok(back > 0, 'the port re-enumerated');
    assert.ok(log.slice(back).some((e) => e.call === 'opened' && e.port === 0), 'reopened after re-enumeration');

    const moduleState = await module.waitFor((s) => s.reached_10705);
    assert.ok(moduleState.reached_10705, 'the module confirmed the upgrade');
    const offsets = readOffsets(moduleState);
    t.diagnostic(`${offsets.length} reads, ${rereads(offsets)} of them done again`);
    assert.ok(rereads(offsets) <= 1, `more than one read was done again: ${offsets.join(',')}`);
    const [pkg] = moduleState.images;
    await assertFlashed(mcu, pkg);
    await nextDevice(page, t);
    assert.deepEqual(appErrors(errors), []);
  });
});

test('a page reloaded mid-transfer resumes from the IndexedDB journal', async (t) => {
  // Module blocks of one read (1 KiB of free space): a checkpoint before every read. Each
  // read is answered after 300 ms, so the reload can be timed to land while one is in flight.
  const sims = {
    module: ['module', fastModule({
      free_space: KIB,
      plan: [{ image: { size: 24 * KIB } }],
      timing: { download_per_block_ms: 30, first_data_ms: 20 },
      command_latency_ms: { QIOTOTARD: 300 },
    })],
    mcu: ['stm32', FAST_STM32],
  };
  await withBridgedPage(sims, async ({ page, errors, server, module, mcu }) => {
    await connectBridged(page, server.url, { module, mcu });
    await startSota(page);
    const before = await module.waitFor((s) => s.reads >= 8, 30_000);
    assert.ok(before.reads >= 8, `the transfer did not start: ${before.reads} reads`);
    // Right after the module received a read (its block's checkpoint is journaled by then).
    await module.waitFor((s) => s.reads > before.reads, 5_000);
    await sleep(100);
    await page.reload();

    // Chrome keeps the port grants: Web Serial is preselected, the journal offers Resume.
    await page.locator('#module-port-label', { hasText: '2c7c:0125' }).waitFor({ timeout: 20_000 });
    await page.click('#connect');
    await page.locator('#app[data-screen="ready"]').waitFor({ timeout: 20_000 });
    const card = page.locator('#resume-card');
    await card.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await card.getAttribute('data-component'), 'STM32');
    const journaled = Number(await card.getAttribute('data-offset'));
    assert.ok(journaled > 0, `the journal holds received bytes (offset ${journaled})`);
    await screenshot(page, 'resume-offer');
    await page.click('#resume-sota');

    const note = page.locator('#resume-note');
    await note.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await note.getAttribute('data-kind'), 'resumed', await note.textContent());
    assert.equal(Number(await note.getAttribute('data-offset')), journaled, 'resumed at the journaled offset');
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 90_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));

    const moduleState = await module.waitFor((s) => s.reached_10705);
    assert.ok(moduleState.reached_10705, 'the module confirmed the upgrade');
    const offsets = readOffsets(moduleState);
    t.diagnostic(`${offsets.length} reads, ${rereads(offsets)} of them done again`);
    assert.ok(rereads(offsets) <= 1, `more than one read was done again: ${offsets.join(',')}`);
    const [pkg] = moduleState.images;
    await assertFlashed(mcu, pkg);

    await nextDevice(page, t);
    // Success cleared the journal.
    assert.equal(await page.locator('#resume-card').count(), 0, 'nothing left to resume');
    assert.deepEqual(appErrors(errors), []);
  });
});

test('after an STM32 failure the kept image is written again without a new download', async () => {
  const sims = {
    module: ['module', fastModule({ plan: [{ image: { size: 8 * KIB } }] })],
    // Page 0 is write-protected: writes are ACKed but change nothing, so verification fails.
    faulty: ['stm32', { ...FAST_STM32, faults: { write_protected: [0] } }],
    repaired: ['stm32', FAST_STM32],
  };
  await withBridgedPage(sims, async ({ page, errors, server, module, faulty, repaired }) => {
    await connectBridged(page, server.url, { module, mcu: faulty });
    await startSota(page);
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 120_000 });
    assert.equal(await result.getAttribute('data-result'), 'failed', await page.textContent('#app'));
    const kept = page.locator('#kept-image');
    await kept.waitFor({ state: 'visible', timeout: 5_000 });
    const [pkg] = module.state().images;
    assert.equal(Number(await kept.getAttribute('data-bytes')), pkg.size, 'the whole verified image is kept');
    await screenshot(page, 'resume-write-again-offer');
    const [, keptVersion] = /STM32 (\S+)/.exec(await kept.textContent()) ?? [];
    assert.ok(keptVersion, 'the card names the kept version');

    // The technician fixes the board and plugs it back: same USB ids, a new port object.
    const readsBefore = module.state().reads;
    await page.evaluate((ws) => window.__fakeSerial.reappear(1, { ws }), repaired.url);
    await page.waitForFunction(() => {
      const log = window.__serialLog;
      const back = log.findIndex((e) => e.call === 'reappear' && e.port === 1);
      return back >= 0 && log.slice(back).some((e) => e.call === 'opened' && e.port === 1);
    }, null, { timeout: 10_000 });

    await page.click('#write-again');
    await page.locator('#app[data-screen="running"]').waitFor({ timeout: 5_000 });
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    await assertFlashed(repaired, pkg);
    assert.equal(module.state().reads, readsBefore, 'nothing was downloaded or read again');
    const versions = module.state().commands.filter((c) => c.startsWith('AT+QIOTMCUVER='));
    assert.equal(versions.at(-1), `AT+QIOTMCUVER="STM32","${keptVersion}"`, 'the module heard the new version last');
    // The job's last warning would say if the version was not reported.
    const warning = (await page.locator('#result-warning').allTextContents()).join();
    assert.doesNotMatch(warning, /new version/, 'the version was reported');

    await page.click('#new-job');
    await page.locator('#app[data-screen="ready"]').waitFor();
    assert.equal(await page.locator('#kept-image').count(), 0, 'the journal forgot the written image');
    assert.deepEqual(appErrors(errors), []);
  });
});
