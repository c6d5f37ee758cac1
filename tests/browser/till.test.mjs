// The till PWA (static/pos/) in headless Chromium against the real stack:
// activation with a device key → cashier PIN 1234 → one sale online (a
// product with a required modifier group) that the server has → nginx taken
// away (Playwright's setOffline does not cut a service worker's own requests)
// → 20 sales with modifiers, card, split payment, discount, note → reload
// while offline (the service worker serves the shell, 20 unsent orders shown,
// offline PIN sign-in) → nginx back → the outbox empties within 60 s and the
// server has exactly those 20 orders, with their original created_at and the
// prices charged.  Then a reset device key: the till returns to activation
// and keeps its unsent order until it is activated again.
//
// The first tests need no server: the till's money, cart and order rules
// (its own ES modules, imported here), the shell list, the catalogues.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { launch, shot } from '../lib/browser.mjs';
import { api, BASE, ROOT, stack, until } from '../lib/stack.mjs';
import { call } from '../lib/tenancy.mjs';
import {
  ownerToken, freshDeviceKey, ensureSellable, serverOrder, orderTotal, DEMO_PIN,
} from '../lib/till.mjs';
import { formatMoney, parseMoney, toInput, convert, quickTenders } from '../../static/pos/js/money.js';
import {
  Cart, groupRule, checkGroup, validateSelection, paymentSummary, cashPayment, buildOrder, checkOrder,
} from '../../static/pos/js/cart.js';
import { normalizeKey, keyFromScan } from '../../static/pos/js/auth.js';
import { backoffDelay } from '../../static/pos/js/sync.js';
import { SHELL } from '../../static/pos/js/shell.js';

const POS = path.join(ROOT, 'static/pos');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OFFLINE_SALES = 20;

// ---------------------------------------------------------------- pure rules
test('money: minor units, formatting, parsing, exact conversion', () => {
  const nb = (s) => s.replace(/[\u00a0\u202f]/g, ' ');
  assert.equal(nb(formatMoney(450, 'AZN', 'ru-RU')), '4,50 ₼');
  assert.equal(nb(formatMoney(123456, 'AZN', 'ru-RU')), '1 234,56 ₼');
  assert.equal(nb(formatMoney(2530000, 'UZS', 'ru-RU')).replace(/\s?UZS|\s?сўм/, ''), '25 300');
  assert.match(nb(formatMoney(99, 'USD', 'en-GB')), /^(US)?\$0\.99$/);
  for (const c of ['AZN', 'USD', 'EUR', 'KZT', 'UZS', 'RUB']) assert.ok(formatMoney(1, c, 'ru-RU'), c);
  assert.equal(parseMoney('4,5', 'AZN'), 450);
  assert.equal(parseMoney('4.50', 'AZN'), 450);
  assert.equal(parseMoney('1 200', 'AZN'), 120000);
  assert.equal(parseMoney('0,1', 'AZN'), 10);
  assert.equal(parseMoney('4,505', 'AZN'), null);
  assert.equal(parseMoney('-1', 'AZN'), null);
  assert.equal(parseMoney('abc', 'AZN'), null);
  assert.equal(toInput(450, 'AZN', 'ru-RU'), '4,50');
  assert.equal(toInput(500, 'AZN', 'en-GB'), '5');
  // 0.1 + 0.2 style drift never happens: 1000 × 0.10 AZN is exactly 100.00
  const c = new Cart();
  for (let i = 0; i < 1000; i++) c.add({ product_id: `p${i}`, name: 'x', unit_price: 10, modifiers: [] });
  assert.equal(c.total(), 10000);
  // rates: "1.7000" AZN per USD, half away from zero
  assert.equal(convert(100, 'USD', 'AZN', '1.7000'), 170);
  assert.equal(convert(1, 'USD', 'AZN', '1.5'), 2);
  assert.equal(convert(1, 'USD', 'AZN', '1.4999'), 1);
  assert.deepEqual(quickTenders(450, 'AZN'), [500, 1000, 2000, 5000]);
  assert.ok(quickTenders(1260, 'AZN').every((v) => v > 1260));
});

