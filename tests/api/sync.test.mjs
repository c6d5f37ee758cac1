// Offline tills over HTTP: POST /api/sync/push (a batch of orders where each
// stands alone, safe to retry; at most 500), kitchen-status changes merged
// last-writer-wins with the losers in GET /api/sync/conflicts, and GET
// /api/sync/pull (everything, then only what changed after the cursor).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, assertError, assertStatus, RFC3339_UTC_RE, createUser, login, loginWith2fa, sqlLiteral,
} from '../lib/tenancy.mjs';
import { until } from '../lib/stack.mjs';
import {
  uuid, at, sameInstant, create, newShop, buildCatalogue, line, orderBody, postOrder, levels, sql,
  orderCount, tenantOrderCount,
} from '../lib/orders.mjs';

const A = {};
const B = {};

before(async () => {
  Object.assign(A, await newShop());
  Object.assign(B, await newShop());
  A.cat = await buildCatalogue(A.token);
  B.cat = await buildCatalogue(B.token);
  const mgr = await createUser(A.token, { role: 'manager' });
  A.managerToken = (await loginWith2fa(mgr.email, mgr.password)).access_token;
  const cu = await createUser(A.token, { role: 'cashier' });
  A.cashierUserToken = (await login(cu.email, cu.password)).json.access_token;
});

async function push(token, body, status = 200) {
  const r = await call(token, 'POST', '/api/sync/push', body);
  assertStatus(r, status, 'POST /api/sync/push');
  return r;
}

const byId = (results) => new Map(results.map((x) => [x.id, x]));

// ---------------------------------------------------------------- push
test('push: each order stands alone; a malformed one (bad field, wrong sums, unknown product) rejects only itself', async () => {
  const c = A.cat;
  const good1 = orderBody({ lines: [line(c.latte, 1, [c.M])], created_at: at(-2 * 3600_000) });
  const badField = { ...orderBody({ lines: [line(c.croissant, 1)] }), colour: 'red' };
  const badSums = orderBody({ lines: [line(c.croissant, 2)], payments: [{ method: 'cash', currency: 'AZN', amount: 600 }] });
  const unknownProduct = orderBody({ lines: [{ product_id: uuid(), qty: 1, unit_price: 100, modifiers: [] }] });
  const otherTenantsProduct = orderBody({ lines: [line(B.cat.croissant, 1)] });
  const good2 = orderBody({ lines: [line(c.croissant, 2)], created_at: at(-90 * 60_000) });
  const good3 = orderBody({ lines: [line(c.latte, 2, [c.S, c.shot])], discount: 50 });
  const batch = [good1, badField, badSums, unknownProduct, otherTenantsProduct, good2, good3];
  A.batch = batch;
  const before = tenantOrderCount(A.tenant.id);
  const r = await push(A.deviceToken, { orders: batch, changes: [] });
  assert.ok(Array.isArray(r.json.results));
  assert.ok(Array.isArray(r.json.conflicts));
  assert.deepEqual(r.json.results.map((x) => x.id), batch.map((o) => o.id), 'one result per order, in order');
  const res = byId(r.json.results);
  for (const o of [good1, good2, good3]) assert.equal(res.get(o.id).status, 'created', `good order ${o.id}`);
  for (const [o, field] of [[badField, /colour/], [badSums, /payments|discount|amount/], [unknownProduct, /product_id/], [otherTenantsProduct, /product_id/]]) {
    const x = res.get(o.id);
    assert.equal(x.status, 'rejected', `bad order: ${JSON.stringify(x)}`);
    assert.equal(x.error.code, 'validation_failed');
    assert.equal(typeof x.error.message, 'string');
    assert.match(String(x.error.field), field, JSON.stringify(x));
    assert.equal(orderCount(A.tenant.id, o.id), 0, 'nothing stored for a rejected order');
  }
  assert.equal(tenantOrderCount(A.tenant.id), before + 3);
  for (const o of [good1, good2, good3]) {
    const g = await call(A.token, 'GET', `/api/orders/${o.id}`);
    assertStatus(g, 200);
    sameInstant(g.json.created_at, o.created_at, 'the sale time is kept');
    assert.equal(g.json.device_id, A.device.id);
    assert.equal(g.json.status, 'paid');
  }
  const numbers = await Promise.all([good1, good2, good3].map(async (o) => (await call(A.token, 'GET', `/api/orders/${o.id}`)).json.number));
  assert.deepEqual(numbers, [1, 2, 3], 'numbered on receipt, in batch order');
});

