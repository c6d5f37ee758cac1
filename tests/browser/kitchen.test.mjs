// The kitchen's live phone view (/kitchen) in headless Chromium at 390 × 844,
// against a fresh shop that sells (till device + cashier PIN token) and a
// cook made by the owner through POST /api/users:
// the cook signs in through /login (email + password, no 2FA) and lands on
// /kitchen → an order sold through the API appears within 2 s without a
// reload, with its lines, modifiers and notes → timers turn amber after
// 10 min and red after 20 → "Cooking", then "Ready" (the till's
// GET /api/orders/{id} shows ready) → "Served" removes it → a change made on
// another screen moves the card → coming back online / waking up reloads
// the tickets → without the stream it polls every 5 s.  Then the page without JavaScript (plain forms), CSRF,
// roles, another tenant's order, and screenshots (phone and tablet, light
// and dark) into ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch, shot } from '../lib/browser.mjs';
import { ARTIFACTS, BASE, until } from '../lib/stack.mjs';
import { api, call, createUser, assertStatus } from '../lib/tenancy.mjs';
import { newShop, buildCatalogue, line, orderBody, postOrder, at } from '../lib/orders.mjs';
import { formatElapsed, levelOf } from '../../static/kitchen/kitchen.js';

const PHONE = { width: 390, height: 844 };
const TABLET = { width: 1024, height: 768 };
const LIVE_MS = 2000;       // SPEC §5: new orders within 2 s
const SAFETY_MS = 30000;    // the script's reload even while the stream is open
const EVENTUALLY = SAFETY_MS + 10000; // however the page learns of it (checked every 5 s)
const NO_EVENT_HINT = 'the event stream is open but carried no event: are order and kitchen changes '
  + "NOTIFYing pos_events (the orders triggers' migration)?";

let shop;
let cat;
let cook;
let ctx;
let page;
let eventsLive = false;     // did the page's event stream open?
let firstTicketMs = null;   // sale → ticket on screen
const consoleErrors = [];
const sold = [];

// One sale through the API, as the till sends it.
async function sell({ ago = 1000, note, lineNote } = {}) {
  const latte = { ...line(cat.latte, 2, [cat.M, cat.shot]), ...(lineNote ? { note: lineNote } : {}) };
  const body = orderBody({ lines: [latte, line(cat.croissant, 1)], created_at: at(-ago), ...(note ? { note } : {}) });
  const r = await postOrder(shop.cashierToken, body);
  sold.push(r.json);
  return r.json;
}

const kitchenStatus = async (id) => {
  const r = await call(shop.cashierToken, 'GET', `/api/orders/${id}`);
  assertStatus(r, 200, `GET /api/orders/${id} as the till`);
  return r.json.kitchen_status;
};

