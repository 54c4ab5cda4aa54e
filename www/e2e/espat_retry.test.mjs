// ESP-AT failures and the retry timer in the browser, over the fake Web Serial port bridged
// to `otaflash sim espat --ws`. The sim's `fault` knob makes the OTA server unreachable and
// `fault_times: 1` clears it after the first upgrade command (a flaky network).
//  1. A non-blocking AT+CIUPDATE (the form's checkbox) whose server is unreachable ends on
//     `+CIPUPDATE:-1`: the result shows the error code, message and hint.
//  2. retries = 1, interval 1 s, a fault that clears: attempt 1 fails, "#retry-wait" counts
//     down, "#attempt" says 2 of 2, and the job succeeds; the report lists both attempts.
//  3. retries = 1, a fault that stays: exactly two attempts, then the failure stands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appErrors, connectBridged, withBridgedPage } from './lib/sim.mjs';

/** Timings cut for CI, as in crates/cli/tests/espat.rs, plus `extra`. */
const scenario = (extra) => ({
  latency_ms: 2, step_ms: 50, download_ms: 300, reboot_ms: 400, http_timeout_ms: 600, ...extra,
});

/** Starts the sim and the page, connects, runs `body(page, module)`, and cleans up. */
async function withEspAt(extra, body) {
  const sims = { module: ['espat', scenario(extra)] };
  await withBridgedPage(sims, async ({ page, errors, server, module }) => {
    await connectBridged(page, server.url, { module });
    await body(page, module);
    assert.deepEqual(appErrors(errors), []);
  });
}

/** How many upgrade commands the simulated module received. */
const upgrades = (state) => state.commands.filter((c) => c.startsWith('AT+CIUPDATE')).length;

/** The report the page offers for download. */
async function downloadReport(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

/** Sets the retry policy in the job form. */
async function retries(page, n, intervalS) {
  await page.fill('#retries', String(n));
  await page.fill('#retry-interval', String(intervalS));
}

test('an ESP-AT failure shows its code, message and hint', async () => {
  await withEspAt({ fault: 'server_unreachable' }, async (page, module) => {
    await page.check('#espat-ciupdate');
    await page.check('#espat-nonblocking');
    await page.click('#start-espat');

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'failed', await page.textContent('#app'));
    assert.equal((await page.textContent('#error-code')).trim(), 'espat_server_unreachable');
    assert.match(await page.textContent('#error-message'), /could not reach the OTA server.*\+CIPUPDATE:1/);
    assert.match(await page.textContent('#error-hint'), /Wi-Fi.*AT\+CWJAP/);
    assert.equal(await page.getAttribute('#stage-download', 'data-state'), 'failed');

    const report = await downloadReport(page);
    assert.equal(report.job, 'espat');
    assert.equal(report.error.code, 'espat_server_unreachable');
    assert.equal(report.lwm2m_result, 4);
    assert.equal(report.attempts, undefined, 'no retries: no attempts list');

    const state = module.state();
    assert.deepEqual(state.commands.filter((c) => c.startsWith('AT+CIUPDATE')), ['AT+CIUPDATE=0,,,1'],
      'the non-blocking checkbox reaches the command line');
    assert.ok(!state.commands.includes('AT+RST'), 'no restart after a failed upgrade');
    assert.equal(state.version, '2.2.0.0');
  });
});

test('a fault that clears on the second attempt ends in success after the retry timer', async () => {
  await withEspAt({ fault: 'server_unreachable', fault_times: 1 }, async (page, module) => {
    await retries(page, 1, 1);
    await page.check('#espat-ciupdate');
    await page.click('#start-espat');

    // Attempt 1 fails; the page waits before attempt 2 and says why.
    const wait = page.locator('#retry-wait');
    await wait.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await wait.getAttribute('data-attempt'), '1');
    assert.equal(await wait.getAttribute('data-total'), '2');
    assert.equal((await page.textContent('#error-code')).trim(), 'espat_server_unreachable');
    assert.match(await wait.textContent(), /Attempt 1 of 2 failed; next attempt in [01] s/);

    // Attempt 2 runs and succeeds.
    await page.locator('#attempt[data-attempt="2"][data-total="2"]').waitFor({ timeout: 10_000 });
    const result = page.locator('#result[data-result="success"]');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await page.locator('#retry-wait').count(), 0);

    const report = await downloadReport(page);
    assert.equal(report.result, 'success');
    assert.equal(report.to_version, '2.4.0.0');
    assert.deepEqual(report.attempts.map((a) => [a.attempt, a.result, a.code]), [
      [1, 'failed', 'espat_server_unreachable'],
      [2, 'success', ''],
    ]);
    assert.ok(report.attempts[1].started_s >= 1, `attempt 2 waited the interval: ${JSON.stringify(report.attempts)}`);

    const state = await module.waitFor((s) => s.version === '2.4.0.0');
    assert.equal(upgrades(state), 2, `${state.commands}`);
    assert.equal(state.version, '2.4.0.0');
  });
});

test('a fault that stays fails after exactly the attempts allowed', async () => {
  await withEspAt({ fault: 'server_unreachable' }, async (page, module) => {
    await retries(page, 1, 1);
    await page.check('#espat-ciupdate');
    await page.click('#start-espat');

    const wait = page.locator('#retry-wait');
    await wait.waitFor({ state: 'visible', timeout: 30_000 });
    await wait.waitFor({ state: 'detached', timeout: 10_000 });
    const result = page.locator('#result[data-result="failed"]');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal((await page.textContent('#error-code')).trim(), 'espat_server_unreachable');
    assert.ok(await page.locator('#error-hint').isVisible());

    // Longer than the interval: no third attempt comes.
    await page.waitForTimeout(2_500);
    assert.equal(await page.locator('#retry-wait').count(), 0);
    assert.equal(upgrades(module.state()), 2, `${module.state().commands}`);

    const report = await downloadReport(page);
    assert.equal(report.result, 'failed');
    assert.deepEqual(report.attempts.map((a) => [a.attempt, a.result, a.code]), [
      [1, 'failed', 'espat_server_unreachable'],
      [2, 'failed', 'espat_server_unreachable'],
    ]);
  });
});