test('push: a retry of the whole batch gives duplicate for the created ones and stores nothing new', async () => {
  const before = tenantOrderCount(A.tenant.id);
  const milk = await levels(A.token, [A.cat.milk.id]);
  const r = await push(A.deviceToken, { orders: A.batch });
  const res = byId(r.json.results);
  assert.equal(r.json.results.length, A.batch.length);
  const [good1, badField, badSums, unknownProduct, other, good2, good3] = A.batch;
  for (const o of [good1, good2, good3]) assert.equal(res.get(o.id).status, 'duplicate');
  for (const o of [badField, badSums, unknownProduct, other]) assert.equal(res.get(o.id).status, 'rejected');
  assert.equal(tenantOrderCount(A.tenant.id), before, 'no new orders');
  assert.deepEqual(await levels(A.token, [A.cat.milk.id]), milk, 'no stock taken twice');
  // and once more through the cashier's token, and through POST /api/orders
  const r2 = await push(A.cashierToken, { orders: [good1, good2] });
  assert.deepEqual(r2.json.results.map((x) => x.status), ['duplicate', 'duplicate']);
  const single = await postOrder(A.deviceToken, good3, 200);
  assert.equal(single.json.id, good3.id);
  assert.equal(tenantOrderCount(A.tenant.id), before);
});

test('push: the same id twice in one batch is one order; an id reused with another body is rejected as a conflict', async () => {
  const o = orderBody({ lines: [line(A.cat.croissant, 1)] });
  const r = await push(A.deviceToken, { orders: [o, o] });
  assert.deepEqual(r.json.results.map((x) => [x.id, x.status]), [[o.id, 'created'], [o.id, 'duplicate']]);
  assert.equal(orderCount(A.tenant.id, o.id), 1);
  const changed = { ...o, note: 'changed offline' };
  const fresh = orderBody({ lines: [line(A.cat.croissant, 1)] });
  const r2 = await push(A.deviceToken, { orders: [changed, fresh] });
  assert.equal(r2.json.results[0].status, 'rejected');
  assert.equal(r2.json.results[0].error.code, 'conflict');
  assert.equal(r2.json.results[1].status, 'created', 'the next order is not blocked');
  assert.equal((await call(A.token, 'GET', `/api/orders/${o.id}`)).json.note ?? null, null, 'the stored order unchanged');
});

test('push: offline sales keep their time and prices; another tenant’s ids are separate orders', async () => {
  const c = A.cat;
  const twoDaysAgo = at(-2 * 86400_000);
  const o = orderBody({ lines: [line(c.latte, 1, [], 450)], created_at: twoDaysAgo });
  assertStatus(await call(A.token, 'PATCH', `/api/products/${c.latte.id}`, { price: 520 }), 200);
  const r = await push(A.cashierToken, { orders: [o] });
  assert.equal(r.json.results[0].status, 'created');
  const g = (await call(A.token, 'GET', `/api/orders/${o.id}`)).json;
  sameInstant(g.created_at, twoDaysAgo, 'two days ago');
  assert.equal(g.lines[0].unit_price, 450, 'the price charged, not today’s 520');
  assert.equal(g.total, 450);
  assert.equal(g.cashier_id, A.cashier.id, 'the cashier token’s cashier');
  // B pushes an order under the same id
  const theirs = { ...orderBody({ lines: [line(B.cat.croissant, 3)] }), id: o.id };
  const rb = await push(B.deviceToken, { orders: [theirs] });
  assert.equal(rb.json.results[0].status, 'created');
  assert.equal((await call(A.token, 'GET', `/api/orders/${o.id}`)).json.total, 450, 'A’s order untouched');
  assert.equal((await call(B.token, 'GET', `/api/orders/${o.id}`)).json.total, 1050);
});

