// Orders over HTTP: POST /api/orders from a till (device or cashier token),
// the stored order as returned, sale time and prices kept as sent, sums that
// must add up, card digits sealed in the database, exactly-once by the till's
// UUID (retries, a different body, ten connections at once, another tenant
// reusing the id), numbering per store and day, today's list and stats,
// refund / cancel, and the stock each sale takes and gives back.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, assertError, assertStatus, UUID_RE, RFC3339_UTC_RE, createUser, login, loginWith2fa, sqlLiteral,
} from '../lib/tenancy.mjs';
import {
  uuid, at, sameInstant, create, newShop, buildCatalogue, line, orderBody, postOrder, levels,
  productLevel, sql, orderCount,
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
  const cook = await createUser(A.token, { role: 'cook' });
  A.cookToken = (await login(cook.email, cook.password)).json.access_token;
  const cu = await createUser(A.token, { role: 'cashier' });
  A.cashierUserToken = (await login(cu.email, cu.password)).json.access_token;
  A.orders = []; // every order A's store holds, as stored: for the stats
});

const remember = (o) => { A.orders.push(o); return o; };

// ---------------------------------------------------------------- one order
test('POST /api/orders (device token) → 201 with the stored order; number 1 in a fresh tenant', async () => {
  const c = A.cat;
  const body = orderBody({
    lines: [{ ...line(c.latte, 2, [c.M, c.shot]), note: 'без сахара' }, line(c.croissant, 1)],
    discount: 100,
    note: 'столик 4',
  });
  const total = 2 * 650 + 350 - 100;
  body.payments = [{ method: 'cash', currency: 'AZN', amount: total, tendered: 2000 }];
  const r = await postOrder(A.deviceToken, body);
  const o = remember(r.json);
  assert.equal(o.id, body.id);
  assert.equal(o.number, 1, 'the first order of a fresh store is number 1');
  assert.equal(o.store_id, A.store.id);
  assert.equal(o.device_id, A.device.id);
  assert.equal(o.cashier_id ?? null, null, 'no cashier named');
  sameInstant(o.created_at, body.created_at, 'created_at');
  assert.match(o.received_at, RFC3339_UTC_RE);
  assert.ok(Math.abs(Date.parse(o.received_at) - Date.now()) < 60_000, 'received now');
  assert.equal(o.status, 'paid');
  assert.equal(o.kitchen_status, 'new');
  assert.equal(o.discount, 100);
  assert.equal(o.total, total);
  assert.equal(o.currency, 'AZN');
  assert.equal(o.total_base, total);
  assert.equal(o.base_currency, 'AZN');
  assert.equal(o.lines.length, 2);
  const [l1, l2] = o.lines;
  assert.equal(l1.product_id, c.latte.id);
  assert.equal(l1.qty, 2);
  assert.equal(l1.unit_price, 650);
  assert.equal(l1.note, 'без сахара');
  assert.deepEqual(l1.modifiers.map((m) => [m.id, m.price_delta]), [[c.M.id, 50], [c.shot.id, 100]]);
  assert.equal(l2.product_id, c.croissant.id);
  assert.equal(l2.qty, 1);
  assert.equal(l2.unit_price, 350);
  assert.equal(o.payments.length, 1);
  assert.equal(o.payments[0].method, 'cash');
  assert.equal(o.payments[0].currency, 'AZN');
  assert.equal(o.payments[0].amount, total);
  assert.equal(o.payments[0].tendered, 2000);

  const g = await call(A.deviceToken, 'GET', `/api/orders/${body.id}`);
  assertStatus(g, 200, 'GET the order back');
  assert.deepEqual(g.json, o, 'GET returns the stored order as POST did');
});

test('order numbers go 1, 2, 3… per store and day, on receipt', async () => {
  const before = A.orders.length;
  for (let i = 0; i < 3; i++) {
    const r = await postOrder(A.deviceToken, orderBody({ lines: [line(A.cat.croissant, 1)] }));
    remember(r.json);
    assert.equal(r.json.number, before + i + 1, `order ${before + i + 1}`);
  }
});

