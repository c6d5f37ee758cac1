// The manager's Orders and Settings pages in headless Chromium, as an owner
// of a fresh shop sees them: sign-in with 2FA through /login and /login/2fa →
// three sales made through the API by the shop's till → the orders list and
// its filters (payment method; pagination keeps the filters) → one order
// (lines, modifiers, discount, payments, the card as "•••• 4242") → a refund
// with a reason (the API agrees) → the sync conflicts page → the settings
// form (an unknown time zone is marked and the other values kept; a good
// save is audited) → forms without _csrf are refused → a phone-sized screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shot } from '../lib/browser.mjs';
import { BASE } from '../lib/stack.mjs';
import { call, assertStatus, nextTotp, psql, sqlLiteral } from '../lib/tenancy.mjs';
import { newShop, buildCatalogue, line, orderBody, subtotal, at } from '../lib/orders.mjs';

let ctx;
let page;
const consoleErrors = [];
const S = {};

before(async () => {
  S.shop = await newShop();
  S.cat = await buildCatalogue(S.shop.token);
  ctx = await launch(); // ru-RU
  page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});
after(async () => { await ctx?.close(); });

// Submits the form holding `selector` with its submit button; returns the
// main response of the navigation.
async function submitFormOf(selector, p = page) {
  const form = p.locator('form').filter({ has: p.locator(selector) }).first();
  const [resp] = await Promise.all([
    p.waitForNavigation({ waitUntil: 'load' }),
    form.locator('button[type="submit"]').first().click(),
  ]);
  return resp;
}

const nbsp = (s) => s.replace(/[\u00a0\u202f]/g, ' ').replace(/\s+/g, ' ').trim();
const rows = () => page.locator('#orders-table tbody tr');
const noOverflow = (p) => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test('the owner signs in through /login and /login/2fa', async () => {
  await page.goto(BASE + '/login?next=/dashboard/orders', { waitUntil: 'load' });
  await page.fill('[name="email"]', S.shop.email);
  await page.fill('[name="password"]', S.shop.password);
  await submitFormOf('[name="password"]');
  assert.equal(new URL(page.url()).pathname, '/login/2fa');
  const { code } = await nextTotp(S.shop.email);
  await page.fill('[name="code"]', code);
  await submitFormOf('[name="code"]');
  assert.equal(new URL(page.url()).pathname, '/dashboard/orders', `signed in: ${page.url()}`);
  S.signedIn = true;
});

