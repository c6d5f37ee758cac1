// The app shell the service worker precaches.
//
// The cache version is VERSION in sw.js: a hash of these files, which
// tests/browser/till.test.mjs recomputes (and names when it differs).  Change
// any file here → the test asks for the new hash in sw.js → sw.js changes →
// browsers install the new worker, which caches the new files under a new
// cache name and replaces the old one once the page allows it.  (Chromium
// does not start an updated module worker whose only change is an imported
// file, so sw.js itself must change with every release.)
export const CACHE_PREFIX = 'pos-till-shell-';

// Paths relative to the service worker (/pos/sw.js), so the till may be served
// under another prefix.
export const SHELL = [
  './index.html',
  './manifest.webmanifest',
  './css/till.css',
  './js/shell.js',
  './js/app.js',
  './js/ui.js',
  './js/db.js',
  './js/api.js',
  './js/money.js',
  './js/cart.js',
  './js/catalog.js',
  './js/outbox.js',
  './js/sync.js',
  './js/ready.js',
  './js/auth.js',
  './js/i18n.js',
  './i18n/ru.json',
  './i18n/az.json',
  './i18n/uz.json',
  './i18n/en.json',
  './icons/icon.svg',
  './icons/icon-192.png',
  './icons/icon-512.png',
  './icons/icon-maskable-512.png',
  './icons/apple-touch-icon.png',
];