test('created_at is kept as sent (any offset, an offline sale of days ago), received_at is now', async () => {
  const local = new Date(Date.now() - 90_000);
  // the same instant written with a +04:00 offset
  const p = (n) => String(n).padStart(2, '0');
  const shifted = new Date(local.getTime() + 4 * 3600_000);
  const plus4 = `${shifted.getUTCFullYear()}-${p(shifted.getUTCMonth() + 1)}-${p(shifted.getUTCDate())}T${p(shifted.getUTCHours())}:${p(shifted.getUTCMinutes())}:${p(shifted.getUTCSeconds())}.${String(shifted.getUTCMilliseconds()).padStart(3, '0')}+04:00`;
  const b1 = orderBody({ lines: [line(A.cat.croissant, 1)], created_at: plus4 });
  const o1 = remember((await postOrder(A.deviceToken, b1)).json);
  sameInstant(o1.created_at, local.toISOString(), 'created_at with an offset');

  // an offline sale from three days ago, synced now: its time stays (B's store,
  // so that A's "today" figures stay exact)
  const old = at(-3 * 86400_000);
  const b2 = orderBody({ lines: [line(B.cat.croissant, 2)], created_at: old });
  const o2 = (await postOrder(B.deviceToken, b2)).json;
  sameInstant(o2.created_at, old, 'an old created_at');
  assert.ok(Date.now() - Date.parse(o2.received_at) < 60_000, 'received now, not three days ago');
  sameInstant((await call(B.deviceToken, 'GET', `/api/orders/${b2.id}`)).json.created_at, old, 'stored');

  for (const bad of ['yesterday', '2026-13-01T00:00:00Z', '2026-01-01 10:00:00', at(3 * 86400_000)]) {
    const r = await call(A.deviceToken, 'POST', '/api/orders', orderBody({ lines: [line(A.cat.croissant, 1)], created_at: bad }));
    assertError(r, 400, 'validation_failed', 'created_at');
  }
});

test('prices are kept as sent, not re-priced from the catalogue', async () => {
  const prod = await create(A.token, '/api/products', { name: 'Эклер', category_id: A.cat.bakery.id, price: 300 });
  // the till sold it at the old price (280) before the owner changed it
  const body = orderBody({ lines: [line(prod, 3, [], 280)] });
  const o = remember((await postOrder(A.deviceToken, body)).json);
  assert.equal(o.lines[0].unit_price, 280);
  assert.equal(o.total, 840);
  const p = await call(A.token, 'PATCH', `/api/products/${prod.id}`, { price: 999 });
  assertStatus(p, 200, 'PATCH price');
  const g = await call(A.token, 'GET', `/api/orders/${body.id}`);
  assertStatus(g, 200);
  assert.equal(g.json.lines[0].unit_price, 280, 'the stored price did not follow the catalogue');
  assert.equal(g.json.total, 840);
  assert.equal(g.json.total_base, 840);
  // a product switched off after an offline sale is still accepted
  await call(A.token, 'DELETE', `/api/products/${prod.id}`);
  const late = orderBody({ lines: [line(prod, 1, [], 280)], created_at: at(-3600_000) });
  remember((await postOrder(A.deviceToken, late)).json);
});

test('lines − discount must equal the payments: otherwise 400 validation_failed and nothing is stored', async () => {
  const c = A.cat;
  const lines = [line(c.latte, 1, [c.S]), line(c.croissant, 2)]; // 500 + 700 = 1200
  const cash = (amount) => [{ method: 'cash', currency: 'AZN', amount }];
  const bad = [
    orderBody({ lines, payments: cash(1100) }),
    orderBody({ lines, payments: cash(1300) }),
    orderBody({ lines, discount: 100, payments: cash(1200) }),
    orderBody({ lines, discount: 1300, payments: cash(1) }),
    orderBody({ lines, payments: [{ method: 'cash', currency: 'AZN', amount: 600 }, { method: 'card', currency: 'AZN', amount: 500 }] }),
  ];
  for (const b of bad) {
    const r = await call(A.deviceToken, 'POST', '/api/orders', b);
    assertError(r, 400, 'validation_failed');
    assert.ok(r.json.error.field, 'the field is named');
    assert.equal(orderCount(A.tenant.id, b.id), 0, 'nothing stored');
  }
  // the same lines paid exactly, split over two methods with a discount
  const ok = orderBody({ lines, discount: 200, payments: [{ method: 'cash', currency: 'AZN', amount: 400 }, { method: 'qr', currency: 'AZN', amount: 600 }] });
  const o = remember((await postOrder(A.deviceToken, ok)).json);
  assert.equal(o.total, 1000);
  assert.deepEqual(o.payments.map((p) => [p.method, p.amount]), [['cash', 400], ['qr', 600]]);
});