test('push: an order in a foreign currency is converted to the base at the day’s rate, half away from zero', async () => {
  // rates come from the money module (seed 000); set one directly
  sql(`INSERT INTO rates (tenant_id, currency, day, rate) VALUES (${sqlLiteral(A.tenant.id)}, 'USD', current_date - 7, 1.7)`);
  const usd = (amount, lines) => orderBody({ lines, currency: 'USD', payments: [{ method: 'card', currency: 'USD', amount, card_last4: '4242' }] });
  const o1 = usd(335, [line(A.cat.croissant, 1, [], 335)]); // 569.5 → 570
  const o2 = usd(333, [line(A.cat.croissant, 1, [], 333)]); // 566.1 → 566
  const noRate = orderBody({ lines: [line(A.cat.croissant, 1)], currency: 'EUR' });
  const mixed = orderBody({ lines: [line(A.cat.croissant, 1, [], 100)], currency: 'USD', payments: [{ method: 'cash', currency: 'AZN', amount: 100 }] });
  const r = await push(A.deviceToken, { orders: [o1, o2, noRate, mixed] });
  assert.deepEqual(r.json.results.map((x) => x.status), ['created', 'created', 'rejected', 'rejected'], JSON.stringify(r.json.results));
  assert.match(r.json.results[2].error.field, /currency/, 'no rate for EUR');
  assert.match(r.json.results[3].error.field, /currency/, 'payments in another currency than the order');
  const g1 = (await call(A.token, 'GET', `/api/orders/${o1.id}`)).json;
  assert.equal(g1.currency, 'USD');
  assert.equal(g1.total, 335);
  assert.equal(g1.base_currency, 'AZN');
  assert.equal(g1.total_base, 570);
  assert.equal(g1.payments[0].card_last4, '4242');
  assert.equal((await call(A.token, 'GET', `/api/orders/${o2.id}`)).json.total_base, 566);
});

test('push: more than 500 orders is 400 validation_failed (orders) and stores nothing; 500 are fine', async () => {
  const before = tenantOrderCount(A.tenant.id);
  const many = (n) => Array.from({ length: n }, () => orderBody({ lines: [line(A.cat.croissant, 1)] }));
  const big = many(501);
  const r = await call(A.deviceToken, 'POST', '/api/sync/push', { orders: big });
  assertError(r, 400, 'validation_failed', 'orders');
  assert.equal(tenantOrderCount(A.tenant.id), before, 'nothing stored');
  const ok = await push(A.deviceToken, { orders: big.slice(0, 500) });
  assert.equal(ok.json.results.length, 500);
  assert.ok(ok.json.results.every((x) => x.status === 'created'), 'all 500 created');
  assert.equal(tenantOrderCount(A.tenant.id), before + 500);
});

test('push: empty and malformed bodies; only tills and cashiers may push', async () => {
  const r = await push(A.deviceToken, { orders: [], changes: [] });
  assert.deepEqual(r.json.results, []);
  assert.deepEqual(r.json.conflicts, []);
  assertError(await call(A.deviceToken, 'POST', '/api/sync/push', { orders: {} }), 400, 'validation_failed', 'orders');
  assertError(await call(A.deviceToken, 'POST', '/api/sync/push', { orders: [], extra: 1 }), 400, 'validation_failed', 'extra');
  const junk = await push(A.deviceToken, { orders: [42, 'x', null] });
  assert.equal(junk.json.results.length, 3);
  assert.ok(junk.json.results.every((x) => x.status === 'rejected'), 'non-objects are rejected one by one');
  for (const tok of [A.token, A.managerToken, A.cashierUserToken]) {
    assertError(await call(tok, 'POST', '/api/sync/push', { orders: [] }), [401, 403]);
  }
  assertError(await call(null, 'POST', '/api/sync/push', { orders: [] }), 401, 'unauthorized');
});

