// The station board: `/?stations=2` frames the app once per station. Each station gets its
// own pair of simulators (module + STM32 over `otaflash sim ... --ws`, fake Web Serial chosen
// per frame by its `station` query), both run a full SOTA at the same time, each MCU's flash
// ends up holding its image and each module reaches 10705, and the board's combined shift
// counts both devices with a CSV row each. A busy last station is removed only when the
// technician confirms; messages from a window that is not one of the board's stations are
// ignored. A station whose wasm traps mid-flash shows as crashed (not running), reloads as
// a new frame or is removed without confirmation, and the flash next to it finishes
// untouched; one whose wasm never loads shows as not responding. Every station, station 1
// included, keeps a journal apart from the plain page's.
// The board and its stations also boot offline. Saves out/board.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, screenshot } from './lib/harness.mjs';
import { downloadText, launchWith } from './lib/field.mjs';
import { FAKE_SERIAL, MCU_INFO, MODULE_INFO, appErrors, fastModule, startSim } from './lib/sim.mjs';

/** Pick station `frame`'s two bridged ports and connect; resolves on its ready screen. */
async function connectStation(frame) {
  await frame.locator('#use-serial').click({ timeout: 20_000 });
  await frame.locator('#pick-module-port').click();
  await frame.locator('#module-port-label', { hasText: '2c7c:0125' }).waitFor();
  await frame.locator('#pick-mcu-port').click();
  await frame.locator('#mcu-port-label', { hasText: '0403:6001' }).waitFor();
  await frame.locator('#connect').click();
  await frame.locator('#app[data-screen="ready"]').waitFor({ timeout: 20_000 });
}

/** A module + STM32 simulator pair per station. */
async function startDevices(count) {
  const devices = [];
  for (let i = 0; i < count; i += 1) {
    devices.push({ module: await startSim('module', fastModule()), mcu: await startSim('stm32') });
  }
  return devices;
}

/** Fake Web Serial for every frame: station k's frame gets devices[k - 1]. */
async function bridgeStations(page, devices) {
  const byStation = Object.fromEntries(devices.map((d, i) => [String(i + 1), [
    { ws: d.module.url, info: MODULE_INFO }, { ws: d.mcu.url, info: MCU_INFO }]]));
  await page.addInitScript((p) => { window.__fakeSerialPortsByStation = p; }, byStation);
  await page.addInitScript(FAKE_SERIAL);
}

/** Start a SOTA in each frame and confirm its plan; resolves when all of them run. */
async function startSotas(frames) {
  // Every job starts before any is confirmed, so the transfers overlap.
  for (const frame of frames) await frame.locator('#start-sota').click();
  for (const frame of frames) await frame.locator('#confirm-plan').click({ timeout: 20_000 });
  for (const frame of frames) await frame.locator('#app[data-screen="running"]').waitFor({ timeout: 1_000 });
}