test('malformed orders are 400 validation_failed naming the field', async () => {
  const c = A.cat;
  const good = () => orderBody({ lines: [line(c.croissant, 1)] });
  const cases = [
    [(b) => { b.colour = 'red'; }, 'colour'],
    [(b) => { delete b.id; }, 'id'],
    [(b) => { b.id = 'order-1'; }, 'id'],
    [(b) => { delete b.created_at; }, 'created_at'],
    [(b) => { b.lines = []; }, 'lines'],
    [(b) => { b.lines[0].qty = 0; }, /qty/],
    [(b) => { b.lines[0].qty = 1.5; }, /qty/],
    [(b) => { b.lines[0].extra = 1; }, /extra/],
    [(b) => { b.lines[0].product_id = uuid(); }, /product_id/],
    [(b) => { b.lines[0].product_id = B.cat.croissant.id; }, /product_id/],
    [(b) => { b.lines[0].modifiers = [{ id: uuid(), price_delta: 0 }]; }, /modifiers/],
    [(b) => { b.lines[0].modifiers = [{ id: B.cat.shot.id, price_delta: 0 }]; }, /modifiers/],
    [(b) => { b.payments[0].method = 'cheque'; }, /method/],
    [(b) => { b.payments = []; }, 'payments'],
    [(b) => { b.payments[0].card_last4 = '1234'; }, /card_last4/], // cash has no card
    [(b) => { b.payments[0] = { method: 'card', currency: 'AZN', amount: 350, card_last4: '12a4' }; }, /card_last4/],
    [(b) => { b.payments[0] = { method: 'card', currency: 'AZN', amount: 350, card_last4: '4111111111111111' }; }, /card_last4/],
    [(b) => { b.payments[0].tendered = 100; }, /tendered/],
    [(b) => { b.cashier_id = uuid(); }, 'cashier_id'],
    [(b) => { b.note = 'x'.repeat(1001); }, 'note'],
  ];
  for (const [mutate, field] of cases) {
    const b = good();
    mutate(b);
    const r = await call(A.deviceToken, 'POST', '/api/orders', b);
    assertError(r, 400, 'validation_failed');
    if (field instanceof RegExp) assert.match(String(r.json.error.field), field, r.text);
    else assert.equal(r.json.error.field, field, r.text);
    if (typeof b.id === 'string' && UUID_RE.test(b.id)) assert.equal(orderCount(A.tenant.id, b.id), 0, 'nothing stored');
  }
});

// ---------------------------------------------------------------- card digits
test('card_last4 comes back as the four digits and is not in clear in the database', async () => {
  const digits = '8' + String(Math.floor(Math.random() * 900) + 100); // e.g. 8372
  const body = orderBody({ lines: [line(A.cat.latte, 1, [A.cat.S])] });
  body.payments = [{ method: 'card', currency: 'AZN', amount: 500, card_last4: digits }];
  const o = remember((await postOrder(A.cashierToken, body)).json);
  assert.equal(o.payments[0].card_last4, digits);
  assert.equal(o.payments[0].method, 'card');
  const g = await call(A.token, 'GET', `/api/orders/${body.id}`);
  assert.equal(g.json.payments[0].card_last4, digits, 'GET opens it too');
  const stored = sql(`SELECT card_last4 FROM order_payments WHERE tenant_id = ${sqlLiteral(A.tenant.id)} AND order_id = ${sqlLiteral(body.id)}`);
  assert.ok(stored.length > 4, `something sealed is stored: ${stored}`);
  assert.ok(!stored.includes(digits), `the digits are not in clear: ${stored}`);
  const anywhere = sql(`SELECT count(*) FROM order_payments p WHERE p::text LIKE ${sqlLiteral(`%${digits}%`)} AND order_id = ${sqlLiteral(body.id)}`);
  assert.equal(anywhere, '0', 'not in any column of the payment row');
});

