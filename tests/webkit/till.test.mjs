// The till's offline story in WebKit, the engine of iPad Safari: Debian's
// WebKitGTK (MiniBrowser) driven through WebKitWebDriver on a private Xvfb
// display (tests/lib/webdriver.mjs).  Like Safari, WebKitGTK has service
// workers, IndexedDB and Web Locks but no Background Sync and no
// navigator.storage.persist, so this proves that the page's own (foreground)
// sender empties the outbox by itself.
//
// Activation with a fresh device key → PIN 1234 → one sale online that the
// server has → nginx taken away (WebDriver has no offline switch) → 10 sales
// → reload (the shell comes from the service worker's cache, 10 unsent
// orders shown; the cashier signs in again offline) → nginx back → within
// 90 s, with nothing but the page's own timer to wake the sender, the outbox
// is empty and the server has exactly those 10 orders, with their original
// created_at.  Screenshots: $ARTIFACTS/webkit-till-*.png; the driver's and
// Xvfb's logs: $ARTIFACTS/webkit-logs/.
//
// Skipped, with the reason, only when Xvfb or WebKitWebDriver are missing
// (scripts/deps.sh installs them: webkit2gtk-driver xvfb xauth) or the
// server has no sync API yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startWebKit, webkitAvailable } from '../lib/webdriver.mjs';
import { api, ARTIFACTS, BASE, VARDIR, stack, until } from '../lib/stack.mjs';
import { psql } from '../lib/tenancy.mjs';
import {
  ownerToken, freshDeviceKey, ensureSellable, serverOrder, orderTotal, DEMO_PIN,
} from '../lib/till.mjs';

const OFFLINE_SALES = 10;
const SYNC_WITHIN_MS = 90000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOGS = path.join(ARTIFACTS, 'webkit-logs');
const POSD_LOG = path.join(VARDIR, 'log/posd.log');
// scripts/stack.sh writes nginx's configuration from PORT: the stack's own
process.env.PORT ||= new URL(BASE).port || '80';

let skip = '';
let wk = null;
let owner;
let sellable;
let deviceId;
let nginxDown = false;
let posdLogFrom = 0;
const sold = { online: null, offline: [] };

before(async () => {
  const avail = webkitAvailable();
  if (!avail.ok) { skip = avail.reason; return; }
  const probe = await api('GET', '/api/sync/pull');
  if (probe.status === 404) { skip = 'the server has no /api/sync/pull yet (404): the till needs the sync API'; return; }
  owner = await ownerToken();
  posdLogFrom = existsSync(POSD_LOG) ? statSync(POSD_LOG).size : 0;
  // a landscape iPad (Air/Pro 11") viewport
  wk = await startWebKit({ logDir: LOGS, window: { width: 1180, height: 820 } });
});

after(async () => {
  if (nginxDown) stack('nginx_up');
  if (wk) {
    await shot('webkit-till-last').catch(() => {}); // how the till looked at the end
    await wk.close();
  }
});

function skipped(t) {
  if (skip) t.skip(skip);
  return !!skip || !wk;
}

const shot = (name) => wk.screenshot(path.join(ARTIFACTS, `${name}.png`));
const screen = () => wk.exec('return document.body.dataset.screen;');
const waitScreen = (name, timeout = 15000) => wk.waitFor(async () => (await screen()) === name, { timeout, what: `the ${name} screen` });
const unsentCount = async () => Number(String(await wk.exec("return document.querySelector('#unsent-count').textContent;")).trim());
const isDisabled = (css) => wk.exec('return document.querySelector(arguments[0]).disabled;', css);
const dialogOpen = (css) => wk.exec('return !!document.querySelector(arguments[0]).open;', css);

// Uncaught errors of the page from now on (WebDriver has no console log in
// WebKitGTK); armed again after each load.
const armErrors = () => wk.exec(`if (!window.__wkErrors) {
  window.__wkErrors = [];
  addEventListener('error', (e) => __wkErrors.push(String(e.message) + ' at ' + e.filename + ':' + e.lineno));
  addEventListener('unhandledrejection', (e) => __wkErrors.push('unhandled rejection: ' + String(e.reason && (e.reason.stack || e.reason.message) || e.reason)));
}`);
const pageErrors = [];
const collectErrors = async () => { pageErrors.push(...((await wk.exec('return window.__wkErrors || [];')) || [])); };