test('two stations flash two devices at the same time and the board sums their shifts', { timeout: 240_000 }, async () => {
  const devices = await startDevices(2);
  const server = await serveDist();
  const browser = await launchWith();
  try {
    const { page, errors } = browser;
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await bridgeStations(page, devices);
    await page.goto(`${server.url}/?stations=2`);
    await page.locator('#board[data-count="2"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.getAttribute('#station-frame-1', 'src'), '/?station=1');
    assert.equal(await page.getAttribute('#station-frame-2', 'title'), 'Station 2');

    const frames = [1, 2].map((k) => page.frameLocator(`#station-frame-${k}`));
    for (const [i, frame] of frames.entries()) {
      assert.equal(await frame.locator('#station-badge').getAttribute('data-station', { timeout: 20_000 }), String(i + 1));
    }
    // One after the other: clicks in two frames at once race over the page's scroll position.
    for (const frame of frames) await connectStation(frame);
    await page.locator('#station-status-2[data-screen="ready"]').waitFor({ timeout: 5_000 });

    await startSotas(frames);
    for (const k of [1, 2]) await page.locator(`#station-status-${k}[data-screen="running"]`).waitFor({ timeout: 5_000 });
    // Removing a running station asks first; declining keeps it (and its job).
    assert.match(await page.textContent('#remove-busy'), /Station 2/);
    const asked = [];
    page.once('dialog', (d) => { asked.push(d.type()); d.dismiss(); });
    await page.click('#remove-station');
    assert.deepEqual(asked, ['confirm']);
    assert.equal(await page.getAttribute('#board', 'data-count'), '2', 'a declined removal keeps the station');

    const results = await Promise.all(frames.map(async (frame) => {
      const result = frame.locator('#result');
      await result.waitFor({ state: 'visible', timeout: 120_000 });
      return result.getAttribute('data-result');
    }));
    assert.deepEqual(results, ['success', 'success']);

    // Each simulator pair's own view: 10705 reached, the flash holds exactly its image.
    for (const { module, mcu } of devices) {
      const moduleState = await module.waitFor((s) => s.reached_10705);
      assert.ok(moduleState.reached_10705, `10705 was not reached: ${JSON.stringify(moduleState.ota_codes)}`);
      const [pkg] = moduleState.images;
      const flash = await mcu.waitFor((s) => s.programmed_sha256 === pkg.sha256);
      assert.equal(flash.programmed_len, pkg.size, 'programmed length equals the image size');
      assert.equal(flash.programmed_sha256, pkg.sha256, 'the MCU flash holds the image');
    }

    const shift = page.locator('#board-shift[data-count="2"]');
    await shift.waitFor({ timeout: 10_000 });
    assert.equal(await shift.getAttribute('data-succeeded'), '2');
    assert.equal(await shift.getAttribute('data-failed'), '0');
    const csv = await downloadText(page, page, '#download-board-csv');
    const rows = csv.split('\r\n').filter((r) => r.length > 0);
    assert.equal(rows.length, 3, csv);
    const header = rows[0].split(',');
    assert.equal(header[0], 'station');
    const cell = (row, name) => rows[row].split(',')[header.indexOf(name)];
    assert.deepEqual([cell(1, 'station'), cell(2, 'station')].sort(), ['1', '2']);
    for (const row of [1, 2]) {
      assert.equal(cell(row, 'result'), 'success');
      assert.equal(cell(row, 'device'), '1', 'each station counts its own devices');
      assert.equal(cell(row, 'device_kind'), 'hardware');
      assert.match(cell(row, 'sha256'), /^[0-9a-f]{64}$/);
    }
    await page.locator('#station-status-1[data-screen="finished"]').waitFor();
    await screenshot(page, 'board');

    // A forged result from a window that is not a station (a same-origin frame added to
    // the board, and the board window itself) changes nothing and is logged.
    const forged = { type: 'otaflash:station-result', device: 9, started_at: 'x', result: 'success', csv_row: 'forged' };
    await page.evaluate((message) => {
      const intruder = document.createElement('iframe');
      intruder.srcdoc = '<p>not a station</p>';
      document.body.append(intruder);
      return new Promise((resolve) => {
        intruder.onload = () => {
          intruder.contentWindow.parent.postMessage(message, location.origin);
          window.postMessage(message, location.origin);
          resolve();
        };
      });
    }, forged);
    await page.waitForTimeout(500);
    assert.equal(await page.getAttribute('#board-shift', 'data-count'), '2', 'forged results are not counted');
    assert.ok(warnings.filter((w) => w.includes('not one of its stations')).length >= 2, warnings.join('\n'));

    // Idle again: the last station can go, and the address bar follows the count.
    await page.click('#remove-station');
    await page.locator('#board[data-count="1"]').waitFor();
    assert.equal(await page.locator('#station-frame-2').count(), 0);
    assert.equal(new URL(page.url()).search, '?stations=1');
    assert.equal(await page.getAttribute('#board-shift', 'data-count'), '2', 'finished jobs stay in the shift');
    assert.deepEqual(appErrors(errors), []);
  } finally {
    await browser.close();
    await server.stop();
    for (const { module, mcu } of devices) { module.stop(); mcu.stop(); }
  }
});

/**
 * Make station `k`'s document hit an uncaught WebAssembly trap, as the app's own wasm does
 * when it panics (`panic = "abort"`) or aborts: a one-function module whose body is
 * `unreachable`, called from a timer so nothing catches the RuntimeError.
 */
async function trapIn(page, k) {
  const frame = page.frames().find((f) => new URL(f.url()).search === `?station=${k}`);
  assert.ok(frame, `station ${k}'s frame`);
  await frame.evaluate(() => {
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0,
      7, 5, 1, 1, 102, 0, 0, 10, 5, 1, 3, 0, 0, 11]);
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    setTimeout(() => exports.f());
  });
}