// ---------------------------------------------------------------- exactly once
test('the same id again → 200 with the same stored order; a different body → 409 conflict', async () => {
  const body = orderBody({ lines: [line(A.cat.croissant, 2)] });
  const first = remember((await postOrder(A.deviceToken, body, 201)).json);
  const again = await postOrder(A.deviceToken, body, 200);
  assert.deepEqual(again.json, first, 'the same stored order, same number');
  // key order and spacing do not make it another body
  const reordered = Object.fromEntries(Object.entries(body).reverse());
  const again2 = await call(A.deviceToken, 'POST', '/api/orders', reordered);
  assertStatus(again2, 200, 'same order with keys in another order');
  assert.equal(again2.json.number, first.number);
  // the same id with another body
  for (const change of [{ note: 'changed' }, { lines: [line(A.cat.croissant, 3)], payments: [{ method: 'cash', currency: 'AZN', amount: 1050 }] }]) {
    const r = await call(A.deviceToken, 'POST', '/api/orders', { ...body, ...change });
    assertError(r, 409, 'conflict');
  }
  assert.equal(orderCount(A.tenant.id, body.id), 1, 'one row');
  const g = await call(A.token, 'GET', `/api/orders/${body.id}`);
  assert.deepEqual(g.json, first, 'the stored order did not change');
});

test('ten connections sending the same order at once: exactly one order, one 201, the same number for all', async () => {
  const body = orderBody({ lines: [line(A.cat.latte, 1, [A.cat.M])] });
  const before = await levels(A.token, [A.cat.milk.id]);
  const rs = await Promise.all(Array.from({ length: 10 }, () => call(A.deviceToken, 'POST', '/api/orders', body)));
  const statuses = rs.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201], `statuses ${statuses}`);
  const numbers = new Set(rs.map((r) => r.json.number));
  assert.equal(numbers.size, 1, `one number: ${[...numbers]}`);
  remember(rs.find((r) => r.status === 201).json);
  assert.equal(orderCount(A.tenant.id, body.id), 1, 'exactly one row in the database');
  const today = await call(A.token, 'GET', '/api/orders/today');
  assert.equal(today.json.items.filter((o) => o.id === body.id).length, 1, 'once in today’s list');
  const after = await levels(A.token, [A.cat.milk.id]);
  assert.equal(after[A.cat.milk.id], before[A.cat.milk.id] - 300, 'stock taken once (250 + 50 ml)');
});

test('duplicates do not use up order numbers: the next order takes the next number', async () => {
  const last = Math.max(...A.orders.map((o) => o.number));
  const r = await postOrder(A.deviceToken, orderBody({ lines: [line(A.cat.croissant, 1)] }));
  remember(r.json);
  assert.equal(r.json.number, last + 1, `after ${last} comes ${last + 1} (no gaps after retried or concurrent duplicates), got ${r.json.number}`);
});

test('orders arriving at once get distinct, consecutive numbers', async () => {
  const bodies = Array.from({ length: 10 }, () => orderBody({ lines: [line(A.cat.croissant, 1)] }));
  const rs = await Promise.all(bodies.map((b) => call(A.deviceToken, 'POST', '/api/orders', b)));
  for (const r of rs) assertStatus(r, 201, 'concurrent distinct orders');
  rs.forEach((r) => remember(r.json));
  const nums = rs.map((r) => r.json.number).sort((a, b) => a - b);
  assert.equal(new Set(nums).size, 10, `distinct numbers: ${nums}`);
  assert.equal(nums[9] - nums[0], 9, `consecutive: ${nums}`);
});

test('another tenant reusing the same id gets its own order and never touches this one', async () => {
  const body = orderBody({ lines: [line(A.cat.croissant, 1)] });
  const mine = remember((await postOrder(A.deviceToken, body)).json);
  const theirsBody = { ...orderBody({ lines: [line(B.cat.latte, 2, [B.cat.S])] }), id: body.id };
  const r = await call(B.deviceToken, 'POST', '/api/orders', theirsBody);
  assertStatus(r, 201, 'B’s order with A’s id is new for B');
  assert.equal(r.json.id, body.id);
  assert.equal(r.json.store_id, B.store.id);
  assert.equal(r.json.total, 1000);
  const a = await call(A.token, 'GET', `/api/orders/${body.id}`);
  assert.deepEqual(a.json, mine, 'A’s order unchanged');
  const b = await call(B.token, 'GET', `/api/orders/${body.id}`);
  assert.equal(b.json.store_id, B.store.id);
  assert.equal(b.json.lines[0].product_id, B.cat.latte.id);
  assert.equal(orderCount(A.tenant.id, body.id), 1);
  assert.equal(orderCount(B.tenant.id, body.id), 1);
  // and A's body sent to B is a conflict with B's, not a hit on A's
  assertError(await call(B.deviceToken, 'POST', '/api/orders', { ...body, lines: [line(B.cat.croissant, 1)] }), 409, 'conflict');
});