// A page session over plain HTTP (what a browser without JavaScript does):
// the CSRF cookie from /login, then the form.  Returns { cookie, csrf, location }.
async function pageLogin(email, password) {
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const g = await fetch(`${BASE}/login`, { redirect: 'manual' });
  keep(g);
  const p = await fetch(`${BASE}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: jar.get('pos_csrf'), email, password }),
  });
  keep(p);
  // signing in may start a new CSRF cookie: the one the next form needs
  if (!jar.has('pos_csrf')) keep(await fetch(`${BASE}/login`, { headers: { cookie: cookie() }, redirect: 'manual' }));
  return { cookie: cookie(), csrf: jar.get('pos_csrf'), status: p.status, location: p.headers.get('location') };
}

function form(session, url, fields, headers = {}) {
  return fetch(BASE + url, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
}

before(async () => {
  shop = await newShop();
  cat = await buildCatalogue(shop.token);
  cook = await createUser(shop.token, { role: 'cook' });
  ctx = await launch();
  page = await ctx.newPage();
  await page.setViewportSize(PHONE);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});
after(async () => { await ctx?.close(); });

test('timer rules of the script: m:ss, h:mm:ss; amber from 10 min, red from 20, none when ready', () => {
  assert.equal(formatElapsed(0), '0:00');
  assert.equal(formatElapsed(59.9), '0:59');
  assert.equal(formatElapsed(61), '1:01');
  assert.equal(formatElapsed(3725), '1:02:05');
  assert.equal(formatElapsed(-5), '0:00');
  assert.equal(levelOf('new', 599), 'ok');
  assert.equal(levelOf('new', 600), 'warn');
  assert.equal(levelOf('cooking', 1199), 'warn');
  assert.equal(levelOf('cooking', 1200), 'late');
  assert.equal(levelOf('ready', 5000), 'ok');
});

test('a cook signs in with email and password (no 2FA) and lands on /kitchen', async (t) => {
  await page.goto(`${BASE}/login`, { waitUntil: 'load' });
  await page.fill('#email', cook.email);
  await page.fill('#password', cook.password);
  await Promise.all([
    page.waitForURL(`${BASE}/kitchen`),
    page.click('form[action="/login"] button[type="submit"]'),
  ]);
  assert.equal(new URL(page.url()).pathname, '/kitchen');
  assert.match(await page.textContent('.k-title h1'), /Main store/);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  assert.ok(await page.isVisible('[data-empty="open"]'), 'the empty state shows');
  assert.ok(await page.$('script[type="module"][src^="/static/kitchen/kitchen.js"]'), 'the module is loaded');
  assert.equal(await page.$$eval('script:not([src])', (s) => s.length), 0, 'no inline scripts');
  assert.equal((await page.getAttribute('meta[name="csrf"]', 'content'))?.length, 43);
  // the script took over: the stream opened (live) or failed over to polling
  await page.waitForFunction(() => ['live', 'polling'].includes(document.getElementById('conn').dataset.state),
    null, { timeout: 5000 });
  eventsLive = (await page.getAttribute('#conn', 'data-state')) === 'live';
  const probe = await fetch(`${BASE}/api/events`, { method: 'HEAD' }).catch(() => null);
  t.diagnostic(`event stream: ${eventsLive ? 'live' : `not available (HEAD /api/events ${probe?.status})`}`);
});

test('an order sold through the API appears on the page without a reload', async () => {
  let navigations = 0;
  const onNav = (f) => { if (f === page.mainFrame()) navigations++; };
  page.on('framenavigated', onNav);
  const t0 = Date.now();
  const o = await sell({ note: 'Table 4, to go', lineNote: 'no sugar, extra hot' });
  const card = `#t-${o.id}`;
  await page.waitForSelector(card, { timeout: EVENTUALLY });
  firstTicketMs = Date.now() - t0;
  page.off('framenavigated', onNav);
  assert.equal(navigations, 0, 'the page was not reloaded');
  const c = await page.$(card);
  assert.equal(await c.getAttribute('data-status'), 'new');
  assert.equal((await c.$eval('.ticket-no', (e) => e.textContent)).replace(/\D/g, ''), String(o.number));
  const lines = await c.$$eval('.line', (ls) => ls.map((l) => ({
    qty: l.querySelector('.line-qty').textContent.trim(),
    name: l.querySelector('.line-name').textContent.trim(),
    mods: [...l.querySelectorAll('.mod')].map((m) => m.textContent.trim()),
    note: l.querySelector('.line-note')?.textContent.trim() ?? '',
  })));
  assert.deepEqual(lines.map((l) => [l.qty, l.name, l.mods]), [['2 ×', 'Latte', ['M', 'Shot']], ['1 ×', 'Croissant', []]]);
  assert.match(lines[0].note, /no sugar, extra hot/);
  assert.equal(lines[1].note, '');
  assert.match(await c.$eval('.ticket-note', (e) => e.textContent), /Table 4, to go/);
  const elapsed = await c.$eval('.ticket-elapsed', (e) => e.textContent);
  assert.match(elapsed, firstTicketMs < 9000 ? /^0:0\d$/ : /^0:\d\d$/, 'the timer starts at the sale');
  // only the steps that make sense show: Cooking and Ready, not Served
  assert.deepEqual(await c.$$eval('.act', (bs) => bs.filter((b) => b.offsetParent).map((b) => b.value)), ['cooking', 'ready']);
  assert.equal(await page.textContent('#tab-open .k-count'), '1');
  assert.ok(await page.isHidden('[data-empty="open"]'), 'the empty state went away');
});

