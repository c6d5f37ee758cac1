// Service worker of the till (scope /pos/, an ES module: Chromium 91+,
// Safari 15+).
//
// - install: precaches the app shell (js/shell.js) under a cache named after
//   VERSION below.  It does NOT skip waiting: a new version waits until the page
//   asks for it (the "new version" banner, never while a sale is open).
// - activate: deletes the shell caches of other versions, takes the pages.
// - fetch: the shell from the cache (navigations get index.html), so the till
//   starts with no network; /api/ and everything else go to the network
//   untouched (the catalogue and the outbox live in IndexedDB, not here).
// - sync "outbox" (Background Sync, Chromium): sends the outbox from
//   IndexedDB with the page's own module (js/outbox.js), under the same Web
//   Lock as the page, and tells the pages.
import { CACHE_PREFIX, SHELL } from './js/shell.js';
import { sendOutbox } from './js/outbox.js';
import { clientLog } from './js/api.js';

// sha256 of the shell files (see js/shell.js); tests/browser/till.test.mjs
// checks it and prints the new value when the files change.
const VERSION = 'eac02a623542c64b';
const CACHE_NAME = CACHE_PREFIX + VERSION;

const shellUrls = new Set(SHELL.map((p) => new URL(p, self.location).href));
const indexUrl = new URL('./index.html', self.location).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE_NAME);
    // cache: 'reload' — straight from the server, not from the HTTP cache
    await cache.addAll(SHELL.map((p) => new Request(new URL(p, self.location), { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data?.type === 'VERSION') event.source?.postMessage({ type: 'VERSION', version: VERSION });
});

async function fromShell(request, url) {
  const cache = await caches.open(CACHE_NAME);
  const hit = await cache.match(url, { ignoreSearch: true, ignoreVary: true });
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch (e) {
    // last resort: any version's copy
    const any = await caches.match(url, { ignoreSearch: true, ignoreVary: true });
    if (any) return any;
    throw e;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // network only
  const scope = new URL(self.registration.scope);
  if (request.mode === 'navigate' && url.pathname.startsWith(scope.pathname)) {
    event.respondWith(fromShell(request, indexUrl));
    return;
  }
  const plain = url.origin + url.pathname;
  if (shellUrls.has(plain)) event.respondWith(fromShell(request, plain));
});

async function notify(message) {
  for (const c of await self.clients.matchAll({ includeUncontrolled: true, type: 'window' })) c.postMessage(message);
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    let res;
    try {
      res = await sendOutbox({ source: 'sw' });
    } catch (e) {
      clientLog('error', `service worker sender threw: ${e?.message || e}`);
      throw e;
    }
    await notify({ type: 'outbox-changed', result: res.result });
    if (res.result === 'revoked') await notify({ type: 'device-revoked' });
    // a failure makes the browser retry the sync later; the page keeps its
    // own timers either way, since Chromium gives up after a few tries
    if (res.result === 'offline' || res.result === 'failed') throw new Error(`outbox: ${res.result}`);
  })());
});
