// otaflash service worker: makes the app work offline (a technician in a basement).
// - install: precache the app shell and every hashed js/wasm/css that index.html references
//   (trunk hashes file names per build, so they are read from the built index.html), and the
//   demo device's worker (named by index.html's otaflash-demo-worker meta, hashed per build
//   like the rest: the app starts it only when the demo is used).
// - fetch: network-first for navigations (fallback: the cached shell, whatever the query, so the
//   station board `/?stations=N` and its frames `/?station=k` open offline), cache-first for the rest.
// - A new version never takes over by itself: it waits until the page, when idle, posts
//   {type:'skip-waiting'} after the technician accepted "update ready". No reload mid-job.
// CACHE_VERSION is replaced at build time (www/pwa/demo-worker-names.mjs) with a hash of
// index.html, which names every hashed file of the build.
const CACHE = 'otaflash-CACHE_VERSION';
const STATIC = ['/', '/index.html', '/manifest.webmanifest', '/icon.svg'];
// The demo worker's loader, glue and wasm, from the loader's name in index.html's meta
// (otaflash-demo-<hash>_loader.js).
const demoWorker = (html) => {
  const loader = html.match(/<meta name="otaflash-demo-worker" content="(otaflash-demo-[0-9a-f]+)_loader\.js">/);
  // The build hook always writes it: without it, fail the install rather than go offline
  // without the demo device.
  if (!loader) throw new Error('index.html names no demo worker');
  return [`/${loader[1]}_loader.js`, `/${loader[1]}.js`, `/${loader[1]}_bg.wasm`];
};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const html = await (await fetch('/index.html', { cache: 'no-store' })).text();
    const assets = [...html.matchAll(/(?:href|src)="(\/[^"]+\.(?:js|wasm|css))"/g)].map((m) => m[1]);
    await cache.addAll([...new Set([...STATIC, ...assets])]);
    await cache.addAll(demoWorker(html));
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