test('a station that crashes mid-flash shows it, reloads or goes unasked, and its neighbour flashes on', { timeout: 240_000 }, async () => {
  const devices = await startDevices(2);
  const server = await serveDist();
  const browser = await launchWith();
  try {
    const { page, errors } = browser;
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    await bridgeStations(page, devices);
    await page.goto(`${server.url}/?stations=2`);
    const frames = [1, 2].map((k) => page.frameLocator(`#station-frame-${k}`));
    for (const frame of frames) await connectStation(frame);
    await startSotas(frames);
    await frames[1].locator('#stage-transfer[data-state="active"], #stage-write[data-state="active"], #stage-erase[data-state="active"]')
      .first().waitFor({ timeout: 20_000 });

    // Station 2's wasm traps mid-job: the board says so at once, with what to do.
    await trapIn(page, 2);
    const status = page.locator('#station-status-2');
    await page.locator('#station-status-2[data-screen="crashed"]').waitFor({ timeout: 5_000 });
    assert.match(await status.textContent(), /Crashed/);
    assert.match(await page.textContent('#station-problem-2[data-screen="crashed"]'), /verified image and the journal are kept/);
    assert.equal(await page.locator('#remove-busy').count(), 0, 'a crashed station is not busy');
    // Whatever the trapped instance still posts does not bring it back.
    await page.waitForTimeout(1_500);
    assert.equal(await status.getAttribute('data-screen'), 'crashed');

    // Reload makes a new frame, which starts afresh at the connect screen.
    await page.click('#reload-station-2');
    await page.locator('#station-status-2[data-frame="1"]').waitFor({ timeout: 5_000 });
    await frames[1].locator('#use-serial').waitFor({ timeout: 20_000 });
    await page.locator('#station-status-2[data-screen="connect"]').waitFor({ timeout: 10_000 });

    // It crashes again and goes without being asked.
    await trapIn(page, 2);
    await page.locator('#station-status-2[data-screen="crashed"]').waitFor({ timeout: 5_000 });
    await page.click('#remove-station');
    await page.locator('#board[data-count="1"]').waitFor({ timeout: 5_000 });
    assert.deepEqual(dialogs, [], 'no confirmation for a crashed station');

    const result = frames[0].locator('#result');
    await result.waitFor({ state: 'visible', timeout: 120_000 });
    assert.equal(await result.getAttribute('data-result'), 'success');
    const moduleState = await devices[0].module.waitFor((s) => s.reached_10705);
    assert.ok(moduleState.reached_10705, 'station 1 reached 10705');
    const [pkg] = moduleState.images;
    const flash = await devices[0].mcu.waitFor((s) => s.programmed_sha256 === pkg.sha256);
    assert.equal(flash.programmed_sha256, pkg.sha256, "station 1's MCU holds its image");
    await page.locator('#board-shift[data-count="1"][data-succeeded="1"]').waitFor({ timeout: 5_000 });
    // The only errors are the two traps this test caused.
    const traps = appErrors(errors).filter((e) => /unreachable/.test(e));
    assert.equal(traps.length, 2, errors.join('\n'));
    assert.deepEqual(appErrors(errors).filter((e) => !traps.includes(e)), []);
  } finally {
    await browser.close();
    await server.stop();
    for (const { module, mcu } of devices) { module.stop(); mcu.stop(); }
  }
});

