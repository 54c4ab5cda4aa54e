// The Web Serial path end to end: the page's navigator.serial is the harness fake
// (lib/fake_serial.js), whose two ports bridge to `otaflash sim module --ws` and
// `otaflash sim stm32 --ws`. The technician picks both ports, connects and runs a SOTA
// through the plan card; the STM32 port must be reopened at 8E1 with a large buffer.
// Also: a cancelled port chooser gives a clear message instead of a hang.
// Needs the CLI built (scripts/test does `cargo build -p otaflash-cli`); OTAFLASH_BIN
// overrides where it is. Saves out/serial-sota.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, serveDist, launch, screenshot, freePort } from './lib/harness.mjs';

const BIN = process.env.OTAFLASH_BIN ?? path.join(ROOT, 'target/debug/otaflash');
const FAKE = readFileSync(path.join(ROOT, 'www/e2e/lib/fake_serial.js'), 'utf8');

/** Start `otaflash sim <device> --ws` on a free port; resolves once it listens. */
async function startSim(device, scenario) {
  const port = await freePort();
  const args = ['sim', device, '--ws', `127.0.0.1:${port}`];
  if (scenario) {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'otaflash-scenario-')), 'scenario.json');
    writeFileSync(file, JSON.stringify(scenario));
    args.push('--scenario', file);
  }
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`otaflash sim ${device} exited with ${code}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => { if (line.startsWith('listening ')) resolve(); });
  });
  return { url: `ws://127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') };
}

/** Pick both fake ports, connect, start a SOTA and confirm its plan; returns #result. */
async function runSota(page, serverUrl, module, stm32) {
  await page.addInitScript((ports) => { window.__fakeSerialPorts = ports; }, [
    { ws: module.url, info: { usbVendorId: 0x2c7c, usbProductId: 0x0125 } },
    { ws: stm32.url, info: { usbVendorId: 0x0403, usbProductId: 0x6001 } },
  ]);
  await page.addInitScript(FAKE);
  await page.goto(serverUrl);
  await page.locator('#use-serial').waitFor({ state: 'visible', timeout: 20_000 });
  await page.click('#use-serial');
  await page.click('#pick-module-port');
  await page.locator('#module-port-label', { hasText: '2c7c:0125' }).waitFor();
  await page.click('#pick-mcu-port');
  await page.locator('#mcu-port-label', { hasText: '0403:6001' }).waitFor();
  await page.click('#connect');
  await page.click('#start-sota');
  await page.locator('#confirm-plan').waitFor({ state: 'visible', timeout: 20_000 });
  await page.click('#confirm-plan');
  const result = page.locator('#result');
  await result.waitFor({ state: 'visible', timeout: 90_000 });
  return result;
}

test('a SOTA over (fake) Web Serial ports bridged to the simulators', async () => {
  assert.ok(existsSync(BIN), `no CLI at ${BIN}: cargo build -p otaflash-cli`);
  const module = await startSim('module');
  const stm32 = await startSim('stm32');
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    const result = await runSota(page, server.url, module, stm32);
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));

    const log = await page.evaluate(() => window.__serialLog);
    const opens = log.filter((e) => e.call === 'open');
    assert.ok(opens.every((o) => o.options.bufferSize >= 4096), JSON.stringify(opens));
    assert.ok(opens.some((o) => o.port === 1 && o.options.parity === 'even'), 'the MCU port is reopened at 8E1');
    await screenshot(page, 'serial-sota');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
    module.stop();
    stm32.stop();
  }
});

test('a corrupted download ends in the error view with code, message and hint', async () => {
  const module = await startSim('module', { faults: { corrupt: { offset: 100 } } });
  const stm32 = await startSim('stm32');
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page } = browser;
    const result = await runSota(page, server.url, module, stm32);
    assert.equal(await result.getAttribute('data-result'), 'failed');
    assert.equal(await page.textContent('#error-code'), 'integrity');
    assert.match(await page.textContent('#error-message'), /nothing was written/);
    assert.ok((await page.textContent('#error-hint')).length > 10, 'a hint is shown');
    assert.equal(await page.getAttribute('#stage-write', 'data-state'), 'pending', 'the MCU was not touched');
    await screenshot(page, 'serial-integrity');
  } finally {
    await browser.close();
    await server.stop();
    module.stop();
    stm32.stop();
  }
});

test('a cancelled port chooser shows a clear message', async () => {
  const server = await serveDist();
  const browser = await launch();
  try {
    const { page, errors } = browser;
    // No fake ports configured: requestPort() rejects with NotFoundError, as when the
    // technician closes the chooser.
    await page.addInitScript(FAKE);
    await page.goto(server.url);
    await page.locator('#use-serial').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#use-serial');
    await page.click('#pick-module-port');
    const problem = page.locator('#connect-error');
    await problem.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await problem.getAttribute('data-code'), 'picker_cancelled');
    assert.ok(await page.locator('#no-port-help').isVisible(), 'help for a missing port is offered');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
