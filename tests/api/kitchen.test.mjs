// The kitchen: GET /api/kitchen/orders (a paged list like every list of
// API.md), the status rules of POST /api/kitchen/orders/{id}/status, and the
// phone page's columns when a kitchen never taps "Served".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, assertError, assertStatus, createUser, login, pageLogin, page,
} from '../lib/tenancy.mjs';
import { newShop, buildCatalogue, line, orderBody, at } from '../lib/orders.mjs';

async function cookOf(shop) {
  const cook = await createUser(shop.token, { role: 'cook' });
  const r = await login(cook.email, cook.password);
  assertStatus(r, 200, 'the cook signs in');
  return { ...cook, token: r.json.access_token };
}

// n orders in one push, a second apart, the oldest first; returns their bodies.
async function sell(shop, cat, n, { from = -n * 1000 - 60e3 } = {}) {
  const bodies = Array.from({ length: n }, (_, i) => orderBody({ created_at: at(from + i * 1000), lines: [line(cat.croissant)] }));
  for (let i = 0; i < n; i += 500) {
    const r = await call(shop.deviceToken, 'POST', '/api/sync/push', { orders: bodies.slice(i, i + 500) });
    assertStatus(r, 200, 'push');
    assert.ok(r.json.results.every((x) => x.status === 'created'), JSON.stringify(r.json.results.find((x) => x.status !== 'created')));
  }
  return bodies;
}

test('GET /api/kitchen/orders: open tickets oldest first, paged by limit and cursor; served and cancelled ones leave', async () => {
  const shop = await newShop();
  const cat = await buildCatalogue(shop.token);
  const cook = await cookOf(shop);
  const o = await sell(shop, cat, 5);
  assertStatus(await call(cook.token, 'POST', `/api/kitchen/orders/${o[1].id}/status`, { status: 'served' }), 200, 'served');
  assertStatus(await call(shop.token, 'POST', `/api/orders/${o[3].id}/cancel`, { reason: 'test' }), 200, 'cancel');
  assertStatus(await call(cook.token, 'POST', `/api/kitchen/orders/${o[4].id}/status`, { status: 'ready' }), 200, 'ready');

  const first = await call(cook.token, 'GET', '/api/kitchen/orders?limit=2');
  assertStatus(first, 200);
  assert.deepEqual(first.json.items.map((x) => x.id), [o[0].id, o[2].id], 'the oldest two open tickets');
  assert.equal(typeof first.json.next_cursor, 'string');
  // a ticket of the first page served meanwhile shifts nothing out of sight
  assertStatus(await call(cook.token, 'POST', `/api/kitchen/orders/${o[0].id}/status`, { status: 'served' }), 200, 'served meanwhile');
  const rest = await call(cook.token, 'GET', `/api/kitchen/orders?limit=2&cursor=${encodeURIComponent(first.json.next_cursor)}`);
  assertStatus(rest, 200);
  assert.deepEqual(rest.json.items.map((x) => x.id), [o[4].id]);
  assert.equal(rest.json.next_cursor, null);
  const t = rest.json.items[0];
  assert.equal(t.kitchen_status, 'ready');
  assert.equal(t.lines[0].name, cat.croissant.name);
  assert.equal(t.payments, undefined, 'the kitchen sees no payments');

  const all = await call(cook.token, 'GET', '/api/kitchen/orders');
  assert.deepEqual(all.json.items.map((x) => x.id), [o[2].id, o[4].id], 'default limit: all that are open');
  assert.equal(all.json.next_cursor, null);
  for (const q of ['limit=0', 'limit=501', 'limit=x']) {
    assertError(await call(cook.token, 'GET', `/api/kitchen/orders?${q}`), 400, 'validation_failed', 'limit');
  }
  assertError(await call(cook.token, 'GET', '/api/kitchen/orders?cursor=-1'), 400, 'validation_failed', 'cursor');
  assertError(await call(cook.token, 'GET', '/api/kitchen/orders?cursor=00000000-0000-4000-8000-000000000000'), 400, 'validation_failed', 'cursor');
});