// Waits until the element is there, shown and enabled, then clicks it.
async function tap(css, timeout = 10000) {
  await wk.waitFor(() => wk.exec(`const e = document.querySelector(arguments[0]);
    return !!e && !e.disabled && !e.closest('[hidden]') && e.getClientRects().length > 0;`, css), { timeout, what: `${css} to be clickable` });
  await wk.click(css);
}

// An object store of the till's IndexedDB, read in the page.
function idb(storeName) {
  return wk.run(`return await new Promise((resolve, reject) => {
    const r = indexedDB.open('pos-till');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const db = r.result;
      const q = db.transaction(args[0]).objectStore(args[0]).getAll();
      q.onsuccess = () => { resolve(q.result); db.close(); };
      q.onerror = () => reject(q.error);
    };
  });`, storeName);
}

async function enterPin(pin) {
  await waitScreen('pin');
  for (const d of pin) await tap(`.pin-key[data-key="${d}"]`);
  await tap('#pin-ok');
  await waitScreen('sell');
}

// One sale of the test product; `v` varies the options and the payment.
// Answers what the receipt shows: {id, created_at, number}.
async function sell(v, { shots = false } = {}) {
  const { product, groups } = sellable;
  await tap(`.cat-tab[data-id="${product.category_id}"]`);
  await tap(`.product[data-id="${product.id}"]`);
  await wk.waitFor(() => dialogOpen('#mod-dialog'), { what: 'the modifier dialog' });
  assert.equal(await isDisabled('#mod-add'), true, '"Add" waits for the required choices');
  for (const g of groups) {
    const opts = await wk.findAll(`.mod-group[data-id="${g.id}"] .mod-option`);
    if (!opts.length) continue;
    if (g.required || g.min > 0) {
      const need = Math.max(1, g.min || 0);
      for (let i = 0; i < need; i++) await wk.click(opts[(v + i) % opts.length]);
    } else if (v % 2 === 1) {
      await wk.click(opts[v % opts.length]);
    }
  }
  assert.equal(await isDisabled('#mod-add'), false, '"Add" once the rules are met');
  if (shots) await shot('webkit-till-modifiers');
  await tap('#mod-add');
  await wk.waitFor(async () => !(await dialogOpen('#mod-dialog')), { what: 'the modifier dialog to close' });
  if (v % 3 === 0) await tap('.cart-line .qty-inc'); // 2 units
  await tap('#pay-btn');
  await waitScreen('pay');
  const kind = ['cash-exact', 'card', 'cash', 'qr'][v % 4];
  if (kind === 'cash-exact') {
    await tap('.quick-exact');
  } else if (kind === 'cash') {
    await tap('#cash-tendered');
    await wk.sendKeys('#cash-tendered', '100');
    await tap('#cash-add');
  } else {
    await tap(`.pay-method[data-method="${kind}"]`);
    if (kind === 'card') await wk.sendKeys('#card-last4', '4242');
    await tap(`#${kind}-add`);
  }
  if (shots) await shot('webkit-till-payment');
  await tap('#pay-complete');
  await waitScreen('receipt');
  const r = await wk.exec(`return {
    id: document.querySelector('#receipt-id').textContent.trim(),
    created_at: document.querySelector('#receipt-time').getAttribute('datetime'),
    number: document.querySelector('#receipt-number').textContent.trim() };`);
  assert.match(r.id, UUID_RE, 'the receipt shows the order id');
  return r;
}

async function newOrder() {
  await tap('#new-order-btn');
  await waitScreen('sell');
}

const countOrdersOf = (device) => Number(psql(`SELECT count(*) FROM orders WHERE device_id = '${device}'`, { user: 'postgres' }));

test('WebKit: what the till may count on (service worker, IndexedDB, Web Locks; no Background Sync)', async (t) => {
  if (skipped(t)) return;
  await wk.navigate(`${BASE}/pos/`);
  await armErrors();
  const f = await wk.exec(`return {
    title: document.title, secure: isSecureContext, sw: 'serviceWorker' in navigator, locks: 'locks' in navigator,
    idb: 'indexedDB' in window, syncManager: 'SyncManager' in window,
    persist: !!(navigator.storage && navigator.storage.persist), ua: navigator.userAgent };`);
  t.diagnostic(`WebKit: ${f.ua}; navigator.storage.persist: ${f.persist}`);
  assert.equal(f.secure, true, '127.0.0.1 is a secure context');
  assert.equal(f.sw, true, 'service workers');
  assert.equal(f.idb, true, 'IndexedDB');
  assert.equal(f.locks, true, 'Web Locks');
  assert.equal(f.syncManager, false, 'no Background Sync, as in Safari');
  assert.match(f.ua, /AppleWebKit/);
  assert.match(f.title, /\S/, 'the till has a title');
  t.diagnostic(`document.title: ${f.title}`);
  // the service worker takes the page (clients.claim), so a reload works offline
  await wk.waitForExpr('!!navigator.serviceWorker.controller', { timeout: 15000 });
  const reg = await wk.run(`const r = await navigator.serviceWorker.ready;
    return { scope: r.scope, state: r.active && r.active.state, sync: 'sync' in r,
      cached: (await caches.keys()).filter((k) => k.startsWith('pos-till-shell-')).length };`);
  assert.equal(reg.scope, `${BASE}/pos/`);
  assert.equal(reg.sync, false, 'no registration.sync');
  assert.ok(reg.cached >= 1, 'the shell is precached');
});