test('a station whose wasm never loads shows as not responding and comes back on reload', { timeout: 120_000 }, async () => {
  const server = await serveDist();
  const browser = await launchWith();
  try {
    const { page, errors } = browser;
    // Station 2's first frame cannot fetch the app's wasm; its reloaded frame can.
    let refused = 0;
    const frameSearch = (request) => {
      try { return new URL(request.frame().url()).search; } catch { return ''; } // a worker's request
    };
    await page.route('**/*.wasm', (route) => {
      if (refused === 0 && frameSearch(route.request()) === '?station=2') {
        refused += 1;
        return route.abort();
      }
      return route.continue();
    });
    await page.goto(`${server.url}/?stations=2`);
    await page.locator('#station-status-1[data-screen="connect"]').waitFor({ timeout: 20_000 });
    const status = page.locator('#station-status-2');
    assert.equal(await status.getAttribute('data-screen'), 'loading');
    await page.locator('#station-status-2[data-screen="not-responding"]').waitFor({ timeout: 40_000 });
    assert.equal(refused, 1);
    assert.match(await page.textContent('#station-problem-2'), /did not load/);
    assert.equal(await page.locator('#remove-busy').count(), 0, 'a silent station is not busy');

    await page.click('#reload-station-2');
    await page.locator('#station-status-2[data-frame="1"][data-screen="connect"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('#station-problem-2').count(), 0);
    assert.ok(appErrors(errors).every((e) => /wasm|WebAssembly|Failed to fetch|net::ERR_FAILED/i.test(e)), errors.join('\n'));
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('the flasher links to the board, stations keep their own journal, and the board works offline', { timeout: 90_000 }, async () => {
  const server = await serveDist();
  const browser = await launchWith();
  try {
    const { page, errors } = browser;
    // The single-device page links to the board.
    await page.goto(server.url);
    await page.click('#open-board', { timeout: 20_000 });
    await page.waitForURL(/\?stations=2$/);
    await page.frameLocator('#station-frame-2').locator('#demo-device').waitFor({ timeout: 20_000 });
    // The worker may have claimed its clients between the board's request and its document
    // (that document then stays uncontrolled, with no controllerchange to wait for): a
    // reload, then, loads the board under the worker.
    const controlled = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller !== null;
    });
    if (!controlled) {
      await page.reload();
      await page.frameLocator('#station-frame-2').locator('#demo-device').waitFor({ timeout: 20_000 });
    }
    // The plain page opened the single-device journal; each station opens its own, station
    // 1 included, so a plain tab beside the board never offers a station's transfer.
    await page.frameLocator('#station-frame-1').locator('#demo-device').waitFor({ timeout: 20_000 });
    const databases = async () => (await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).sort();
    const expected = ['otaflash-journal', 'otaflash-journal-station-1', 'otaflash-journal-station-2'];
    for (let i = 0; i < 40 && (await databases()).length < expected.length; i += 1) await page.waitForTimeout(250);
    assert.deepEqual(await databases(), expected, "station 1's journal is not the plain page's");

    await server.stop();
    await page.reload();
    await page.locator('#board[data-count="2"]').waitFor({ timeout: 20_000 });
    for (const k of [1, 2]) {
      await page.frameLocator(`#station-frame-${k}`).locator('#demo-device').waitFor({ timeout: 20_000 });
    }
    await page.click('#add-station');
    await page.frameLocator('#station-frame-3').locator('#station-badge').waitFor({ timeout: 20_000 });
    assert.equal(new URL(page.url()).search, '?stations=3');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
