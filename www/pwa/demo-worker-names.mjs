// Trunk post_build hook (Trunk.toml): gives the demo device's worker files content-hashed
// names, as trunk already does for the app's files, so a page never pairs with a worker of
// another build out of the HTTP cache (trunk names worker files after the bin, unhashed).
// - otaflash-demo.js, otaflash-demo_bg.wasm, otaflash-demo_loader.js become
//   otaflash-demo-<h>.js, otaflash-demo-<h>_bg.wasm, otaflash-demo-<h>_loader.js, where <h> is
//   a hash of the glue and the wasm; the loader is rewritten to import the renamed files.
// - index.html gets <meta name="otaflash-demo-worker" content="otaflash-demo-<h>_loader.js">:
//   the app starts the worker from it (crates/web/src/demo.rs), the service worker precaches
//   the three files from it (www/pwa/sw.js).
// - sw.js: CACHE_VERSION becomes a hash of index.html (which names every hashed file), so
//   every build ships a byte-different service worker and browsers pick up the new version.
// It does not touch the app's own files (trunk hashes those). Usage: node demo-worker-names.mjs <staging dir>
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node demo-worker-names.mjs <staging dir>');
const at = (name) => path.join(dir, name);
const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
};

const glue = readFileSync(at('otaflash-demo.js'));
const wasm = readFileSync(at('otaflash-demo_bg.wasm'));
const stem = `otaflash-demo-${sha256(glue, wasm)}`;
const loader = readFileSync(at('otaflash-demo_loader.js'), 'utf8');
const renamed = loader
  .replace('"./otaflash-demo.js"', `"./${stem}.js"`)
  .replace('"./otaflash-demo_bg.wasm"', `"./${stem}_bg.wasm"`);
// trunk's loader shim is one line naming both files; a new trunk that words it otherwise
// must fail the build here, not ship a worker that loads nothing.
if (!renamed.includes(`${stem}.js`) || !renamed.includes(`${stem}_bg.wasm`)) {
  throw new Error(`unexpected trunk worker loader: ${loader}`);
}
renameSync(at('otaflash-demo.js'), at(`${stem}.js`));
renameSync(at('otaflash-demo_bg.wasm'), at(`${stem}_bg.wasm`));
writeFileSync(at(`${stem}_loader.js`), renamed);
rmSync(at('otaflash-demo_loader.js'));

const html = readFileSync(at('index.html'), 'utf8');
const meta = `<meta name="otaflash-demo-worker" content="${stem}_loader.js">`;
if (!html.includes('</head>')) throw new Error('index.html has no </head>');
const page = html.replace('</head>', `${meta}\n</head>`);
writeFileSync(at('index.html'), page);

const sw = readFileSync(at('sw.js'), 'utf8');
const stamped = sw.replace("'otaflash-CACHE_VERSION'", `'otaflash-${sha256(page)}'`);
if (stamped === sw) throw new Error('sw.js has no CACHE_VERSION to stamp');
writeFileSync(at('sw.js'), stamped);