test('WebKit: activation with a fresh device key, PIN 1234, one sale online', async (t) => {
  if (skipped(t)) return;
  const { key } = await freshDeviceKey(owner);
  await waitScreen('activate');
  await tap('#device-key');
  await wk.sendKeys('#device-key', key.toLowerCase().replace(/-/g, ' '));
  await shot('webkit-till-activation');
  await tap('#activate-btn');
  await waitScreen('pin', 20000);
  const device = (await idb('kv')).find((e) => e.key === 'device')?.value;
  assert.equal(typeof device?.token, 'string', 'the device token is kept in IndexedDB');
  deviceId = device.id;
  await enterPin(DEMO_PIN);
  sellable = await ensureSellable(device.token, owner);
  const tab = `.cat-tab[data-id="${sellable.product.category_id}"]`;
  if (!(await wk.exec('return !!document.querySelector(arguments[0]);', tab))) await tap('#sync-now');
  await tap(tab, 30000);
  await wk.waitForExpr(`!!document.querySelector('.product[data-id="${sellable.product.id}"]')`);
  await shot('webkit-till-grid');

  const r = await sell(1, { shots: true });
  await shot('webkit-till-receipt-online');
  const o = await until(() => serverOrder(owner, r.id), { timeout: 20000, step: 300 });
  assert.ok(o, 'GET /api/orders/{id} finds the order sold online');
  assert.equal(Date.parse(o.created_at), Date.parse(r.created_at), 'created_at as sold');
  assert.equal(o.total, orderTotal(o));
  assert.equal(o.payments.reduce((s, p) => s + p.amount, 0), o.total);
  await wk.waitFor(() => wk.exec("return document.querySelector('#receipt-status').dataset.state === 'sent';"), { what: 'the receipt to say "sent"' });
  assert.equal(await unsentCount(), 0);
  sold.online = r;
  await newOrder();
});

test(`WebKit: ${OFFLINE_SALES} sales with nginx gone, a reload served by the service worker`, async (t) => {
  if (skipped(t) || !sold.online) return t.skip(skip || 'the online sale failed');
  const t0 = Date.now();
  const took = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  stack('nginx_down');
  nginxDown = true;
  assert.equal(await fetch(`${BASE}/healthz`).catch(() => null), null, 'nginx is away');
  for (let i = 0; i < OFFLINE_SALES; i++) {
    const r = await sell(i);
    sold.offline.push(r);
    if (i === 0) {
      await wk.waitForExpr("!document.querySelector('#offline-banner').hidden", { timeout: 15000 });
      assert.equal(await wk.exec("return document.querySelector('#receipt-status').dataset.state;"), 'queued');
      await shot('webkit-till-offline-receipt');
    }
    await newOrder();
  }
  await until(async () => (await unsentCount()) === OFFLINE_SALES, { timeout: 20000 });
  assert.equal(await unsentCount(), OFFLINE_SALES, 'the header counts the unsent orders');
  const numbers = sold.offline.map((r) => r.number);
  assert.equal(new Set(numbers).size, OFFLINE_SALES, `local numbers are unique: ${numbers.join(' ')}`);
  await shot('webkit-till-offline');
  t.diagnostic(`${OFFLINE_SALES} sales offline: ${took()}`);

  // the reload: no server, so the page can only come from the service worker
  await collectErrors();
  await wk.refresh();
  await armErrors();
  await waitScreen('sell', 20000);
  assert.equal(await wk.exec('return !!navigator.serviceWorker.controller;'), true, 'served by the service worker');
  await until(async () => (await unsentCount()) === OFFLINE_SALES, { timeout: 10000 });
  assert.equal(await unsentCount(), OFFLINE_SALES, 'after the reload: still the unsent orders');
  await wk.waitForExpr(`!!document.querySelector('.cat-tab[data-id="${sellable.product.category_id}"]')`, { timeout: 10000 });
  await wk.waitForExpr("!document.querySelector('#offline-banner').hidden", { timeout: 20000 });
  await shot('webkit-till-offline-reloaded');
  t.diagnostic(`reloaded from the service worker: ${took()}`);

  // the cashier signs in again with no server: the PIN is checked against the
  // PBKDF2 verifier in IndexedDB (WebCrypto)
  await tap('#lock-btn');
  await enterPin(DEMO_PIN);
  const who = await wk.exec("return document.querySelector('#cashier-name').textContent;");
  assert.match(who, /без сети/, `signed in offline (${who})`);
  await tap('#unsent-btn');
  await wk.waitFor(() => dialogOpen('#outbox-dialog'), { what: 'the outbox list' });
  assert.equal(await wk.exec(`return document.querySelectorAll('#outbox-list .outbox-item[data-status="pending"]').length;`), OFFLINE_SALES);
  await shot('webkit-till-outbox-list');
  await tap('#outbox-close');
  await wk.waitFor(async () => !(await dialogOpen('#outbox-dialog')), { what: 'the outbox list to close' });
  t.diagnostic(`signed in offline: ${took()}`);
});

