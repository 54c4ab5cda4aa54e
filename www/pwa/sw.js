// otaflash service worker: makes the app work offline (a technician in a basement).
// - install: precache the app shell and every hashed js/wasm/css that index.html references
//   (trunk hashes file names per build, so they are read from the built index.html), and the
//   demo device's worker (not referenced there: the app starts it when the demo is used).
// - fetch: network-first for navigations (fallback: the cached shell, whatever the query, so the
//   station board `/?stations=N` and its frames `/?station=k` open offline), cache-first for the rest.
// - A new version never takes over by itself: it waits until the page, when idle, posts
//   {type:'skip-waiting'} after the technician accepted "update ready". No reload mid-job.
// CACHE_VERSION is replaced at build time (Trunk.toml post_build hook) with a hash of index.html
// and the demo worker's files.
const CACHE = 'otaflash-CACHE_VERSION';
const STATIC = ['/', '/index.html', '/manifest.webmanifest', '/icon.svg'];
// trunk names worker files after the bin, without a content hash, so they are fetched past the
// HTTP cache; a new build changes CACHE (above), so a stale copy is never kept.
const DEMO_WORKER = ['/otaflash-demo_loader.js', '/otaflash-demo.js', '/otaflash-demo_bg.wasm'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const html = await (await fetch('/index.html', { cache: 'no-store' })).text();
    const assets = [...html.matchAll(/(?:href|src)="(\/[^"]+\.(?:js|wasm|css))"/g)].map((m) => m[1]);
    await cache.addAll([...new Set([...STATIC, ...assets])]);
    await cache.addAll(DEMO_WORKER.map((url) => new Request(url, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE && key.startsWith('otaflash-')) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    event.respondWith(fetch(req).catch(async () =>
      (await caches.match(req, { ignoreSearch: true })) ?? (await caches.match('/index.html'))));
    return;
  }
  event.respondWith((async () => (await caches.match(req)) ?? fetch(req))());
});