test('three sales by the till are listed with time, till, cashier, total, payments and status', async () => {
  assert.ok(S.signedIn, 'needs the signed-in owner');
  const { latte, croissant, M, S: small, shot: extraShot } = S.cat;
  // A: two lattes (M + shot) with a note, cash with change
  const aLines = [{ ...line(latte, 2, [M, extraShot]), note: 'no sugar <b>please</b>' }];
  const aTotal = subtotal(aLines);
  S.a = orderBody({ lines: aLines, payments: [{ method: 'cash', currency: 'AZN', amount: aTotal, tendered: aTotal + 500 }] });
  // B: croissants with a discount, paid by card
  const bLines = [line(croissant, 3)];
  S.b = orderBody({ lines: bLines, discount: 50, payments: [{ method: 'card', currency: 'AZN', amount: subtotal(bLines) - 50, card_last4: '4242' }] });
  // C: a small latte split between QR and cash
  const cLines = [line(latte, 1, [small])];
  S.c = orderBody({ lines: cLines, payments: [{ method: 'qr', currency: 'AZN', amount: 200 }, { method: 'cash', currency: 'AZN', amount: subtotal(cLines) - 200 }] });
  S.numbers = {};
  for (const [k, body] of Object.entries({ a: S.a, b: S.b, c: S.c })) {
    const r = await call(S.shop.cashierToken, 'POST', '/api/orders', body);
    assertStatus(r, 201, `sale ${k}`);
    S.numbers[k] = r.json.number;
  }

  const res = await page.goto(BASE + '/dashboard/orders', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.equal(await rows().count(), 3, 'three orders');
  // newest first: C, B, A
  const rowA = page.locator(`tr[data-order-id="${S.a.id}"]`);
  const text = nbsp(await rowA.innerText());
  assert.match(text, new RegExp(`#${S.numbers.a}\\b`));
  assert.match(text, /POS-01/, 'the till');
  assert.ok(text.includes(S.shop.cashier.email), `the cashier: ${text}`);
  assert.ok(text.includes('13,00 AZN'), `total 2 × (500 + 50 + 100) = 13,00 AZN: ${text}`);
  assert.match(text, /Наличные/);
  assert.match(text, /Оплачен/);
  assert.match(text, /Новый/, 'kitchen status');
  assert.match(nbsp(await page.locator(`tr[data-order-id="${S.c.id}"]`).innerText()), /QR-код.*Наличные|Наличные.*QR-код/, 'both methods of a split payment');
  // the sale time is the store's (Asia/Baku, UTC+4)
  const want = new Date(Date.parse(S.a.created_at) + 4 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  assert.ok(text.includes(want), `sale time ${want} in the store's time zone: ${text}`);
  assert.ok(await page.locator('a.nav-link[href="/dashboard/settings"]').count() >= 1, 'the layout sidebar');
  await shot(page, 'orders-list');
});

test('filters: payment method, status, dates; pagination keeps the filters', async () => {
  assert.ok(S.numbers, 'needs the sales');
  await page.goto(BASE + '/dashboard/orders', { waitUntil: 'load' });
  await page.selectOption('#f-method', 'card');
  await submitFormOf('#f-method');
  const u = new URL(page.url());
  assert.equal(u.searchParams.get('method'), 'card');
  assert.equal(await rows().count(), 1, 'only the card sale');
  assert.equal(await rows().first().getAttribute('data-order-id'), S.b.id);
  assert.equal(await page.$eval('#f-method', (s) => s.value), 'card', 'the filter stays selected');

  // a day with no sales in the store's time zone, and a reversed period
  await page.goto(BASE + '/dashboard/orders?from=2020-01-01&to=2020-01-02', { waitUntil: 'load' });
  assert.equal(await rows().count(), 0);
  const bad = await page.goto(BASE + '/dashboard/orders?from=2020-02-01&to=2020-01-01&method=cash', { waitUntil: 'load' });
  assert.equal(bad.status(), 400);
  assert.ok(await page.locator('#f-to-error').isVisible(), 'the error sits next to "to"');
  assert.equal(await page.$eval('#f-to', (i) => i.value), '2020-01-01', 'the value is kept');
  const bad2 = await page.goto(BASE + '/dashboard/orders?from=2020-13-45', { waitUntil: 'load' });
  assert.equal(bad2.status(), 400);
  assert.ok(await page.locator('#f-from-error').isVisible());

  // 50 more cash sales through the sync push: the cash list has two pages
  const { croissant } = S.cat;
  const orders = Array.from({ length: 50 }, (_, i) => orderBody({ lines: [line(croissant, 1)], created_at: at(-60000 - i * 1000) }));
  const push = await call(S.shop.deviceToken, 'POST', '/api/sync/push', { orders });
  assertStatus(push, 200, 'sync push');
  assert.ok(push.json.results.every((x) => x.status === 'created'), JSON.stringify(push.json.results.slice(0, 3)));
  await page.goto(BASE + '/dashboard/orders?method=cash&status=paid', { waitUntil: 'load' });
  assert.equal(await rows().count(), 50, 'fifty a page');
  assert.match(nbsp(await page.textContent('#orders-total')), /52/, '50 + A + C are cash sales');
  const next = page.locator('.pagination a[rel="next"]');
  const href = await next.getAttribute('href');
  const nu = new URL(href, BASE);
  assert.equal(nu.searchParams.get('method'), 'cash', `next page keeps the method: ${href}`);
  assert.equal(nu.searchParams.get('status'), 'paid', `next page keeps the status: ${href}`);
  assert.equal(nu.searchParams.get('page'), '2');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), next.click()]);
  assert.equal(await rows().count(), 2, 'the second page holds the rest');
  assert.equal(await page.$eval('#f-method', (s) => s.value), 'cash');
  assert.ok(await page.locator('.pagination [aria-current="page"]').filter({ hasText: '2' }).count() === 1);
  // the till sold those without a cashier: "—", and the card filter is still one order
  await page.goto(BASE + '/dashboard/orders?method=card', { waitUntil: 'load' });
  assert.equal(await rows().count(), 1);
});

