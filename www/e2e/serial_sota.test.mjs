// The Web Serial path end to end: the page's navigator.serial is the harness fake
// (lib/fake_serial.js), whose two ports bridge to `otaflash sim module --ws` and
// `otaflash sim stm32 --ws`. The technician picks both ports, connects and runs a SOTA
// through the plan card; the STM32 port must be reopened at 8E1 with a large buffer, and
// the simulators' final state (--state-out) must show the image in the MCU flash and 10705
// sent by the module. A corrupted download must stop before the MCU is touched.
// Also: a cancelled port chooser gives a clear message instead of a hang.
// Saves out/serial-sota.png and out/serial-integrity.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, screenshot } from './lib/harness.mjs';
import { FAKE_SERIAL, connectBridged, fastModule, withBridgedPage } from './lib/sim.mjs';

/** Connect both bridged ports, start a SOTA and confirm its plan; returns #result. */
async function runSota(page, serverUrl, module, mcu) {
  await connectBridged(page, serverUrl, { module, mcu });
  await page.click('#start-sota');
  await page.locator('#confirm-plan').waitFor({ state: 'visible', timeout: 20_000 });
  await page.click('#confirm-plan');
  const result = page.locator('#result');
  await result.waitFor({ state: 'visible', timeout: 90_000 });
  return result;
}

test('a SOTA over (fake) Web Serial ports bridged to the simulators puts the image in the MCU flash', async () => {
  const sims = { module: ['module', fastModule()], mcu: ['stm32'] };
  await withBridgedPage(sims, async ({ page, errors, server, module, mcu }) => {
    const result = await runSota(page, server.url, module, mcu);
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));

    const log = await page.evaluate(() => window.__serialLog);
    const opens = log.filter((e) => e.call === 'open');
    assert.ok(opens.every((o) => o.options.bufferSize >= 4096), JSON.stringify(opens));
    assert.ok(opens.some((o) => o.port === 1 && o.options.parity === 'even'), 'the MCU port is reopened at 8E1');

    // The devices' own view: the module sent 10705, the flash holds exactly its package.
    const moduleState = await module.waitFor((s) => s.reached_10705);
    assert.ok(moduleState.reached_10705, `10705 was not reached: ${JSON.stringify(moduleState.ota_codes)}`);
    const [pkg] = moduleState.images;
    const flash = await mcu.waitFor((s) => s.programmed_len === pkg.size);
    assert.equal(flash.programmed_len, pkg.size, 'programmed length equals the image size');
    assert.equal(flash.programmed_sha256, pkg.sha256, 'the MCU flash holds the image');
    assert.equal(flash.unerased_writes, 0, 'every written page was erased first');
    assert.ok(flash.write_commands > 0 && flash.erase_commands > 0);

    await screenshot(page, 'serial-sota');
    assert.deepEqual(errors, []);
  });
});

test('a corrupted download ends in the error view with code, message and hint, and the MCU untouched', async () => {
  const sims = { module: ['module', fastModule({ faults: { corrupt: { offset: 100 } } })], mcu: ['stm32'] };
  await withBridgedPage(sims, async ({ page, server, module, mcu }) => {
    const result = await runSota(page, server.url, module, mcu);
    assert.equal(await result.getAttribute('data-result'), 'failed');
    assert.equal(await page.textContent('#error-code'), 'integrity');
    assert.match(await page.textContent('#error-message'), /nothing was written/);
    assert.ok((await page.textContent('#error-hint')).length > 10, 'a hint is shown');
    assert.equal(await page.getAttribute('#stage-write', 'data-state'), 'pending', 'the UI shows no write');

    // The bootloader's own record: no erase, no write.
    const flash = mcu.state();
    assert.equal(flash.erase_commands, 0, 'the bootloader saw no erase');
    assert.equal(flash.write_commands, 0, 'the bootloader saw no write');
    assert.equal(flash.programmed_len, 0, 'the flash is still blank');
    const moduleState = module.state();
    assert.ok(moduleState.reads > 0, 'the image was read');
    assert.ok(!moduleState.reached_10705, 'no success was reported to the cloud');
    await screenshot(page, 'serial-integrity');
  });
});

test('a cancelled port chooser shows a clear message', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    // No fake ports configured: requestPort() rejects with NotFoundError, as when the
    // technician closes the chooser.
    await page.addInitScript(FAKE_SERIAL);
    await page.goto(server.url);
    await page.locator('#use-serial').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#use-serial');
    await page.click('#pick-module-port');
    const problem = page.locator('#connect-error');
    await problem.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await problem.getAttribute('data-code'), 'picker_cancelled');
    assert.ok(await page.locator('#no-port-help').isVisible(), 'help for a missing port is offered');
    await screenshot(page, 'serial-picker-cancelled');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
