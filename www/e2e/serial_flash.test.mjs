// Flash a local Intel HEX file through the page's file input onto an STM32 bootloader served
// by `otaflash sim stm32 --ws`, over the fake Web Serial port: only the MCU port is picked.
// The bootloader's state file must show exactly the file's bytes at the flash base.
// Saves out/serial-flash.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { screenshot } from './lib/harness.mjs';
import { connectBridged, withBridgedPage } from './lib/sim.mjs';

/** `data` at `base` as Intel HEX: an extended linear address record, 16-byte data records, EOF. */
function intelHex(base, data) {
  const record = (type, address, bytes) => {
    const all = [bytes.length, (address >> 8) & 0xff, address & 0xff, type, ...bytes];
    const sum = (0x100 - (all.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    return `:${[...all, sum].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase()}`;
  };
  const lines = [record(4, 0, [(base >>> 24) & 0xff, (base >>> 16) & 0xff])];
  for (let off = 0; off < data.length; off += 16) {
    lines.push(record(0, (base + off) & 0xffff, [...data.subarray(off, off + 16)]));
  }
  lines.push(record(1, 0, []));
  return `${lines.join('\r\n')}\r\n`;
}

test('a local Intel HEX file is flashed onto the bridged STM32 bootloader', async () => {
  // 6 KiB of non-trivial bytes (never 0xFF at the end, so the programmed length is exact).
  const image = Buffer.from(Array.from({ length: 6 * 1024 }, (_, i) => (i * 7 + (i >> 8)) % 251));
  await withBridgedPage({ mcu: ['stm32'] }, async ({ page, errors, server, mcu }) => {
    await connectBridged(page, server.url, { mcu });
    await page.setInputFiles('#flash-file', {
      name: 'app.hex', mimeType: 'text/plain', buffer: Buffer.from(intelHex(0x0800_0000, image)),
    });
    const start = page.locator('#start-flash:not([disabled])');
    await start.waitFor({ timeout: 5_000 });
    await start.click();

    const result = page.locator('#result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await result.getAttribute('data-result'), 'success', await page.textContent('#app'));
    for (const stage of ['erase', 'write', 'flash-verify']) {
      assert.equal(await page.getAttribute(`#stage-${stage}`, 'data-state'), 'done', `stage ${stage}`);
    }

    const flash = await mcu.waitFor((s) => s.programmed_len === image.length);
    assert.equal(flash.flash_base, 0x0800_0000);
    assert.equal(flash.programmed_len, image.length, 'programmed length equals the file');
    assert.equal(flash.programmed_sha256, createHash('sha256').update(image).digest('hex'), 'the flash holds the file');
    assert.equal(flash.unerased_writes, 0, 'every written page was erased first');
    await screenshot(page, 'serial-flash');
    assert.deepEqual(errors, []);
  });
});