test(`WebKit: nginx back, the page's sender empties the outbox within ${SYNC_WITHIN_MS / 1000} s; exactly the ${OFFLINE_SALES} orders`, async (t) => {
  if (skipped(t) || sold.offline.length !== OFFLINE_SALES) return t.skip(skip || 'the offline sales failed');
  const queued = await idb('outbox');
  assert.equal(queued.length, OFFLINE_SALES);
  assert.deepEqual(new Set(queued.map((q) => q.id)), new Set(sold.offline.map((r) => r.id)), 'the outbox holds the sales rung up');
  const before = countOrdersOf(deviceId);
  stack('nginx_up');
  nginxDown = false;
  const back = Date.now();
  // nothing nudges the page: no Background Sync, no `online` event (the
  // network never went away), only the till's own retry timer
  const empty = await until(async () => (await unsentCount()) === 0, { timeout: SYNC_WITHIN_MS, step: 500 });
  const took = Date.now() - back;
  t.diagnostic(`the outbox emptied ${took} ms after nginx came back`);
  assert.ok(empty, `the outbox is empty within ${SYNC_WITHIN_MS / 1000} s (still ${await unsentCount()})`);
  assert.equal((await idb('outbox')).length, 0, 'nothing left in IndexedDB');
  await shot('webkit-till-synced');

  for (const q of queued) {
    const o = await serverOrder(owner, q.id);
    assert.ok(o, `the server has ${q.local_number} (${q.id})`);
    assert.equal(Date.parse(o.created_at), Date.parse(q.order.created_at), `${q.local_number}: created_at is the sale time`);
    assert.ok(Date.parse(o.created_at) < back, `${q.local_number}: sold before nginx came back`);
    assert.equal(o.total, orderTotal(q.order), `${q.local_number}: total`);
    assert.deepEqual(o.payments.map((p) => [p.method, p.amount]), q.order.payments.map((p) => [p.method, p.amount]), `${q.local_number}: payments`);
  }
  const after = countOrdersOf(deviceId);
  assert.equal(after - before, OFFLINE_SALES, `exactly ${OFFLINE_SALES} new orders of this till on the server`);
  const ids = queued.map((q) => `'${q.id}'`).join(',');
  const rows = psql(`SELECT count(*), count(DISTINCT id), bool_and(received_at >= created_at) FROM orders WHERE id IN (${ids})`, { user: 'postgres' });
  assert.equal(rows, `${OFFLINE_SALES}|${OFFLINE_SALES}|t`, 'each order once, received after it was sold');
});

test('WebKit: no script errors in the page', async (t) => {
  if (skipped(t)) return;
  await collectErrors();
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  // what the till itself reported through POST /api/client-log (level=error)
  const text = existsSync(POSD_LOG) ? readFileSync(POSD_LOG).subarray(posdLogFrom).toString('utf8') : '';
  const reports = text.split('\n').filter((l) => /client_log source="till"/.test(l));
  for (const l of reports) t.diagnostic(l);
  assert.deepEqual(reports.filter((l) => /level=error/.test(l)), [], `errors the till reported (${POSD_LOG})`);
});