// ---------------------------------------------------------------- kitchen status, last writer wins
test('kitchen_status changes merge last-writer-wins by updated_at; the loser lands in /api/sync/conflicts', async () => {
  const o = orderBody({ lines: [line(A.cat.latte, 1, [A.cat.S])] });
  await postOrder(A.deviceToken, o);
  const val = (v) => (v && typeof v === 'object' ? v.value : v);
  const kitchen = async () => (await call(A.token, 'GET', `/api/orders/${o.id}`)).json.kitchen_status;
  assert.equal(await kitchen(), 'new');

  // a newer change wins
  const tCooking = at(5_000);
  await push(A.deviceToken, { changes: [{ entity: 'kitchen_status', id: o.id, value: 'cooking', updated_at: tCooking }] });
  assert.equal(await kitchen(), 'cooking');

  // a change older than the server's current one loses; both versions are kept
  const stale = await push(A.cashierToken, {
    orders: [], changes: [{ entity: 'kitchen_status', id: o.id, value: 'ready', updated_at: at(-60_000) }],
  });
  assert.equal(await kitchen(), 'cooking', 'the older change did not overwrite');
  const cf = stale.json.conflicts.find((x) => x.id === o.id);
  assert.ok(cf, `a conflict reported: ${stale.text}`);
  assert.equal(cf.entity, 'kitchen_status');
  assert.equal(val(cf.kept), 'cooking');
  assert.equal(val(cf.lost), 'ready');

  const list = await call(A.managerToken, 'GET', '/api/sync/conflicts');
  assertStatus(list, 200, 'GET /api/sync/conflicts');
  const mine = list.json.items.filter((x) => x.id === o.id && val(x.lost) === 'ready');
  assert.equal(mine.length, 1, JSON.stringify(list.json.items));
  assert.equal(mine[0].entity, 'kitchen_status');
  assert.equal(val(mine[0].kept), 'cooking');
  assert.equal(mine[0].device_id, A.device.id);
  assert.match(mine[0].at, RFC3339_UTC_RE);

  // a later change wins again
  await push(A.deviceToken, { changes: [{ entity: 'kitchen_status', id: o.id, value: 'served', updated_at: at(10_000) }] });
  assert.equal(await kitchen(), 'served');

  // conflicts are manager+ and per tenant
  assertError(await call(A.cashierUserToken, 'GET', '/api/sync/conflicts'), 403, 'forbidden');
  assertError(await call(A.deviceToken, 'GET', '/api/sync/conflicts'), [401, 403]);
  const bList = await call(B.token, 'GET', '/api/sync/conflicts');
  assertStatus(bList, 200);
  assert.ok(!JSON.stringify(bList.json).includes(o.id), 'B never sees A’s conflicts');
  // B cannot move A's order
  await push(B.deviceToken, { changes: [{ entity: 'kitchen_status', id: o.id, value: 'new', updated_at: at(60_000) }] });
  assert.equal(await kitchen(), 'served', 'another tenant’s change does not touch this order');
});

