// The simulator side of the bridged e2e tests: start `otaflash sim module|stm32 --ws` with a
// scenario and a `--state-out` file, read that file back for assertions, and click a page
// whose fake navigator.serial (lib/fake_serial.js) bridges to those simulators through the
// connect screen. Holds no assertions of its own.
//
// The CLI must be built first (scripts/test runs `cargo build -p otaflash-cli`); OTAFLASH_BIN
// overrides where it is, otherwise $CARGO_TARGET_DIR/debug/otaflash, then target/debug/otaflash.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, freePort, launch, serveDist } from './harness.mjs';

/** The `otaflash` binary the simulators run from. */
export const BIN = process.env.OTAFLASH_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/otaflash');

/** The fake navigator.serial, as a script for page.addInitScript. */
export const FAKE_SERIAL = readFileSync(path.join(ROOT, 'www/e2e/lib/fake_serial.js'), 'utf8');

/** USB ids the fake ports report: a Quectel module and an FTDI adapter on the MCU. */
export const MODULE_INFO = { usbVendorId: 0x2c7c, usbProductId: 0x0125 };
export const MCU_INFO = { usbVendorId: 0x0403, usbProductId: 0x6001 };

/**
 * A module scenario with the sim's delays cut to what a CI run can afford (no byte pacing,
 * short cloud and reboot timers), deep-merged with `overrides`. Same values as the CLI
 * tests' `fast_module`.
 */
export function fastModule(overrides = {}) {
  return merge({
    latency_ms: 2,
    serial: { pacing: false },
    timing: {
      register_ms: 50, plan_ms: 50, url_ms: 50, download_per_block_ms: 150,
      repush_ms: 300, fota_apply_ms: 200, fota_reboot_ms: 800, downloading_notify_ms: 50,
    },
  }, overrides);
}

/** Deep merge: objects merge, everything else replaces. */
function merge(base, patch) {
  for (const [k, v] of Object.entries(patch)) {
    const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
    base[k] = isObject(v) && isObject(base[k]) ? merge(base[k], v) : v;
  }
  return base;
}

/**
 * Start `otaflash sim <device> --ws` on a free port with `scenario` (or the sim's defaults)
 * and a state file; resolves once it listens. Returns { url, pid, state(), waitFor(), stop() }.
 */
export async function startSim(device, scenario) {
  if (!existsSync(BIN)) throw new Error(`no CLI at ${BIN}: cargo build -p otaflash-cli (or set OTAFLASH_BIN)`);
  const dir = mkdtempSync(path.join(tmpdir(), `otaflash-sim-${device}-`));
  const stateFile = path.join(dir, 'state.json');
  const port = await freePort();
  const args = ['sim', device, '--ws', `127.0.0.1:${port}`, '--state-out', stateFile];
  if (scenario) {
    const file = path.join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify(scenario));
    args.push('--scenario', file);
  }
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`otaflash sim ${device} exited with ${code}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => { if (line.startsWith('listening ')) resolve(); });
  });

  /** The last state the simulator wrote (it rewrites the file within 50 ms of a change). */
  const state = () => JSON.parse(readFileSync(stateFile, 'utf8'));
  return {
    url: `ws://127.0.0.1:${port}`,
    pid: proc.pid,
    state,
    /**
     * The state once `ready(state)` holds, or the last state after `timeoutMs` (the caller's
     * assertions then say what is wrong).
     */
    waitFor: async (ready, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = state();
        if (ready(s) || Date.now() > deadline) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => {
      proc.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The bridged tests' scaffold: start the simulators `sims` names (`{ name: [device,
 * scenario] }`, scenario optional, as for startSim), serve the app, launch a browser and run
 * `body({ page, errors, server, ...simulators by name })`. The browser, the server and every
 * simulator that started are closed whatever happened, also when starting one failed.
 */
export async function withBridgedPage(sims, body) {
  const started = {};
  let server;
  let browser;
  try {
    for (const [name, [device, scenario]] of Object.entries(sims)) {
      started[name] = await startSim(device, scenario);
    }
    server = await serveDist();
    browser = await launch();
    const { page, errors } = browser;
    return await body({ page, errors, server, ...started });
  } finally {
    await browser?.close();
    await server?.stop();
    for (const sim of Object.values(started)) sim.stop();
  }
}

/**
 * Load the app with fake ports bridged to `module` and/or `mcu` (simulators from startSim),
 * choose Web Serial, pick the ports (or, with `saveImage`, send a SOTA image to a file
 * instead of an MCU) and connect. Resolves on the ready screen.
 */
export async function connectBridged(page, serverUrl, { module, mcu, saveImage = false }) {
  const ports = [];
  if (module) ports.push({ ws: module.url, info: MODULE_INFO });
  if (mcu) ports.push({ ws: mcu.url, info: MCU_INFO });
  await page.addInitScript((p) => { window.__fakeSerialPorts = p; }, ports);
  await page.addInitScript(FAKE_SERIAL);
  await page.goto(serverUrl);
  await page.locator('#use-serial').waitFor({ state: 'visible', timeout: 20_000 });
  await page.click('#use-serial');
  if (saveImage) await page.check('#mcu-target-file');
  if (module) {
    await page.click('#pick-module-port');
    await page.locator('#module-port-label', { hasText: '2c7c:0125' }).waitFor();
  }
  if (mcu) {
    await page.click('#pick-mcu-port');
    await page.locator('#mcu-port-label', { hasText: '0403:6001' }).waitFor();
  }
  await page.click('#connect');
  await page.locator('#app[data-screen="ready"]').waitFor({ timeout: 20_000 });
}

/**
 * Page errors that are the bridge's, not the app's: while a simulated device is off the
 * line (module reboot) the simulator refuses WebSocket handshakes, and Chromium logs each
 * refused reconnect attempt of the fake port as a console error.
 */
export function appErrors(errors) {
  return errors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed/.test(e));
}
