// Secrets canary: a demo SOTA on an unprovisioned demo module, inside an allowlisted portal,
// with a recognisable fake ProductKey / ProductSecret typed into the advanced section. The
// credentials must reach the module (the transcript shows the masked productinfo command)
// and appear nowhere else: not in localStorage, IndexedDB, Cache Storage, any URL the page
// or the frame loaded, the exported transcript, the report, the shift CSV, or any
// postMessage payload the portal received.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort } from './lib/harness.mjs';
import {
  deployWithOrigins, demoSota, downloadText, flasherHeaders, hostDir, launchWith, serveOn, serveStatic,
} from './lib/field.mjs';

const KEY = 'pkCANARY7f3Qz';
const SECRET = 'psCANARYx9Lw2Vb';
const CANARY = /CANARY/;

/** Everything the frame's origin keeps in storage, as text. */
async function storageDump(frame) {
  return frame.evaluate(async () => {
    const text = (v) => {
      if (v instanceof ArrayBuffer) return new TextDecoder('latin1').decode(v);
      if (ArrayBuffer.isView(v)) return new TextDecoder('latin1').decode(v);
      if (v instanceof Blob) return '[blob]';
      if (Array.isArray(v)) return v.map(text).join(' ');
      if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${text(x)}`).join(' ');
      return String(v);
    };
    const local = JSON.stringify({ ...localStorage });
    const session = JSON.stringify({ ...sessionStorage });
    const idb = [];
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((ok, no) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
      for (const store of db.objectStoreNames) {
        const rows = await new Promise((ok, no) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
        });
        idb.push(`${name}/${store}: ${rows.map(text).join('\n')}`);
      }
      db.close();
    }
    const caches = [];
    for (const key of await self.caches.keys()) {
      const cache = await self.caches.open(key);
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        caches.push(`${req.url} ${res ? await res.text() : ''}`);
      }
    }
    return { local, session, idb: idb.join('\n'), caches: caches.join('\n'), url: location.href };
  });
}

test('product credentials appear nowhere but on the wire to the module', async () => {
  const portalPort = await freePort();
  const portal = `http://127.0.0.1:${portalPort}`;
  const deploy = deployWithOrigins([portal]);
  const flasher = await serveStatic(deploy.dir, flasherHeaders(deploy.dir, [portal]));
  const host = hostDir(flasher.url, path.join(deploy.dir, 'embed', 'ota-flasher.js'));
  const servers = [flasher, await serveOn(host.dir, portalPort)];
  const browser = await launchWith();
  try {
    const { page, context, errors } = browser;
    const urls = [];
    context.on('request', (r) => urls.push(r.url()));
    await page.goto(`${portal}/`);
    const app = page.frameLocator('ota-flasher iframe');
    await app.locator('#demo-device').waitFor({ timeout: 20_000 });
    await app.locator('#advanced summary').click();
    await app.locator('#product-key').fill(KEY);
    await app.locator('#product-secret').fill(SECRET);
    await app.locator('#connect').click();
    assert.equal(await demoSota(app), 'success', await app.locator('#app').textContent());

    const transcript = await downloadText(page, app, '#download-transcript');
    const report = await downloadText(page, app, '#download-report');
    const csv = await downloadText(page, app, '#download-shift-csv');
    // The credentials did go to the module (the transcript quotes them as \"…\"), masked.
    assert.ok(transcript.includes('module tx t "AT+QIOTCFG=\\"productinfo\\",\\"***\\",\\"***\\"'), transcript);
    assert.match(JSON.parse(report).result, /success/);

    const frame = page.frames().find((f) => f.url().startsWith(flasher.origin));
    assert.ok(frame, 'the flasher frame');
    const stored = await storageDump(frame);
    const messages = JSON.stringify(await page.evaluate(() => window.raw));
    assert.ok(messages.includes('otaflash:result'), 'the portal received the result');
    const places = {
      transcript, report, csv, messages, ...stored,
      urls: urls.join('\n'), pageUrl: page.url(), consoleOnScreen: await app.locator('#console').textContent(),
    };
    for (const [where, text] of Object.entries(places)) {
      assert.doesNotMatch(text, CANARY, `the canary leaked into ${where}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await Promise.all(servers.map((s) => s.stop()));
    host.remove(); deploy.remove();
  }
});