test('...within 2 s of the sale (SPEC §5; needs the live stream GET /api/events)', (t) => {
  assert.ok(firstTicketMs !== null, 'the ticket appeared');
  if (!eventsLive) {
    // Without the stream the script polls every 5 s: the ticket came, but
    // the 2 s promise is the stream's (the lead's part).
    t.diagnostic(`PENDING (lead): /api/events not available; the ticket came by polling after ${firstTicketMs} ms`);
    t.todo('needs GET /api/events');
  }
  assert.ok(firstTicketMs <= LIVE_MS, `the ticket took ${firstTicketMs} ms (limit ${LIVE_MS} ms)`
    + (eventsLive && firstTicketMs > SAFETY_MS / 2 ? `: ${NO_EVENT_HINT}` : ''));
});

test('timers count every second: amber after 10 min, red after 20; oldest first', async () => {
  const amber = await sell({ ago: 11 * 60e3 });
  const red = await sell({ ago: 21 * 60e3 });
  await page.waitForSelector(`#t-${amber.id}`, { timeout: EVENTUALLY });
  await page.waitForSelector(`#t-${red.id}`, { timeout: EVENTUALLY });
  assert.match(await page.getAttribute(`#t-${amber.id}`, 'class'), /\blvl-warn\b/);
  assert.match(await page.getAttribute(`#t-${red.id}`, 'class'), /\blvl-late\b/);
  const order = await page.$$eval('#list-open .ticket', (ls) => ls.map((l) => l.dataset.id));
  assert.deepEqual(order.slice(0, 2), [red.id, amber.id], 'oldest first');
  const first = await page.textContent(`#t-${amber.id} .ticket-elapsed`);
  assert.match(first, /^11:\d\d$/);
  await page.waitForTimeout(2100); // the display ticks once a second
  assert.notEqual(await page.textContent(`#t-${amber.id} .ticket-elapsed`), first, 'the timer moves');
  // a fresh ticket turns amber by itself once it is 10 minutes old (its
  // birth moved back on the page's clock)
  const fresh = sold[0];
  await page.$eval(`#t-${fresh.id}`, (li) => { li.dataset.born = String(Date.now() - 601e3); });
  await page.waitForFunction((id) => document.getElementById(`t-${id}`).classList.contains('lvl-warn'), fresh.id, { timeout: 2000 });
  await page.$eval(`#t-${fresh.id}`, (li) => { li.dataset.born = String(Date.now() - 1201e3); });
  await page.waitForFunction((id) => document.getElementById(`t-${id}`).classList.contains('lvl-late'), fresh.id, { timeout: 2000 });
  await shot(page, 'kitchen-phone');
});

test('"Cooking", then "Ready": the till sees ready; "Served" takes the ticket away', async () => {
  const o = sold[0];
  const card = `#t-${o.id}`;
  await page.click(`${card} .act-cooking`);
  await page.waitForSelector(`${card}[data-status="cooking"]`, { timeout: 3000 });
  assert.equal(await kitchenStatus(o.id), 'cooking');
  assert.deepEqual(await page.$$eval(`${card} .act`, (bs) => bs.filter((b) => b.offsetParent).map((b) => b.value)), ['ready']);

  await page.click(`${card} .act-ready`);
  await page.waitForSelector(`#list-ready ${card}[data-status="ready"]`, { state: 'attached', timeout: 3000 });
  assert.equal(await kitchenStatus(o.id), 'ready', 'GET /api/orders/{id} as the till shows ready');
  // on the phone the ready ticket is under the second tab
  assert.ok(await page.isHidden(card), 'not on the open tab any more');
  assert.equal(await page.textContent('#tab-ready .k-count'), '1');
  await page.click('#tab-ready');
  assert.ok(await page.isVisible(card), 'on the Ready tab');
  assert.ok(!/\blvl-(warn|late)\b/.test(await page.getAttribute(card, 'class')), 'a ready ticket is not late');
  await shot(page, 'kitchen-phone-ready');

  await page.click(`${card} .act-served`);
  await page.waitForSelector(card, { state: 'detached', timeout: 3000 });
  assert.equal(await kitchenStatus(o.id), 'served');
  assert.ok(await page.isVisible('[data-empty="ready"]'));
  await page.click('#tab-open');
  // and it stays away after a full reload
  await page.reload({ waitUntil: 'load' });
  assert.equal(await page.$(card), null);
});