// ---------------------------------------------------------------- who may
test('a cashier token sells as its cashier; naming another cashier is refused', async () => {
  const body = orderBody({ lines: [line(A.cat.croissant, 1)] });
  const o = remember((await postOrder(A.cashierToken, body)).json);
  assert.equal(o.cashier_id, A.cashier.id);
  assert.equal(o.device_id, A.device.id, 'bound to the till it signed in on');
  const other = orderBody({ lines: [line(A.cat.croissant, 1)], cashier_id: A.owner.id });
  assertError(await call(A.cashierToken, 'POST', '/api/orders', other), 400, 'validation_failed', 'cashier_id');
  // a till naming the cashier
  const named = orderBody({ lines: [line(A.cat.croissant, 1)], cashier_id: A.cashier.id });
  const n = remember((await postOrder(A.deviceToken, named)).json);
  assert.equal(n.cashier_id, A.cashier.id);
  assertError(await call(A.deviceToken, 'POST', '/api/orders', orderBody({ lines: [line(A.cat.croissant, 1)], cashier_id: B.cashier.id })), 400, 'validation_failed', 'cashier_id');
  // user tokens are not tills
  for (const tok of [A.token, A.managerToken, A.cashierUserToken]) {
    assertError(await call(tok, 'POST', '/api/orders', orderBody({ lines: [line(A.cat.croissant, 1)] })), [401, 403]);
  }
  assertError(await call(null, 'POST', '/api/orders', orderBody({ lines: [line(A.cat.croissant, 1)] })), 401, 'unauthorized');
});

test('GET /api/orders/{id}: the store’s till, cashier and managers; not a cook, not another tenant', async () => {
  const id = A.orders[0].id;
  for (const tok of [A.deviceToken, A.cashierToken, A.managerToken, A.token]) {
    const r = await call(tok, 'GET', `/api/orders/${id}`);
    assertStatus(r, 200, 'GET order');
    assert.equal(r.json.id, id);
  }
  assertError(await call(A.cookToken, 'GET', `/api/orders/${id}`), 403, 'forbidden');
  assertError(await call(A.cashierUserToken, 'GET', `/api/orders/${id}`), 403, 'forbidden');
  const onlyA = A.orders[1].id;
  for (const tok of [B.token, B.deviceToken, B.cashierToken]) {
    assertError(await call(tok, 'GET', `/api/orders/${onlyA}`), 404, 'not_found');
  }
  for (const p of ['/api/orders/abc', `/api/orders/${uuid()}`, '/api/orders/1']) {
    assertError(await call(A.token, 'GET', p), 404, 'not_found');
  }
});

// ---------------------------------------------------------------- stock
test('a sale takes its recipe × qty plus the modifiers’ ingredients × qty, or the product itself; negative is allowed', async () => {
  const c = A.cat;
  const ids = [c.coffee.id, c.milk.id, c.cup.id];
  const s0 = await levels(A.token, ids);
  const p0 = productLevel(A.tenant.id, c.croissant.id);
  const body = orderBody({ lines: [line(c.latte, 3, [c.M, c.shot, c.cinnamon]), line(c.latte, 1, [c.S]), line(c.croissant, 4)] });
  const o = remember((await postOrder(A.deviceToken, body)).json);
  const s1 = await levels(A.token, ids);
  assert.equal(s1[c.coffee.id] - s0[c.coffee.id], -(18 * 3 + 9 * 3 + 18 * 1), 'coffee: recipe + shots');
  assert.equal(s1[c.milk.id] - s0[c.milk.id], -(250 * 3 + 50 * 3 + 250 * 1), 'milk: recipe + size M');
  assert.equal(s1[c.cup.id] - s0[c.cup.id], -4, 'cups: one per latte');
  assert.equal(productLevel(A.tenant.id, c.croissant.id) - p0, -4, 'croissants (no recipe): the product itself');
  const st = (await call(A.token, 'GET', '/api/stock')).json.items.find((i) => i.ingredient_id === c.coffee.id);
  assert.ok(st.qty < 0, 'no purchases yet: stock is negative');
  assert.equal(st.low, true, 'negative is flagged low');
  assert.equal(st.unit, 'g');
  assert.equal(st.min_qty, 1000);
  A.stockOrder = { id: o.id, s0, s1, p0 };
});

