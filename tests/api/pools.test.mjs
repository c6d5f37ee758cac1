// The two worker pools (fcgi/posd.c, the nginx map): the store-serialised
// writes (POST /api/orders, POST /api/sync/push) queue in the order pool, so
// while every order worker waits on a store's locked rows the API pool still
// answers reads, pages and the health check; then every waiting order is
// stored once, with its own number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VARDIR, api, until } from '../lib/stack.mjs';
import { call, assertStatus, sqlLiteral, psqlSession } from '../lib/tenancy.mjs';
import { newShop, buildCatalogue, line, orderBody, postOrder, sql, tenantOrderCount } from '../lib/orders.mjs';

const ORDER_WORKERS = Number(process.env.POS_ORDER_WORKERS || 4);

// Backends of orders waiting for a lock.
function waitingOrders() {
  return Number(sql(`SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND (query LIKE '%order_submit%')`));
}

test('orders waiting on a locked store never hold up the API pool', { timeout: 60000 }, async () => {
  const shop = await newShop();
  const cat = await buildCatalogue(shop.token);
  const store = shop.dev.device.store_id;
  // the first order of the day makes the store's order-number row
  const first = await postOrder(shop.deviceToken, orderBody({ lines: [line(cat.croissant)] }));

  // Hold that row as an order in flight would: every order of the store now waits.
  const s = psqlSession();
  await s.run(`BEGIN; SELECT last FROM order_numbers WHERE store_id = ${sqlLiteral(store)} FOR UPDATE`);
  let released = false;
  try {
    const bodies = Array.from({ length: ORDER_WORKERS + 2 }, () => orderBody({ lines: [line(cat.latte, 1, [cat.S])] }));
    const pushBody = orderBody({ lines: [line(cat.croissant, 2)] });
    const settled = new Set();
    const pending = bodies.map((b) => call(shop.deviceToken, 'POST', '/api/orders', b)
      .then((r) => { settled.add(b.id); return r; }));
    const push = call(shop.deviceToken, 'POST', '/api/sync/push', { orders: [pushBody] })
      .then((r) => { settled.add(pushBody.id); return r; });

    // every order worker is now waiting in PostgreSQL, the rest queue in nginx
    const deadline = Date.now() + 20000;
    while (waitingOrders() < ORDER_WORKERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(waitingOrders(), ORDER_WORKERS, 'each order worker waits on the locked row');

    // the API pool answers meanwhile: health, the till's catalogue, the kitchen,
    // an order read, the manager's pages
    const health = await call(null, 'GET', '/healthz');
    assertStatus(health, 200, 'GET /healthz while the orders wait');
    const items = await call(shop.deviceToken, 'GET', '/api/pos/items');
    assertStatus(items, 200, 'GET /api/pos/items while the orders wait');
    assert.ok(items.json.items.some((p) => p.id === cat.latte.id), 'the catalogue is the shop\'s');
    const kitchen = await call(shop.token, 'GET', '/api/kitchen/orders');
    assertStatus(kitchen, 200, 'GET /api/kitchen/orders while the orders wait');
    const one = await call(shop.token, 'GET', `/api/orders/${first.json.id}`);
    assertStatus(one, 200, 'GET /api/orders/{id} while the orders wait');
    const stats = await call(shop.token, 'GET', '/api/orders/stats/today');
    assertStatus(stats, 200, 'GET /api/orders/stats/today while the orders wait');
    assert.equal(settled.size, 0, 'no order or push was answered while its store was locked');

    await s.end();
    released = true;
    const answers = await Promise.all(pending);
    for (const r of answers) assertStatus(r, 201, 'POST /api/orders after the store is free');
    const pushed = await push;
    assertStatus(pushed, 200, 'POST /api/sync/push after the store is free');
    assert.equal(pushed.json.results[0].status, 'created', JSON.stringify(pushed.json));

    const pushedNumber = (await call(shop.token, 'GET', `/api/orders/${pushBody.id}`)).json.number;
    const numbers = [first.json.number, ...answers.map((r) => r.json.number), pushedNumber];
    assert.equal(new Set(numbers).size, numbers.length, `numbers are distinct: ${numbers}`);
    assert.equal(tenantOrderCount(shop.tenant.id), bodies.length + 2, 'each order stored once');
  } finally {
    if (!released) await s.end();
  }
});

// The pool that served a request, from the workers' log line of its request id.
async function poolOf(r) {
  const id = r.headers.get('x-request-id');
  assert.match(id || '', /^[0-9a-f]{32}$/, 'nginx gave the request an id');
  const line = await until(() => readFileSync(path.join(VARDIR, 'log/posd.log'), 'utf8')
    .split('\n').find((l) => l.includes(` req=${id} `) && l.includes(' pool=')), { timeout: 5000 });
  assert.ok(line, `the workers logged request ${id}`);
  return line.match(/ pool=(\w+)/)[1];
}

test('nginx sends the writes that take a store\'s rows to the order pool, the rest to the API pool', async () => {
  const shop = await newShop();
  const cat = await buildCatalogue(shop.token);
  const sale = await postOrder(shop.deviceToken, orderBody({ lines: [line(cat.croissant)] }));
  assert.equal(await poolOf(sale), 'order', 'POST /api/orders');
  const pushed = await call(shop.deviceToken, 'POST', '/api/sync/push', { orders: [orderBody({ lines: [line(cat.croissant)] })] });
  assertStatus(pushed, 200, 'push');
  assert.equal(await poolOf(pushed), 'order', 'POST /api/sync/push');
  const mv = await call(shop.token, 'POST', '/api/stock/movements', { ingredient_id: cat.milk.id, kind: 'purchase', qty: 1000 });
  assertStatus(mv, 201, 'stock movement');
  assert.equal(await poolOf(mv), 'order', 'POST /api/stock/movements');
  const refund = await call(shop.token, 'POST', `/api/orders/${sale.json.id}/refund`, { reason: 'test' });
  assertStatus(refund, 200, 'refund');
  assert.equal(await poolOf(refund), 'order', 'POST /api/orders/{id}/refund');

  const read = await call(shop.token, 'GET', `/api/orders/${sale.json.id}`);
  assertStatus(read, 200, 'GET the order');
  assert.equal(await poolOf(read), 'api', 'GET /api/orders/{id}');
  const list = await call(shop.token, 'GET', '/api/orders');
  assert.equal(await poolOf(list), 'api', 'GET /api/orders');
  const kitchen = await call(shop.token, 'POST', `/api/kitchen/orders/${sale.json.id}/status`, { status: 'cooking' });
  assert.equal(await poolOf(kitchen), 'api', 'POST /api/kitchen/orders/{id}/status');

  const health = await api('GET', '/healthz');
  assert.equal(await poolOf(health), 'api', 'GET /healthz');
  const orderHealth = await api('GET', '/healthz/orders');
  assert.equal(orderHealth.status, 200);
  assert.deepEqual(orderHealth.json, { status: 'ok', db: 'ok' });
  assert.equal(await poolOf(orderHealth), 'order', 'GET /healthz/orders: the order pool\'s health');
});