test('GET /api/kitchen/orders answers every open ticket of a busy kitchen at once, 500 a page unless asked for fewer', async () => {
  const shop = await newShop();
  const cat = await buildCatalogue(shop.token);
  const cook = await cookOf(shop);
  const o = await sell(shop, cat, 60);
  const all = await call(cook.token, 'GET', '/api/kitchen/orders');
  assertStatus(all, 200);
  assert.equal(all.json.items.length, 60, 'more than the usual 50');
  assert.equal(all.json.items[59].id, o[59].id, 'the newest last');
  assert.equal(all.json.next_cursor, null);
  const some = await call(cook.token, 'GET', '/api/kitchen/orders?limit=50');
  assert.equal(some.json.items.length, 50);
  assert.equal(some.json.next_cursor, o[49].id);
});

test('kitchen status: a cook moves forward only, a manager may step back, other values are 400', async () => {
  const shop = await newShop();
  const cat = await buildCatalogue(shop.token);
  const cook = await cookOf(shop);
  const [o] = await sell(shop, cat, 1);
  const url = `/api/kitchen/orders/${o.id}/status`;
  const r = await call(cook.token, 'POST', url, { status: 'cooking' });
  assertStatus(r, 200);
  assert.equal(r.json.kitchen_status, 'cooking');
  assertError(await call(cook.token, 'POST', url, { status: 'new' }), 400, 'validation_failed', 'status');
  assertError(await call(cook.token, 'POST', url, { status: 'cooking' }), 400, 'validation_failed', 'status');
  assertError(await call(cook.token, 'POST', url, { status: 'burnt' }), 400, 'validation_failed', 'status');
  assertError(await call(cook.token, 'POST', url, {}), 400, 'validation_failed', 'status');
  assertStatus(await call(cook.token, 'POST', url, { status: 'ready' }), 200);
  const back = await call(shop.token, 'POST', url, { status: 'cooking' });
  assertStatus(back, 200, 'the owner steps back');
  assert.equal(back.json.kitchen_status, 'cooking');
  assertError(await call(cook.token, 'POST', '/api/kitchen/orders/00000000-0000-4000-8000-000000000000/status', { status: 'ready' }), 404, 'not_found');
});

test('the kitchen page lists each column\'s newest 200 tickets of the last 12 hours, oldest first, and says how many it leaves out', async () => {
  const shop = await newShop();
  const cat = await buildCatalogue(shop.token);
  const cook = await cookOf(shop);
  // a ticket nobody served since yesterday
  const [stale] = await sell(shop, cat, 1, { from: -13 * 3600e3 });
  const o = await sell(shop, cat, 203);
  const newest = o[o.length - 1];
  assertStatus(await call(cook.token, 'POST', `/api/kitchen/orders/${o[0].id}/status`, { status: 'ready' }), 200);

  const cookie = await pageLogin(cook.email, cook.password);
  const r = await page(cookie, '/kitchen');
  assert.equal(r.status, 200);
  const html = await r.text();
  const col = (id) => html.match(new RegExp(`<section class="k-col" id="col-${id}"[\\s\\S]*?</section>`))[0];
  const ids = (h) => [...h.matchAll(/<li class="ticket[^"]*" id="t-([0-9a-f-]{36})"/g)].map((m) => m[1]);
  const open = ids(col('open'));
  assert.equal(open.length, 200, 'the open column is bounded');
  assert.deepEqual(open, o.slice(3).map((x) => x.id), 'the newest 200 of the 202 open, oldest first');
  assert.ok(open.includes(newest.id), 'the newest sale is on the page');
  assert.ok(!open.includes(stale.id), 'yesterday\'s ticket is left out');
  assert.match(col('open'), /<p class="k-more" data-more="open">[^<]*\b3\b/, 'three older tickets left out (two beyond 200, one beyond 12 h), and said so');
  assert.deepEqual(ids(col('ready')), [o[0].id], 'the ready column has its own room');
  assert.match(col('ready'), /<p class="k-more" data-more="ready" hidden>/);
});