test('a change made on another screen moves the card without a reload', async () => {
  const o = sold[1];
  const login = await api('POST', '/api/auth/login', { body: { email: cook.email, password: cook.password } });
  assertStatus(login, 200, 'cook API login');
  const r = await call(login.json.access_token, 'POST', `/api/kitchen/orders/${o.id}/status`, { status: 'ready' });
  assertStatus(r, 200, 'POST /api/kitchen/orders/{id}/status');
  const t0 = Date.now();
  await page.waitForSelector(`#list-ready #t-${o.id}[data-status="ready"]`, { state: 'attached', timeout: EVENTUALLY });
  const took = Date.now() - t0;
  if (eventsLive) assert.ok(took <= LIVE_MS, `moved after ${took} ms (limit ${LIVE_MS} ms): ${NO_EVENT_HINT}`);
  // a stale tap (the ticket is already ready elsewhere) is refused and redrawn
  const s = await call(login.json.access_token, 'POST', `/api/kitchen/orders/${sold[2].id}/status`, { status: 'cooking' });
  assertStatus(s, 200);
  // (from outside the page, with its session: a 400 in the page would be
  // logged as a console error)
  const cookies = await ctx.cookies(BASE);
  const session = { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') };
  const csrf = await page.getAttribute('meta[name="csrf"]', 'content');
  const stale = (await form(session, `/kitchen/orders/${sold[2].id}/status`, { _csrf: csrf, status: 'new' },
    { accept: 'application/json' })).status;
  assert.equal(stale, 400, 'a step back by a cook is refused');
});

test('back online, or awake again: the open tickets are reloaded at once', async () => {
  await ctx.setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'offline', null, { timeout: 3000 });
  const o = await sell();
  await page.waitForTimeout(300);
  await ctx.setOffline(false);
  const t0 = Date.now();
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForSelector(`#t-${o.id}`, { timeout: LIVE_MS });
  assert.ok(Date.now() - t0 <= LIVE_MS);
  await page.waitForFunction(() => document.getElementById('conn').dataset.state !== 'offline', null, { timeout: 3000 });

  // the phone wakes up: visibilitychange to visible reloads the tickets
  const fetched = [];
  const onReq = (req) => { if (req.url().includes('/kitchen?fragment=tickets')) fetched.push(Date.now()); };
  page.on('request', onReq);
  const t1 = Date.now();
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await until(() => fetched.some((x) => x >= t1), { timeout: 1500, step: 50 });
  page.off('request', onReq);
  assert.ok(fetched.some((x) => x >= t1), 'waking up fetched the tickets');
});

test('without the event stream (404): it polls every 5 s and keeps trying the stream', async () => {
  const p2 = await ctx.newPage();
  await p2.setViewportSize(PHONE);
  let tries = 0;
  await p2.route('**/api/events', (r) => {
    tries++;
    return r.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"Not found"}}' });
  });
  try {
    await p2.goto(`${BASE}/kitchen`, { waitUntil: 'load' });
    await p2.waitForFunction(() => document.getElementById('conn').dataset.state === 'polling', null, { timeout: 5000 });
    const t0 = Date.now();
    const o = await sell();
    await p2.waitForSelector(`#t-${o.id}`, { timeout: 5000 + 2000 });
    assert.ok(Date.now() - t0 <= 7000, 'polled within 5 s');
    await until(() => tries >= 2, { timeout: 6000 });
    assert.ok(tries >= 2, `the stream is tried again (${tries} tries)`);
    // the stream comes back: live again, with a reload
    await p2.unroute('**/api/events');
    if (eventsLive) {
      await p2.waitForFunction(() => document.getElementById('conn').dataset.state === 'live', null, { timeout: 20000 });
    }
  } finally {
    await p2.close();
  }
});

