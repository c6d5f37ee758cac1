// The two worker pools (fcgi/posd.c, the nginx map): the store-serialised
// writes (POST /api/orders, POST /api/sync/push) queue in the order pool, so
// while every order worker waits on a store's locked rows the API pool still
// answers reads, pages and the health check; then every waiting order is
// stored once, with its own number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { VARDIR } from '../lib/stack.mjs';
import { call, assertStatus, sqlLiteral } from '../lib/tenancy.mjs';
import { newShop, buildCatalogue, line, orderBody, postOrder, sql, tenantOrderCount } from '../lib/orders.mjs';

const ORDER_WORKERS = Number(process.env.POS_ORDER_WORKERS || 4);

// A psql session as postgres that keeps a transaction open: `run(sql)` sends a
// statement and resolves when psql has answered it; `end()` commits and quits.
function session() {
  const p = spawn('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', path.join(VARDIR, 'pgrun'),
    '-U', 'postgres', '-d', 'pos'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = [];
  p.stdout.on('data', (d) => {
    out += d;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const lineOut = out.slice(0, i);
      out = out.slice(i + 1);
      if (lineOut.startsWith('mark:')) waiters.shift()?.resolve(lineOut);
    }
  });
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => p.on('close', resolve));
  let n = 0;
  return {
    run(statement) {
      n += 1;
      const done = new Promise((resolve, reject) => {
        waiters.push({ resolve });
        exited.then((code) => reject(new Error(`psql ended (${code}): ${err}`)));
      });
      p.stdin.write(`${statement};\nSELECT 'mark:${n}';\n`);
      return done;
    },
    async end() {
      p.stdin.end('COMMIT;\n');
      return exited;
    },
  };
}

// Backends of the tenant's orders waiting for a lock.
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
  const s = session();
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