test('modifier groups: single/multiple, required, min/max', () => {
  const g = (o) => ({ id: o.id || 'g', modifiers: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd', is_active: false }], ...o });
  const size = g({ id: 'size', kind: 'single', required: true, min: 1, max: 1 });
  const tops = g({ id: 'tops', kind: 'multiple', required: false, min: 0, max: 2 });
  const two = g({ id: 'two', kind: 'multiple', required: true, min: 2, max: 3 });
  assert.deepEqual(groupRule(size), { min: 1, max: 1, required: true });
  assert.deepEqual(groupRule(two), { min: 2, max: 3, required: true });
  assert.equal(checkGroup(size, 0), 'required');
  assert.equal(checkGroup(size, 1), null);
  assert.equal(checkGroup(tops, 0), null);
  assert.equal(checkGroup(tops, 3), 'max');
  assert.equal(checkGroup(two, 1), 'min');
  assert.equal(checkGroup(two, 4), 'max');
  const sel = new Map([['size', new Set()], ['tops', new Set(['a'])], ['two', new Set(['a', 'b'])]]);
  let v = validateSelection([size, tops, two], sel);
  assert.equal(v.ok, false);
  assert.equal(v.problems.get('size'), 'required');
  sel.get('size').add('b');
  v = validateSelection([size, tops, two], sel);
  assert.equal(v.ok, true);
  // an inactive modifier does not count
  sel.set('two', new Set(['a', 'd']));
  assert.equal(validateSelection([size, tops, two], sel).problems.get('two'), 'min');
});

test('cart → order: integers that add up, split payments, change', () => {
  const c = new Cart();
  const latte = { product_id: 'p1', name: 'Латте', unit_price: 560, modifiers: [{ id: 'm1', name: 'M', price_delta: 50 }, { id: 'm2', name: 'Сироп', price_delta: 60 }] };
  c.add(latte);
  c.add(latte); // same line: qty 2
  c.add({ ...latte, note: 'без сахара' }); // a note makes its own line
  c.add({ product_id: 'p2', name: 'Круассан', unit_price: 350, modifiers: [] });
  assert.equal(c.lines.length, 3);
  assert.equal(c.lines[0].qty, 2);
  assert.equal(c.subtotal(), 560 * 3 + 350);
  c.setDiscount(100000);
  assert.equal(c.discount, c.subtotal(), 'the discount is capped at the subtotal');
  c.setDiscount(30);
  const total = c.total();
  assert.equal(total, 2000);
  const cash = cashPayment(1000, total, 'AZN');
  assert.deepEqual(cash, { method: 'cash', currency: 'AZN', amount: 1000, tendered: 1000 });
  const card = { method: 'card', currency: 'AZN', amount: 500, card_last4: '4242' };
  const cash2 = cashPayment(2000, total - 1500, 'AZN');
  assert.equal(cash2.amount, 500);
  const pays = [cash, card, cash2];
  assert.deepEqual(paymentSummary(total, pays), { paid: 2000, remaining: 0, change: 1500 });
  const order = buildOrder({
    id: '7d0f4b7e-6d3c-4e8a-9f43-3b1f3f1e2a10', createdAt: '2026-01-02T03:04:05.678Z', cashierId: 'u1',
    currency: 'AZN', cart: c, payments: pays,
  });
  assert.deepEqual(Object.keys(order), ['id', 'created_at', 'cashier_id', 'lines', 'discount', 'payments']);
  assert.deepEqual(order.lines[0], { product_id: 'p1', qty: 2, unit_price: 560, modifiers: [{ id: 'm1', price_delta: 50 }, { id: 'm2', price_delta: 60 }] });
  assert.equal(order.lines[1].note, 'без сахара');
  assert.equal(orderTotal(order), 2000);
  assert.equal(order.payments.reduce((s, p) => s + p.amount, 0), 2000);
  assert.throws(() => checkOrder({ ...order, payments: [card] }), /payments 500 ≠ total 2000/);
  assert.throws(() => checkOrder({ ...order, lines: [{ ...order.lines[0], qty: 1.5 }] }), /qty/);
});

test('device keys: case, spaces and dashes do not matter; QR payloads', () => {
  assert.equal(normalizeKey('w87nk rtpyv-r2ydb nbc0g'), 'W87NK-RTPYV-R2YDB-NBC0G');
  assert.equal(normalizeKey('W87NKRTPYVR2YDBNBCOG'), 'W87NK-RTPYV-R2YDB-NBC0G', 'O reads as 0');
  assert.equal(normalizeKey('W87NK-RTPYV'), null);
  assert.equal(normalizeKey('W87NK-RTPYV-R2YDB-NBC0U'), null, 'U is not in the alphabet');
  assert.equal(keyFromScan('https://pos.example/pos/?device_key=W87NK-RTPYV-R2YDB-NBC0G'), 'W87NK-RTPYV-R2YDB-NBC0G');
  assert.equal(keyFromScan('Till POS-01 key: W87NK-RTPYV-R2YDB-NBC0G'), 'W87NK-RTPYV-R2YDB-NBC0G');
  // retry delays: 2 s doubling to 60 s
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 12].map((n) => backoffDelay(n, () => 1)), [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

test('the service worker precaches every file of the till; catalogues agree', () => {
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p); else files.push(path.relative(POS, p));
    }
  };
  walk(POS);
  const listed = new Set(SHELL.map((s) => s.replace(/^\.\//, '')));
  for (const f of files) if (f !== 'sw.js') assert.ok(listed.has(f), `${f} is missing from SHELL in js/shell.js`);
  for (const f of listed) assert.ok(files.includes(f), `SHELL lists ${f}, which does not exist`);
  // the cache version in sw.js is the hash of the shell: any change to a file
  // changes sw.js, so browsers install the new version
  const h = createHash('sha256');
  for (const p of SHELL) h.update(p).update('\0').update(readFileSync(path.join(POS, p))).update('\0');
  const version = h.digest('hex').slice(0, 16);
  const sw = readFileSync(path.join(POS, 'sw.js'), 'utf8');
  assert.ok(sw.includes(`const VERSION = '${version}';`),
    `static/pos changed: set VERSION in static/pos/sw.js to '${version}' (was '${/const VERSION = '([^']*)'/.exec(sw)?.[1]}')`);

  const cat = Object.fromEntries(['ru', 'az', 'uz', 'en'].map((l) => [l, JSON.parse(readFileSync(path.join(POS, `i18n/${l}.json`), 'utf8'))]));
  // plural forms differ by language (ru: one/few/many/other; az, uz, en: one/other)
  const plural = /\.(one|few|many)$/;
  for (const l of ['az', 'uz', 'en']) {
    for (const k of Object.keys(cat.ru)) {
      if (plural.test(k)) continue;
      assert.equal(typeof cat[l][k], 'string', `${l}.json lacks ${k}`);
    }
    for (const k of Object.keys(cat[l])) assert.ok(k in cat.ru, `${l}.json has ${k}, ru.json does not`);
  }
  // every literal key the code and the markup use exists in Russian
  const src = ['js/app.js', 'index.html'].map((f) => readFileSync(path.join(POS, f), 'utf8')).join('\n');
  const used = new Set([...src.matchAll(/\btn?\('([a-z0-9_.]+)'/g), ...src.matchAll(/data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"/g)].map((m) => m[1]));
  for (const k of used) assert.ok(k in cat.ru || `${k}.other` in cat.ru, `ru.json lacks ${k}`);
  // no inline script or style in the page (the CSP would block them)
  const html = readFileSync(path.join(POS, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /\sstyle=|<style|<script(?![^>]*\ssrc=)/);
});

test('nginx serves the till: shell, manifest, icons, service worker headers', async () => {
  const page = await api('GET', '/pos/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') || '', /script-src 'self'/);
  assert.match(page.text, /<meta name="apple-mobile-web-app-capable" content="yes">/);
  assert.match(page.text, /rel="apple-touch-icon"/);
  const sw = await api('GET', '/pos/sw.js');
  assert.equal(sw.status, 200);
  assert.match(sw.headers.get('content-type') || '', /javascript/);
  assert.equal(sw.headers.get('service-worker-allowed'), '/pos/');
  assert.match(sw.headers.get('cache-control') || '', /no-cache/);
  const m = await api('GET', '/pos/manifest.webmanifest');
  assert.equal(m.status, 200);
  const man = JSON.parse(m.text);
  assert.equal(man.start_url, '/pos/');
  assert.equal(man.scope, '/pos/');
  assert.equal(man.display, 'standalone');
  assert.equal(man.theme_color, '#1f6b7a');
  for (const size of ['192x192', '512x512']) {
    const icon = man.icons.find((i) => i.sizes === size && i.type === 'image/png');
    assert.ok(icon, `a ${size} PNG icon`);
    const r = await fetch(new URL(icon.src, `${BASE}/pos/`));
    const buf = Buffer.from(await r.arrayBuffer());
    assert.equal(r.status, 200);
    assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
    assert.equal(`${buf.readUInt32BE(16)}x${buf.readUInt32BE(20)}`, size);
  }
  for (const p of SHELL) {
    const r = await fetch(new URL(p, `${BASE}/pos/`));
    assert.equal(r.status, 200, `GET /pos/${p}`);
  }
});

// ---------------------------------------------------------------- in the browser
let ready = false;
let notReady = '';
let ctx;
let page;
let owner;
let sellable;
let deviceToken;
let deviceId;
let nginxDown = false;
const pageErrors = [];
const pushRequests = [];

before(async () => {
  const probe = await api('GET', '/api/sync/pull');
  if (probe.status === 404) {
    notReady = 'the server has no /api/sync/pull yet (404): the till tests need the sync API';
    return;
  }
  ready = true;
  owner = await ownerToken();
  ctx = await launch({ locale: 'ru-RU' });
  page = ctx.pages()[0] || await ctx.newPage();
  await page.setViewportSize({ width: 1180, height: 820 }); // landscape iPad
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    // a refused connection while nginx is away is expected, nothing else is
    if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|ERR_FAILED|net::/.test(m.text())) pageErrors.push(m.text());
  });
  ctx.on('request', (r) => { if (r.url().endsWith('/api/sync/push')) pushRequests.push(Date.now()); });
});

after(async () => {
  if (nginxDown) stack('nginx_up');
  await ctx?.close();
});

function skipUnlessReady(t) {
  if (!ready) t.skip(notReady);
  return !ready;
}

// Reads an object store of the till's IndexedDB from the page.
function idb(storeName) {
  return page.evaluate((name) => new Promise((resolve, reject) => {
    const r = indexedDB.open('pos-till');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const db = r.result;
      const q = db.transaction(name).objectStore(name).getAll();
      q.onsuccess = () => { resolve(q.result); db.close(); };
      q.onerror = () => reject(q.error);
    };
  }), storeName);
}

const unsentCount = async () => Number((await page.textContent('#unsent-count')).trim());

async function enterPin(pin) {
  await page.waitForSelector('#screen-pin:not([hidden])');
  for (const d of pin) await page.click(`.pin-key[data-key="${d}"]`);
  await page.click('#pin-ok');
  await page.waitForSelector('#screen-sell:not([hidden])', { timeout: 15000 });
}

// One sale of the test product; `v` varies modifiers and payment.
// Answers what the receipt shows: {id, created_at, number}.
async function sell(v, { shots = false } = {}) {
  const { product, groups } = sellable;
  await page.click(`.cat-tab[data-id="${product.category_id}"]`);
  await page.click(`.product[data-id="${product.id}"]`);
  await page.waitForSelector('#mod-dialog[open]');
  assert.equal(await page.isDisabled('#mod-add'), true, '"Add" waits for the required choices');
  for (const g of groups) {
    const opts = page.locator(`.mod-group[data-id="${g.id}"] .mod-option`);
    const n = await opts.count();
    if (g.required || g.min > 0) {
      const need = Math.max(1, g.min || 0);
      for (let i = 0; i < need; i++) await opts.nth((v + i) % n).click();
    } else if (v % 2 === 1) {
      await opts.nth(v % n).click();
    }
  }
  if (shots) await shot(page, 'till-modifier-dialog');
  assert.equal(await page.isDisabled('#mod-add'), false, '"Add" once the rules are met');
  await page.click('#mod-add');
  await page.waitForSelector('#mod-dialog[open]', { state: 'detached' });
  if (v % 3 === 0) await page.click(`.cart-line .qty-inc >> nth=0`); // 2 units
  if (v === 4) { // a line note
    await page.click('.cart-line .line-note-btn >> nth=0');
    await page.fill('#note-text', 'без сахара, с собой');
    await page.click('#note-save');
  }
  if (v === 5) { // an order discount
    await page.click('#discount-btn');
    await page.fill('#discount-amount', '0,30');
    await page.click('#discount-save');
    assert.match(await page.textContent('#cart-discount'), /0,30/);
  }
  await page.click('#pay-btn');
  await page.waitForSelector('#screen-pay:not([hidden])');
  if (shots) await shot(page, 'till-payment');
  const kind = ['cash', 'card', 'split', 'qr', 'cash-exact'][v % 5];
  if (kind === 'cash') {
    await page.click('.quick-tender:not(.quick-exact) >> nth=0');
  } else if (kind === 'cash-exact') {
    await page.click('.quick-exact');
  } else if (kind === 'card' || kind === 'qr') {
    await page.click(`.pay-method[data-method="${kind}"]`);
    if (kind === 'card') await page.fill('#card-last4', '4242');
    await page.click(`#${kind}-add`);
  } else { // split: 1,00 in cash, the rest by card
    await page.fill('#cash-tendered', '1');
    await page.click('#cash-add');
    await page.click('.pay-method[data-method="card"]');
    await page.click('#card-add');
  }
  if (shots) await shot(page, 'till-payment-covered');
  assert.equal(await page.isDisabled('#pay-complete'), false, 'the payments cover the total');
  await page.click('#pay-complete');
  await page.waitForSelector('#screen-receipt:not([hidden])');
  const r = {
    id: (await page.textContent('#receipt-id')).trim(),
    created_at: await page.getAttribute('#receipt-time', 'datetime'),
    number: (await page.textContent('#receipt-number')).trim(),
  };
  assert.match(r.id, UUID_RE);
  return r;
}

async function newOrder() {
  await page.click('#new-order-btn');
  await page.waitForSelector('#screen-sell:not([hidden])');
}

const sold = { online: null, offline: [] };

test('activation with the device key, PIN 1234, the catalogue', async (t) => {
  if (skipUnlessReady(t)) return;
  const { key } = await freshDeviceKey(owner);
  await page.goto(`${BASE}/pos/`, { waitUntil: 'load' });
  await page.waitForSelector('#screen-activate:not([hidden])', { timeout: 15000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  // typed sloppily: lower case, spaces instead of dashes
  await page.fill('#device-key', 'not-a-key');
  await page.click('#activate-btn');
  await page.waitForSelector('#activate-error:not([hidden])');
  await page.fill('#device-key', key.toLowerCase().replace(/-/g, ' '));
  await shot(page, 'till-activation');
  await page.click('#activate-btn');
  await page.waitForSelector('#screen-pin:not([hidden])', { timeout: 15000 });
  const [device] = (await idb('kv')).filter((e) => e.key === 'device').map((e) => e.value);
  assert.equal(typeof device.token, 'string', 'the device token is kept in IndexedDB');
  deviceToken = device.token;
  deviceId = device.id;
  // a wrong PIN first
  for (const d of '0000') await page.click(`.pin-key[data-key="${d}"]`);
  await page.click('#pin-ok');
  await page.waitForSelector('#pin-error:not([hidden])', { timeout: 15000 });
  await shot(page, 'till-pin');
  await enterPin(DEMO_PIN);
  const cashiers = await idb('cashiers');
  assert.equal(cashiers.length, 1, 'a PIN verifier was kept for offline sign-in');
  assert.equal(cashiers[0].iterations, 100000);
  assert.equal(cashiers[0].algo, 'PBKDF2-SHA256');
  assert.ok(!('pin' in cashiers[0]) && cashiers[0].hash.length === 32, 'a 32-byte hash, no PIN');

  sellable = await ensureSellable(deviceToken, owner);
  // the catalogue arrives through /api/sync/pull (again on "Sync now" if the
  // product was created just now)
  const tile = `.cat-tab[data-id="${sellable.product.category_id}"]`;
  if (!(await page.$(tile))) await page.click('#sync-now');
  await page.waitForSelector(tile, { timeout: 30000 });
  await page.click(tile);
  await page.waitForSelector(`.product[data-id="${sellable.product.id}"]`);
  assert.ok(sellable.groups.some((g) => g.required), 'the test product has a required modifier group');
  // the service worker took the page (needed for the offline reload later)
  await until(() => page.evaluate(() => !!navigator.serviceWorker.controller), { timeout: 15000 });
  const box = await page.locator('.product').first().boundingBox();
  assert.ok(box.height >= 64 && box.width >= 64, `product tiles are large touch targets (${box.width}×${box.height})`);
  await shot(page, 'till-grid');
});

test('one sale online reaches the server as sold', async (t) => {
  if (skipUnlessReady(t)) return;
  const r = await sell(1, { shots: true });
  await shot(page, 'till-receipt');
  // the print stylesheet: only the receipt, 80 mm wide
  await page.emulateMedia({ media: 'print' });
  await shot(page, 'till-receipt-print');
  const printed = await page.evaluate(() => ({
    topbar: getComputedStyle(document.querySelector('#topbar')).display,
    actions: getComputedStyle(document.querySelector('.receipt-actions')).display,
    width: document.querySelector('#receipt').getBoundingClientRect().width,
  }));
  await page.emulateMedia({ media: 'screen' });
  assert.equal(printed.topbar, 'none');
  assert.equal(printed.actions, 'none');
  assert.ok(Math.abs(printed.width - (80 / 25.4) * 96) < 2, `receipt is 80 mm wide in print (${printed.width}px)`);
  const o = await until(() => serverOrder(owner, r.id), { timeout: 20000, step: 300 });
  assert.ok(o, 'GET /api/orders/{id} finds the order');
  assert.equal(Date.parse(o.created_at), Date.parse(r.created_at), 'created_at as sold');
  assert.equal(o.device_id ?? deviceId, deviceId);
  assert.equal(o.total, orderTotal(o));
  assert.equal(o.payments.reduce((s, p) => s + p.amount, 0), o.total);
  assert.equal(o.payments[0].card_last4, '4242');
  const line = o.lines.find((l) => l.product_id === sellable.product.id);
  const required = sellable.groups.filter((g) => g.required).flatMap((g) => g.modifiers.map((m) => m.id));
  assert.ok(line.modifiers.some((m) => required.includes(m.id)), 'the required modifier went with the line');
  await until(async () => (await page.getAttribute('#receipt-status', 'data-state')) === 'sent', { timeout: 10000 });
  assert.equal(await unsentCount(), 0);
  sold.online = r;
  await newOrder();
});

// Ids of today's orders of this till on the server, with the store's day.
async function todaysOrdersOfThisTill() {
  const store = await call(owner, 'GET', '/api/store');
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: store.json?.time_zone || 'UTC' }).format(new Date());
  const r = await call(owner, 'GET', '/api/orders/today?limit=500');
  assert.equal(r.status, 200, `GET /api/orders/today: ${r.text.slice(0, 300)}`);
  assert.ok(Array.isArray(r.json?.items), 'GET /api/orders/today answers {items}');
  return { day, ids: r.json.items.filter((o) => o.device_id === deviceId).map((o) => o.id) };
}
let todayBefore = null;

test(`offline: ${OFFLINE_SALES} sales with nginx gone, a reload from the service worker, offline PIN`, async (t) => {
  if (skipUnlessReady(t)) return;
  todayBefore = await todaysOrdersOfThisTill();
  stack('nginx_down');
  nginxDown = true;
  assert.equal((await fetch(`${BASE}/healthz`).catch(() => null)), null, 'nginx is away');
  for (let i = 0; i < OFFLINE_SALES; i++) {
    const r = await sell(i);
    sold.offline.push(r);
    if (i === 0) {
      // the failed push turns the banner on
      await page.waitForSelector('#offline-banner:not([hidden])', { timeout: 15000 });
      await shot(page, 'till-offline-receipt');
    }
    await newOrder();
  }
  await until(async () => (await unsentCount()) === OFFLINE_SALES, { timeout: 20000 });
  assert.equal(await unsentCount(), OFFLINE_SALES);
  const numbers = sold.offline.map((r) => r.number);
  assert.equal(new Set(numbers).size, OFFLINE_SALES, `local numbers are unique: ${numbers.join(' ')}`);
  await shot(page, 'till-offline-banner');

  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('#screen-sell:not([hidden])', { timeout: 20000 });
  assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'served by the service worker');
  await until(async () => (await unsentCount()) === OFFLINE_SALES, { timeout: 10000 });
  await page.waitForSelector('#offline-banner:not([hidden])', { timeout: 20000 });
  assert.ok(await page.$(`.product[data-id="${sellable.product.id}"], .cat-tab[data-id="${sellable.product.category_id}"]`), 'the catalogue comes from IndexedDB');

  // the same cashier signs in again with no server, against the verifier
  await page.click('#lock-btn');
  await enterPin(DEMO_PIN);
  assert.match(await page.textContent('#cashier-name'), /без сети/);
  await page.click('#unsent-btn');
  await page.waitForSelector('#outbox-dialog[open]');
  assert.equal(await page.locator('#outbox-list .outbox-item[data-status="pending"]').count(), OFFLINE_SALES);
  await shot(page, 'till-outbox-list');
  await page.click('#outbox-close');
});

test('nginx back: the outbox empties within 60 s; the server has exactly the 20 orders as sold', async (t) => {
  if (skipUnlessReady(t)) return;
  const queued = await idb('outbox');
  assert.equal(queued.length, OFFLINE_SALES);
  stack('nginx_up');
  nginxDown = false;
  const t0 = Date.now();
  const empty = await until(async () => (await unsentCount()) === 0, { timeout: 60000, step: 250 });
  assert.ok(empty, `the outbox is empty within 60 s (still ${await unsentCount()} after ${Date.now() - t0} ms)`);
  assert.equal((await idb('outbox')).length, 0);
  await page.waitForSelector('#offline-banner', { state: 'hidden', timeout: 65000 });

  for (const q of queued) {
    const o = await serverOrder(owner, q.id);
    assert.ok(o, `the server has ${q.local_number} (${q.id})`);
    assert.equal(Date.parse(o.created_at), Date.parse(q.order.created_at), `${q.local_number}: created_at is the sale time`);
    assert.equal(o.total, orderTotal(q.order), `${q.local_number}: total`);
    assert.equal(o.discount, q.order.discount);
    assert.deepEqual(
      o.lines.map((l) => [l.product_id, l.qty, l.unit_price, l.modifiers.map((m) => m.id).sort()]),
      q.order.lines.map((l) => [l.product_id, l.qty, l.unit_price, l.modifiers.map((m) => m.id).sort()]),
      `${q.local_number}: lines at the prices charged`,
    );
    assert.deepEqual(o.payments.map((p) => [p.method, p.amount]), q.order.payments.map((p) => [p.method, p.amount]));
  }
  assert.deepEqual(new Set(queued.map((q) => q.id)), new Set(sold.offline.map((r) => r.id)));
  // exactly these: the orders of this till that appeared on the server are the 20
  const todayAfter = await todaysOrdersOfThisTill();
  if (todayAfter.day === todayBefore.day) { // (not across the store's midnight)
    assert.equal(todayAfter.ids.length, new Set(todayAfter.ids).size, 'no order twice');
    const added = todayAfter.ids.filter((id) => !todayBefore.ids.includes(id));
    assert.equal(added.length, OFFLINE_SALES, `exactly ${OFFLINE_SALES} new orders of this till`);
    assert.deepEqual(new Set(added), new Set(queued.map((q) => q.id)));
  }
});

// Runs the service worker's Background Sync handler now (Chromium DevTools
// protocol), as the browser would when the network returns.
async function dispatchBackgroundSync(tag) {
  const cdp = await ctx.newCDPSession(page);
  const regs = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  const reg = await until(() => regs.find((r) => r.scopeURL === `${BASE}/pos/` && !r.isDeleted), { timeout: 5000 });
  assert.ok(reg, 'the till has a service worker registration');
  await cdp.send('ServiceWorker.dispatchSyncEvent', {
    origin: new URL(BASE).origin, registrationId: reg.registrationId, tag, lastChance: false,
  });
  await cdp.detach();
}

// Changes the till's IndexedDB from the test (what a browser restart or the
// passing of time would do).
function idbPut(storeName, value) {
  return page.evaluate(([name, v]) => new Promise((resolve, reject) => {
    const r = indexedDB.open('pos-till');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const db = r.result;
      const t = db.transaction(name, 'readwrite');
      t.objectStore(name).put(v);
      t.oncomplete = () => { db.close(); resolve(); };
      t.onerror = () => reject(t.error);
    };
  }), [storeName, value]);
}

const pendingCount = async () => (await idb('outbox')).filter((e) => e.status === 'pending').length;
let rejectedId = null;

test('manual offline sends nothing; stale warning; the service worker sends on Background Sync; a rejected order stays', async (t) => {
  if (skipUnlessReady(t)) return;
  await page.click('#offline-toggle');
  await page.waitForSelector('#offline-toggle[aria-checked="true"]');
  await page.waitForSelector('#offline-banner:not([hidden])');
  const before = pushRequests.length;
  const r = await sell(2);
  await newOrder();
  await page.click('#sync-now');
  await page.waitForTimeout(1500);
  assert.equal(pushRequests.length, before, 'no push while the offline toggle is on');
  assert.equal(await unsentCount(), 1);

  // two hours pass; and an order that does not add up (payments ≠ total)
  // sits in the outbox as well
  const [entry] = await idb('outbox');
  const old = new Date(Date.now() - 2 * 3600e3).toISOString();
  await idbPut('outbox', { ...entry, queued_at: old });
  rejectedId = crypto.randomUUID();
  const bad = structuredClone(entry);
  Object.assign(bad, { id: rejectedId, local_number: 'Z-999', queued_at: old, attempts: 0 });
  bad.order.id = rejectedId;
  bad.order.payments[0].amount += 1;
  await idbPut('outbox', bad);
  await page.click('#unsent-btn');
  await page.waitForSelector('#stale-banner:not([hidden])', { timeout: 5000 });
  await page.click('#outbox-close');
  await shot(page, 'till-stale-warning');

  // the service worker's own sender (Background Sync), from IndexedDB
  await idbPut('kv', { key: 'offline_manual', value: false });
  await dispatchBackgroundSync('outbox');
  const settled = await until(async () => {
    const all = await idb('outbox');
    return all.length === 1 && all[0].status === 'rejected' ? all : null;
  }, { timeout: 20000, step: 250 });
  assert.ok(settled, `the good order left the outbox, the bad one stayed: ${JSON.stringify(await idb('outbox'))}`.slice(0, 600));
  assert.equal(settled[0].id, rejectedId);
  assert.equal(typeof settled[0].error?.code, 'string', 'the server error is kept with the order');
  assert.ok(await serverOrder(owner, r.id), 'the service worker delivered the good order');
  assert.equal(await serverOrder(owner, rejectedId), null, 'the bad order is not on the server');
  await page.waitForSelector('#rejected-banner:not([hidden])', { timeout: 20000 });
  await until(async () => (await unsentCount()) === 1, { timeout: 10000 });
  await page.click('#rejected-show');
  await page.waitForSelector(`#outbox-list .outbox-item.is-rejected[data-id="${rejectedId}"] .outbox-error`);
  await shot(page, 'till-rejected-order');
  await page.click('#outbox-close');
  await idbPut('kv', { key: 'offline_manual', value: true }); // the page still shows manual offline
});

test('a reset device key returns the till to activation; unsent orders are kept and sent after it', async (t) => {
  if (skipUnlessReady(t)) return;
  const r = await sell(3);
  await newOrder();
  assert.equal(await pendingCount(), 1);

  // the owner resets this till's key: its token stops working
  const reset = await call(owner, 'POST', `/api/devices/${deviceId}/reset-key`);
  assert.equal(reset.status, 200, reset.text);
  await page.click('#offline-toggle'); // back online: the next push gets 401
  await page.waitForSelector('#screen-activate:not([hidden])', { timeout: 30000 });
  await page.waitForSelector('#activate-outbox:not([hidden])');
  assert.equal(await unsentCount(), 2, 'the unsent and the rejected order are still there');
  assert.ok((await idb('outbox')).some((e) => e.id === r.id));
  await shot(page, 'till-revoked');

  await page.fill('#device-key', reset.json.device_key);
  await page.click('#activate-btn');
  await page.waitForSelector('#screen-pin:not([hidden])', { timeout: 15000 });
  await until(async () => (await pendingCount()) === 0, { timeout: 30000 });
  assert.ok(await serverOrder(owner, r.id), 'sent after the new activation');
  assert.deepEqual((await idb('outbox')).map((e) => e.id), [rejectedId], 'the rejected order waits for a manager');
  await enterPin(DEMO_PIN);
});

test('catalogue changes arrive by pull: a new product appears, a deleted one leaves; language switch', async (t) => {
  if (skipUnlessReady(t)) return;
  const name = `Тестовый чай ${Date.now().toString(36)}`;
  const p = await call(owner, 'POST', '/api/products', { name, category_id: sellable.product.category_id, price: 1234 });
  assert.equal(p.status, 201, p.text);
  try {
    await page.click('#sync-now');
    await page.click(`.cat-tab[data-id="${sellable.product.category_id}"]`);
    const tile = page.locator(`.product[data-id="${p.json.id}"]`);
    await tile.waitFor({ timeout: 15000 });
    assert.match((await tile.textContent()).replace(/[\u00a0\u202f]/g, ' '), /12,34 ₼/);
  } finally {
    const d = await call(owner, 'DELETE', `/api/products/${p.json.id}`);
    assert.equal(d.status, 200, d.text);
  }
  await page.click('#sync-now');
  await page.waitForSelector(`.product[data-id="${p.json.id}"]`, { state: 'detached', timeout: 15000 });
  assert.equal((await idb('products')).some((x) => x.id === p.json.id), false, 'dropped from IndexedDB too');

  await page.click('#menu-btn');
  await page.click('#lang-buttons [data-lang="az"]');
  await page.waitForFunction(() => document.documentElement.lang === 'az');
  assert.equal((await page.textContent('#pay-btn')).trim(), 'Ödəniş');
  await page.click('#lang-buttons [data-lang="ru"]');
  await page.waitForFunction(() => document.documentElement.lang === 'ru');
  await page.click('#menu-close');
  assert.equal((await page.textContent('#pay-btn')).trim(), 'Оплата');
});

// Chooses the required modifiers in the open dialog and adds the line.
async function sellableModifiers() {
  await page.waitForSelector('#mod-dialog[open]');
  for (const g of sellable.groups.filter((x) => x.required || x.min > 0)) {
    const opts = page.locator(`.mod-group[data-id="${g.id}"] .mod-option`);
    for (let i = 0; i < Math.max(1, g.min || 0); i++) await opts.nth(i).click();
  }
  await page.click('#mod-add');
  await page.waitForSelector('#mod-dialog[open]', { state: 'detached' });
}

test('phone portrait and dark theme', async (t) => {
  if (skipUnlessReady(t)) return;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click(`.cat-tab[data-id="${sellable.product.category_id}"]`);
  await shot(page, 'till-phone-grid');
  await page.click(`.product[data-id="${sellable.product.id}"]`);
  await sellableModifiers();
  await page.click('#cart-toggle');
  await page.waitForSelector('#cart-lines .cart-line');
  await page.waitForTimeout(400); // the sheet slides in
  await shot(page, 'till-phone-cart');
  await page.click('#cart-close');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1180, height: 820 });
  await shot(page, 'till-dark-grid');
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(pageErrors, [], 'no script errors in the page');
});