test('without JavaScript: the tickets are in the HTML and the plain forms work (PRG); CSRF and roles hold', async () => {
  const s = await pageLogin(cook.email, cook.password);
  assert.equal(s.status, 303);
  assert.equal(s.location, '/kitchen');
  const o = await sell({ note: 'plain form' });
  const html = await (await fetch(`${BASE}/kitchen`, { headers: { cookie: s.cookie } })).text();
  assert.ok(html.includes(`id="t-${o.id}"`), 'the new ticket is server-rendered');
  assert.match(html, /<meta http-equiv="refresh" content="15">/, 'refreshes itself without the script');
  const frag = await fetch(`${BASE}/kitchen?fragment=tickets`, { headers: { cookie: s.cookie } });
  const fragText = await frag.text();
  assert.equal(frag.status, 200);
  assert.ok(fragText.includes(`id="t-${o.id}"`) && !fragText.includes('<html'), 'the fragment is only the columns');

  const url = `/kitchen/orders/${o.id}/status`;
  let r = await form(s, url, { status: 'cooking' });
  assert.equal(r.status, 403, 'no CSRF token: refused');
  r = await form(s, url, { _csrf: s.csrf, status: 'cooking' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/kitchen');
  assert.equal(await kitchenStatus(o.id), 'cooking');
  r = await form(s, url, { _csrf: s.csrf, status: 'cooking' });
  assert.equal(r.status, 303, 'a repeated tap just shows the screen again');
  r = await form(s, url, { _csrf: s.csrf, status: 'burnt' }, { accept: 'application/json' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.field, 'status');
  r = await form(s, url, { _csrf: s.csrf, status: 'ready' }, { accept: 'application/json' });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).kitchen_status, 'ready');

  // a cashier may not use the kitchen view
  const c = await pageLogin(shop.cashier.email, shop.cashier.password);
  assert.equal(c.location, '/pos/');
  assert.equal((await fetch(`${BASE}/kitchen`, { headers: { cookie: c.cookie }, redirect: 'manual' })).status, 403);
  assert.equal((await form(c, url, { _csrf: c.csrf, status: 'served' })).status, 403);
  // signed out: to the sign-in page and back here
  const anon = await fetch(`${BASE}/kitchen`, { redirect: 'manual' });
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.get('location'), '/login?next=%2Fkitchen');

  // another shop's cook does not see, and cannot move, this shop's ticket
  const other = await newShop();
  const cook2 = await createUser(other.token, { role: 'cook' });
  const s2 = await pageLogin(cook2.email, cook2.password);
  const html2 = await (await fetch(`${BASE}/kitchen`, { headers: { cookie: s2.cookie } })).text();
  assert.ok(!html2.includes(o.id), 'not listed in another shop');
  r = await form(s2, url, { _csrf: s2.csrf, status: 'served' }, { accept: 'application/json' });
  assert.equal(r.status, 404);
  assert.equal(await kitchenStatus(o.id), 'ready');
});

test('screenshots: phone and tablet, light and dark; no horizontal scroll', async () => {
  await sell({ note: 'Birthday — candle on the croissant', lineNote: 'oat milk' });
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => document.getElementById('conn').dataset.state !== 'connecting', null, { timeout: 5000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [name, size] of [['phone', PHONE], ['tablet', TABLET]]) {
      await page.setViewportSize(size);
      await page.waitForTimeout(250); // let colour transitions finish
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name}/${scheme}: horizontal overflow ${overflow}px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `kitchen-${name}-${scheme}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(PHONE);
});

test('no page errors or CSP violations', () => {
  // While /api/events is missing, each retry of the stream logs its failed
  // request; everything else counts.
  // The offline test cuts the network on purpose.
  const real = consoleErrors.filter((m) => !/api\/events|EventSource|ERR_INTERNET_DISCONNECTED/i.test(m) &&
    !(/Failed to load resource/.test(m) && !eventsLive));
  assert.deepEqual(real, []);
});