// ---------------------------------------------------------------- pull
async function pull(token, cursor) {
  const r = await call(token, 'GET', `/api/sync/pull${cursor !== undefined ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
  assertStatus(r, 200, `GET /api/sync/pull ${cursor ?? ''}`);
  for (const k of ['products', 'categories', 'modifier_groups', 'rates']) assert.ok(Array.isArray(r.json.changes?.[k]), `changes.${k}`);
  assert.equal(typeof r.json.cursor, 'string', 'an opaque cursor');
  return r.json;
}

const empty = (ch) => ['products', 'categories', 'modifier_groups', 'rates'].every((k) => ch[k].length === 0);

// A cursor after which nothing has changed (other work on the server may
// re-send a few rows once; re-sent rows are harmless for the till).
async function quietCursor(token) {
  let cursor = (await pull(token)).cursor;
  const ok = await until(async () => {
    const p = await pull(token, cursor);
    if (empty(p.changes)) return true;
    cursor = p.cursor;
    return false;
  }, { timeout: 5000, step: 200 });
  assert.ok(ok, 'an unchanged catalogue gives empty arrays');
  return cursor;
}

test('pull without a cursor: the whole catalogue (products, categories, modifier groups with modifiers, rates)', async () => {
  const P = await newShop();
  const cat = await buildCatalogue(P.token);
  const off = await create(P.token, '/api/products', { name: 'Old cake', category_id: cat.bakery.id, price: 200 });
  await call(P.token, 'DELETE', `/api/products/${off.id}`);
  const all = await pull(P.deviceToken);
  const ids = (k) => all.changes[k].map((x) => x.id).sort();
  assert.deepEqual(ids('products'), [cat.latte.id, cat.croissant.id, off.id].sort());
  assert.deepEqual(ids('categories'), [cat.drinks.id, cat.bakery.id].sort());
  assert.deepEqual(ids('modifier_groups'), [cat.size.id, cat.extras.id].sort());
  assert.deepEqual(all.changes.rates, []);
  const latte = all.changes.products.find((p) => p.id === cat.latte.id);
  assert.equal(latte.price, 500);
  assert.equal(latte.category_id, cat.drinks.id);
  assert.deepEqual(latte.modifier_group_ids, [cat.size.id, cat.extras.id]);
  assert.equal(all.changes.products.find((p) => p.id === off.id).is_active, false, 'a deleted product comes as is_active:false');
  const size = all.changes.modifier_groups.find((g) => g.id === cat.size.id);
  assert.deepEqual(size.modifiers.map((m) => m.name).sort(), ['M', 'S']);
  assert.equal(size.modifiers.find((m) => m.name === 'M').price_delta, 50);
  // the cashier's token is a till too; user tokens are not
  assertStatus(await call(P.cashierToken, 'GET', '/api/sync/pull'), 200);
  for (const tok of [P.token, null]) assertError(await call(tok, 'GET', '/api/sync/pull'), [401, 403]);
  // another tenant's till sees none of it
  const b = JSON.stringify(await pull(B.deviceToken));
  for (const id of [cat.latte.id, cat.drinks.id, cat.size.id, off.id]) assert.ok(!b.includes(id), `B’s pull has ${id}`);
});

test('pull with a cursor: only what changed after it; soft deletes as is_active:false; unchanged → empty', async () => {
  const c = A.cat;
  let cursor = await quietCursor(A.deviceToken);
  const again = await pull(A.deviceToken, cursor);
  assert.ok(empty(again.changes), 'unchanged catalogue: empty arrays');

  // a price change: that product only
  assertStatus(await call(A.token, 'PATCH', `/api/products/${c.latte.id}`, { price: 555 }), 200);
  let p = await pull(A.deviceToken, cursor);
  assert.deepEqual(p.changes.products.map((x) => [x.id, x.price]), [[c.latte.id, 555]]);
  assert.deepEqual(p.changes.categories, []);
  assert.deepEqual(p.changes.modifier_groups, []);
  cursor = p.cursor;
  assert.ok(empty((await pull(A.deviceToken, cursor)).changes), 'nothing after the new cursor');

  // a soft delete
  assertStatus(await call(A.token, 'DELETE', `/api/products/${c.croissant.id}`), 200);
  p = await pull(A.deviceToken, cursor);
  assert.deepEqual(p.changes.products.map((x) => [x.id, x.is_active]), [[c.croissant.id, false]]);
  cursor = p.cursor;

  // a new category, a changed modifier group, a rate
  const cat = await create(A.token, '/api/categories', { name: 'Seasonal' });
  const g = await call(A.token, 'PATCH', `/api/modifier-groups/${c.extras.id}`, {
    modifiers: [{ id: c.shot.id, name: 'Shot', price_delta: 120, ingredient_id: c.coffee.id, qty: 9 }, { name: 'Vanilla', price_delta: 70 }],
  });
  assertStatus(g, 200, 'PATCH modifier group');
  sql(`INSERT INTO rates (tenant_id, currency, day, rate) VALUES (${sqlLiteral(A.tenant.id)}, 'EUR', current_date, 1.85)`);
  p = await pull(A.deviceToken, cursor);
  assert.deepEqual(p.changes.categories.map((x) => x.id), [cat.id]);
  assert.deepEqual(p.changes.products, []);
  assert.deepEqual(p.changes.modifier_groups.map((x) => x.id), [c.extras.id]);
  const mods = p.changes.modifier_groups[0].modifiers.filter((m) => m.is_active !== false);
  assert.deepEqual(mods.map((m) => [m.name, m.price_delta]).sort(), [['Shot', 120], ['Vanilla', 70]]);
  assert.deepEqual(p.changes.rates.map((r) => [r.currency, Number(r.rate)]), [['EUR', 1.85]]);
  cursor = p.cursor;

  // a deleted category and group come as inactive too
  await call(A.token, 'DELETE', `/api/categories/${cat.id}`);
  await call(A.token, 'DELETE', `/api/modifier-groups/${c.extras.id}`);
  p = await pull(A.deviceToken, cursor);
  assert.deepEqual(p.changes.categories.map((x) => [x.id, x.is_active]), [[cat.id, false]]);
  assert.deepEqual(p.changes.modifier_groups.map((x) => [x.id, x.is_active]), [[c.extras.id, false]]);

  // B's changes never reach A
  cursor = await quietCursor(A.deviceToken);
  await create(B.token, '/api/categories', { name: 'B only' });
  assertStatus(await call(B.token, 'PATCH', `/api/products/${B.cat.latte.id}`, { price: 1 }), 200);
  p = await pull(A.deviceToken, cursor);
  assert.ok(empty(p.changes), `A’s pull after B’s changes: ${JSON.stringify(p.changes).slice(0, 300)}`);
});

test('pull: a malformed cursor is 400', async () => {
  for (const c of ['abc', '-1', '1.5', '12abc', '99999999999999999999999', '%00', "1' OR '1'='1"]) {
    const r = await call(A.deviceToken, 'GET', `/api/sync/pull?cursor=${encodeURIComponent(c)}`);
    assertError(r, 400, ['validation_failed', 'bad_request']);
  }
});