test('one order: lines with modifiers and notes, discount, payments, the card as •••• 4242', async () => {
  assert.ok(S.numbers, 'needs the sales');
  await page.goto(BASE + '/dashboard/orders?method=card', { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`tr[data-order-id="${S.b.id}"] a.order-link`)]);
  assert.equal(new URL(page.url()).pathname, `/dashboard/orders/${S.b.id}`);
  const main = nbsp(await page.textContent('main'));
  assert.ok(main.includes('•••• 4242'), 'the card fragment, opened');
  assert.ok(!/[A-Za-z0-9+/_-]{30,}/.test(await page.textContent('#order-payments')), 'no sealed value on the page');
  assert.equal(nbsp(await page.textContent('#order-discount')), '−0,50 AZN');
  assert.equal(nbsp(await page.textContent('#order-total')), '10,00 AZN');

  const res = await page.goto(BASE + `/dashboard/orders/${S.a.id}`, { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  const lines = nbsp(await page.textContent('#order-lines'));
  for (const want of ['Latte', 'M', 'Shot', '+0,50 AZN', '+1,00 AZN', '6,50 AZN', '13,00 AZN']) {
    assert.ok(lines.includes(want), `${want} in ${lines}`);
  }
  // the note is text, never markup
  assert.ok(lines.includes('no sugar <b>please</b>'), 'the note, escaped');
  assert.equal(await page.locator('#order-lines b').count(), 0);
  const pays = nbsp(await page.textContent('#order-payments'));
  assert.ok(pays.includes('18,00 AZN') && pays.includes('5,00 AZN'), `tendered and change: ${pays}`);
  assert.ok(await page.locator('#refund-form').isVisible() && await page.locator('#cancel-form').isVisible());
  await shot(page, 'order-detail');

  const missing = await page.goto(BASE + '/dashboard/orders/00000000-0000-4000-8000-000000000000', { waitUntil: 'load' });
  assert.equal(missing.status(), 404);
});

test('a refund needs a reason; with one the order is refunded, and the API agrees', async () => {
  assert.ok(S.numbers, 'needs the sales');
  await page.goto(BASE + `/dashboard/orders/${S.a.id}`, { waitUntil: 'load' });
  const empty = await submitFormOf('#refund-reason');
  assert.equal(empty.status(), 400);
  assert.ok(await page.locator('#refund-reason-error').isVisible(), 'the error next to the reason');
  assert.equal(await page.getAttribute('#refund-reason', 'aria-invalid'), 'true');

  await page.fill('#refund-reason', 'Customer changed their mind');
  await submitFormOf('#refund-reason');
  const u = new URL(page.url());
  assert.equal(u.pathname, `/dashboard/orders/${S.a.id}`, 'PRG back to the order');
  assert.equal(u.searchParams.get('done'), 'refunded');
  assert.equal(await page.getAttribute('#order-status', 'data-status'), 'refunded');
  assert.equal(nbsp(await page.textContent('#order-reason')), 'Customer changed their mind');
  assert.equal(await page.locator('#refund-form').count(), 0, 'no refund form on a refunded order');

  const api = await call(S.shop.token, 'GET', `/api/orders/${S.a.id}`);
  assertStatus(api, 200);
  assert.equal(api.json.status, 'refunded');
  assert.equal(api.json.status_reason, 'Customer changed their mind');
  const audit = psql(`SELECT count(*) FROM audit_log WHERE tenant_id = ${sqlLiteral(S.shop.tenant.id)}
    AND action = 'order_refunded' AND object_id = ${sqlLiteral(S.a.id)}`, { user: 'postgres' });
  assert.equal(audit, '1', 'audited once');

  // posted again (an old tab): 409 with a message, nothing changes
  const csrf = await page.getAttribute('input[name="_csrf"]', 'value');
  const again = await page.request.post(BASE + `/dashboard/orders/${S.a.id}/cancel`, { form: { _csrf: csrf, reason: 'again' }, maxRedirects: 0 });
  assert.equal(again.status(), 409);
  assert.match(await again.text(), /id="order-conflict"/);
  const still = await call(S.shop.token, 'GET', `/api/orders/${S.a.id}`);
  assert.equal(still.json.status, 'refunded');
  await page.goto(BASE + '/dashboard/orders?status=refunded', { waitUntil: 'load' });
  assert.equal(await rows().count(), 1);
});

test('sync conflicts: the lost kitchen status is listed with a link to its order', async () => {
  assert.ok(S.numbers, 'needs the sales');
  // the kitchen moved order C on the server; the till's older change loses
  const k = await call(S.shop.token, 'POST', `/api/kitchen/orders/${S.c.id}/status`, { status: 'cooking' });
  assertStatus(k, 200, 'kitchen status on the server');
  const push = await call(S.shop.deviceToken, 'POST', '/api/sync/push', {
    orders: [], changes: [{ entity: 'kitchen_status', id: S.c.id, value: 'ready', updated_at: at(-3600e3) }],
  });
  assertStatus(push, 200);
  assert.equal(push.json.conflicts.length, 1, JSON.stringify(push.json));
  const res = await page.goto(BASE + '/dashboard/conflicts', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  const row = page.locator('#conflicts-table tbody tr').first();
  const text = nbsp(await row.innerText());
  assert.equal(nbsp(await row.locator('.badge-ok').innerText()), 'Готовится', `kept: cooking (the server's) — ${text}`);
  assert.equal(nbsp(await row.locator('.badge-danger').innerText()), 'Готов', `lost: ready (the till's) — ${text}`);
  assert.match(text, /POS-01/);
  assert.equal(await row.locator(`a[href="/dashboard/orders/${S.c.id}"]`).count(), 1, 'links to the order');
  await shot(page, 'sync-conflicts');
});

test('settings: an unknown time zone is marked and the other values kept; a good save is audited', async () => {
  assert.ok(S.signedIn, 'needs the signed-in owner');
  const res = await page.goto(BASE + '/dashboard/settings', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.equal(await page.$eval('#time_zone', (s) => s.value), 'Asia/Baku');
  const first = await page.$$eval('#time_zone option', (os) => os.slice(0, 5).map((o) => o.value));
  assert.deepEqual(first, ['Asia/Baku', 'Asia/Almaty', 'Asia/Tashkent', 'Asia/Aqtobe', 'Europe/Moscow']);
  assert.ok(await page.$$eval('#time_zone option', (os) => os.length) > 300, 'then every zone');
  assert.equal(await page.locator('a[href="/dashboard/users"]').filter({ hasText: /\S/ }).count() >= 1, true);
  assert.equal(await page.locator('#link-devices').count(), 1);

  await page.fill('#name', 'Café "Ümid" <Nərimanov>');
  await page.selectOption('#language', 'az');
  await page.selectOption('#base_currency', 'USD');
  await page.evaluate(() => {
    const s = document.querySelector('#time_zone');
    s.add(new Option('Mars/Olympus_Mons', 'Mars/Olympus_Mons'));
    s.value = 'Mars/Olympus_Mons';
  });
  const bad = await submitFormOf('#time_zone');
  assert.equal(bad.status(), 400);
  assert.ok(await page.locator('#time_zone-error').isVisible(), 'the error next to the time zone');
  assert.equal(await page.$eval('#name', (i) => i.value), 'Café "Ümid" <Nərimanov>', 'name kept');
  assert.equal(await page.$eval('#language', (s) => s.value), 'az', 'language kept');
  assert.equal(await page.$eval('#base_currency', (s) => s.value), 'USD', 'currency kept');
  assert.equal(await page.$eval('#time_zone', (s) => s.value), 'Mars/Olympus_Mons', 'the bad value is shown');
  assert.equal(await page.locator('#name-error').count(), 0, 'only the bad field is marked');
  await shot(page, 'settings-error');
  const store = await call(S.shop.token, 'GET', '/api/store');
  assert.equal(store.json.time_zone, 'Asia/Baku', 'nothing saved');
  assert.equal(store.json.name, 'Main store');

  await page.selectOption('#time_zone', 'Asia/Tashkent');
  await submitFormOf('#time_zone');
  assert.equal(new URL(page.url()).searchParams.get('done'), 'saved');
  assert.ok(await page.locator('#settings-done').isVisible());
  const saved = await call(S.shop.token, 'GET', '/api/store');
  assert.equal(saved.json.time_zone, 'Asia/Tashkent');
  assert.equal(saved.json.name, 'Café "Ümid" <Nərimanov>');
  assert.equal(saved.json.language, 'az');
  assert.equal(saved.json.base_currency, 'USD');
  const audit = psql(`SELECT detail->>'time_zone' FROM audit_log WHERE tenant_id = ${sqlLiteral(S.shop.tenant.id)}
    AND action = 'store_updated' ORDER BY id DESC LIMIT 1`, { user: 'postgres' });
  assert.equal(audit, 'Asia/Tashkent', 'audited like PATCH /api/store');
  // order times now follow the new zone (UTC+5)
  await page.goto(BASE + `/dashboard/orders/${S.b.id}`, { waitUntil: 'load' });
  const want = new Date(Date.parse(S.b.created_at) + 5 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  assert.ok((await page.textContent('.lead')).includes(want), `sale time in Asia/Tashkent: ${want}`);
});

test('forms without a valid _csrf are refused (403) and change nothing', async () => {
  assert.ok(S.signedIn, 'needs the signed-in owner');
  const s = await page.request.post(BASE + '/dashboard/settings', {
    form: { name: 'Hijacked', time_zone: 'UTC', language: 'en', base_currency: 'EUR' }, maxRedirects: 0,
  });
  assert.equal(s.status(), 403);
  const r = await page.request.post(BASE + `/dashboard/orders/${S.b.id}/refund`, { form: { reason: 'forged' }, maxRedirects: 0 });
  assert.equal(r.status(), 403);
  const f = await page.request.post(BASE + `/dashboard/orders/${S.b.id}/cancel`, { form: { reason: 'forged', _csrf: 'forged-token-0000000000000000' }, maxRedirects: 0 });
  assert.equal(f.status(), 403);
  assert.equal((await call(S.shop.token, 'GET', '/api/store')).json.name, 'Café "Ümid" <Nərimanov>');
  assert.equal((await call(S.shop.token, 'GET', `/api/orders/${S.b.id}`)).json.status, 'paid');
});

test('a phone-sized screen: every page fits without sideways scrolling', async () => {
  assert.ok(S.signedIn, 'needs the signed-in owner');
  const phone = await ctx.newPage();
  phone.on('pageerror', (e) => consoleErrors.push(String(e)));
  await phone.setViewportSize({ width: 390, height: 844 });
  for (const [path, name] of [
    ['/dashboard/orders', 'orders-list-phone'], [`/dashboard/orders/${S.a.id}`, 'order-detail-phone'],
    ['/dashboard/conflicts', null], ['/dashboard/settings', null],
  ]) {
    const res = await phone.goto(BASE + path, { waitUntil: 'load' });
    assert.equal(res.status(), 200, path);
    const overflow = await noOverflow(phone);
    assert.ok(overflow <= 1, `${path}: horizontal overflow ${overflow}px`);
    if (name) await shot(phone, name);
  }
  await phone.close();
});

test('no console errors or CSP violations on these pages', () => {
  // a form answered with a 4xx is logged by Chromium as a failed resource; that is not a page error
  assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
});