test('refund (manager+) → 200 refunded; a second refund or a cancel → 409; the stock comes back exactly', async () => {
  const c = A.cat;
  const { id, s0 } = A.stockOrder;
  // a purchase in between must not be undone by the refund
  assertStatus(await call(A.token, 'POST', '/api/stock/movements', { ingredient_id: c.cup.id, kind: 'purchase', qty: 100 }), 201);
  assertError(await call(A.cashierToken, 'POST', `/api/orders/${id}/refund`, { reason: 'x' }), [401, 403]);
  assertError(await call(A.cashierUserToken, 'POST', `/api/orders/${id}/refund`, { reason: 'x' }), 403, 'forbidden');
  assertError(await call(A.managerToken, 'POST', `/api/orders/${id}/refund`, {}), 400, 'validation_failed', 'reason');
  assertError(await call(A.managerToken, 'POST', `/api/orders/${id}/refund`, { reason: 'x', amount: 1 }), 400, 'validation_failed', 'amount');
  const r = await call(A.managerToken, 'POST', `/api/orders/${id}/refund`, { reason: 'холодный кофе' });
  assertStatus(r, 200, 'refund');
  assert.equal(r.json.id, id);
  assert.equal(r.json.status, 'refunded');
  A.orders.find((o) => o.id === id).status = 'refunded';
  const s2 = await levels(A.token, [c.coffee.id, c.milk.id, c.cup.id]);
  assert.equal(s2[c.coffee.id], s0[c.coffee.id]);
  assert.equal(s2[c.milk.id], s0[c.milk.id]);
  assert.equal(s2[c.cup.id], s0[c.cup.id] + 100, 'cups back, the purchase kept');
  assert.equal(productLevel(A.tenant.id, c.croissant.id), A.stockOrder.p0);
  assertError(await call(A.managerToken, 'POST', `/api/orders/${id}/refund`, { reason: 'again' }), 409, 'conflict');
  assertError(await call(A.token, 'POST', `/api/orders/${id}/cancel`, { reason: 'again' }), 409, 'conflict');
  const s3 = await levels(A.token, [c.coffee.id, c.milk.id, c.cup.id]);
  assert.deepEqual(s3, s2, 'a refused second refund returns nothing');
  const g = await call(A.deviceToken, 'GET', `/api/orders/${id}`);
  assert.equal(g.json.status, 'refunded');
  assertError(await call(A.token, 'POST', `/api/orders/${uuid()}/refund`, { reason: 'x' }), 404, 'not_found');
  assertError(await call(B.token, 'POST', `/api/orders/${A.orders[1].id}/refund`, { reason: 'x' }), 404, 'not_found');
  assert.equal((await call(A.token, 'GET', `/api/orders/${A.orders[1].id}`)).json.status, 'paid', 'B could not refund A’s order');
});

test('cancel (owner) → 200 cancelled; stock back; a second cancel → 409', async () => {
  const c = A.cat;
  const s0 = await levels(A.token, [c.coffee.id, c.milk.id]);
  const body = orderBody({ lines: [line(c.latte, 2, [c.shot])] });
  remember((await postOrder(A.deviceToken, body)).json);
  const s1 = await levels(A.token, [c.coffee.id, c.milk.id]);
  assert.equal(s1[c.coffee.id], s0[c.coffee.id] - 54);
  // the recipe changes before the cancel: what comes back is what the sale took
  await create(A.token, '/api/recipes', { product_id: c.latte.id, items: [{ ingredient_id: c.coffee.id, qty: 30 }] });
  const r = await call(A.token, 'POST', `/api/orders/${body.id}/cancel`, { reason: 'ошибка кассира' });
  assertStatus(r, 200, 'cancel');
  assert.equal(r.json.status, 'cancelled');
  A.orders.find((o) => o.id === body.id).status = 'cancelled';
  assert.deepEqual(await levels(A.token, [c.coffee.id, c.milk.id]), s0, 'stock back exactly');
  assertError(await call(A.token, 'POST', `/api/orders/${body.id}/cancel`, { reason: 'again' }), 409, 'conflict');
  assertError(await call(A.token, 'POST', `/api/orders/${body.id}/refund`, { reason: 'again' }), 409, 'conflict');
  assert.deepEqual(await levels(A.token, [c.coffee.id, c.milk.id]), s0);
});

