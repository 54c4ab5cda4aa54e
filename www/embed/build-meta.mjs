// Trunk post_build hook (Trunk.toml): writes two deployment aids next to the build.
// - csp.txt: the script-src a Content-Security-Policy needs for this build: 'self',
//   'wasm-unsafe-eval' and the SHA-256 of each inline <script> in index.html (trunk's
//   module loader and the service-worker registration; both change with every build).
//   It also covers the demo device's Web Worker (otaflash-demo-<hash>_loader.js, same origin):
//   worker-src falls back to script-src, and the worker's importScripts and wasm compile
//   need 'self' and 'wasm-unsafe-eval' when the policy is sent on every response.
// - embed/ota-flasher.js.sri: the loader's Subresource Integrity value (sha384-…).
// Usage: node build-meta.mjs <staging dir>
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node build-meta.mjs <staging dir>');
const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
writeFileSync(path.join(dir, 'csp.txt'), `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}\n`);
const loader = readFileSync(path.join(dir, 'embed', 'ota-flasher.js'));
writeFileSync(path.join(dir, 'embed', 'ota-flasher.js.sri'),
  `sha384-${createHash('sha384').update(loader).digest('base64')}\n`);