// ---------------------------------------------------------------- today
test('GET /api/orders/today lists today’s orders; stats/today is exact, without refunded or cancelled ones', async () => {
  // "today" is the store's day in its time zone
  const tz = (await call(A.token, 'GET', '/api/store')).json.time_zone;
  const day = (t) => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date(t));
  const paidToday = () => A.orders.filter((o) => o.status === 'paid' && day(o.created_at) === day(Date.now()));
  // one or two more orders so that the average check ends in exactly half a
  // minor unit: it must round half away from zero
  if ((paidToday().length + 1) % 2 === 1) remember((await postOrder(A.deviceToken, orderBody({ lines: [line(A.cat.croissant, 1)] }))).json);
  const m = paidToday().length + 1;
  const r0 = paidToday().reduce((s, o) => s + o.total_base, 0);
  let x = (((m / 2 - r0) % m) + m) % m;
  if (x === 0) x = m;
  remember((await postOrder(A.deviceToken, orderBody({ lines: [line(A.cat.croissant, 1, [], x)] }))).json);
  const today = await call(A.deviceToken, 'GET', '/api/orders/today');
  assertStatus(today, 200, 'GET /api/orders/today');
  const ids = today.json.items.map((o) => o.id);
  assert.equal(new Set(ids).size, ids.length, 'each order once');
  const todays = A.orders.filter((o) => day(o.created_at) === day(Date.now()));
  for (const o of todays) assert.ok(ids.includes(o.id), `today has order ${o.number}`);
  for (const o of today.json.items) {
    assert.equal(o.store_id, A.store.id);
    assert.ok(A.orders.some((x) => x.id === o.id), 'only this store’s orders');
  }
  const refunded = today.json.items.find((o) => o.id === A.stockOrder.id);
  assert.equal(refunded.status, 'refunded');

  const paid = todays.filter((o) => o.status === 'paid');
  const revenue = paid.reduce((s, o) => s + o.total_base, 0);
  assert.equal((revenue * 2) % paid.length, 0, 'set up: the exact average ends in .5');
  assert.notEqual(revenue % paid.length, 0, 'set up: the exact average ends in .5');
  const avg = Math.floor(revenue / paid.length) + 1; // x.5 → x + 1
  for (const tok of [A.token, A.managerToken, A.deviceToken, A.cashierToken]) {
    const s = await call(tok, 'GET', '/api/orders/stats/today');
    assertStatus(s, 200, 'stats');
    assert.equal(s.json.count, paid.length, 'count of paid orders');
    assert.equal(s.json.revenue, revenue, 'revenue to the minor unit');
    assert.equal(s.json.average_check, avg, `average ${revenue}/${paid.length}`);
    assert.equal(s.json.currency, 'AZN');
  }
  // one more order moves the figures at once
  remember((await postOrder(A.deviceToken, orderBody({ lines: [line(A.cat.croissant, 1)] }))).json);
  const s2 = await call(A.token, 'GET', '/api/orders/stats/today');
  assert.equal(s2.json.count, paid.length + 1);
  assert.equal(s2.json.revenue, revenue + 350);
  assertError(await call(A.cookToken, 'GET', '/api/orders/stats/today'), 403, 'forbidden');
  // B's figures are its own
  const bs = await call(B.token, 'GET', '/api/orders/stats/today');
  assertStatus(bs, 200);
  assert.ok(bs.json.count < paid.length, 'B does not count A’s orders');
});

test('a fresh store: empty today, zero stats', async () => {
  const C = await newShop({ base_currency: 'UZS' });
  const t = await call(C.deviceToken, 'GET', '/api/orders/today');
  assertStatus(t, 200);
  assert.deepEqual(t.json.items, []);
  const s = await call(C.token, 'GET', '/api/orders/stats/today');
  assertStatus(s, 200);
  assert.equal(s.json.count, 0);
  assert.equal(s.json.revenue, 0);
  assert.equal(s.json.average_check, 0);
  assert.equal(s.json.currency, 'UZS');
});
