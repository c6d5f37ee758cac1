// Reports over HTTP: GET /api/reports/sales (day, hour, product, cashier,
// payment_method), /top-products and /pnl, exact to the minor unit over
// orders that span midnight in the store's time zone (Asia/Baku, UTC+4:
// 19:59Z and 20:01Z are different store days; hours are store hours),
// refunded and cancelled orders left out, discounts spread over products
// so they add up, split payments, costs from recipes, expenses; CSV export
// (parsed: BOM, header, RFC 4180 quoting, money as 12.50 in revenue_azn);
// bad dates and ranges are 400; another tenant's sales never show; an order
// is in the figures the moment it was acknowledged, with the aggregator held
// back, and the figures are the same once it has folded the order in (also
// when orders arrive while it folds); the rollups equal the orders; today's
// stats; expenses CRUD; roles; the dashboard home and reports page over a
// cookie session (figures, SVG chart, live fragment, CSV link).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BASE, VARDIR } from '../lib/stack.mjs';
import {
  call, assertError, assertStatus, createUser, login, loginWith2fa, nextTotp, sqlLiteral, pageLogin, page,
} from '../lib/tenancy.mjs';
import {
  uuid, at, create, newShop, buildCatalogue, line, orderBody, postOrder, sql,
} from '../lib/orders.mjs';

const A = {};
const B = {};
const DAY = 86400000;

// Store days (Asia/Baku is UTC+4 all year) and UTC instants.
const ymd = (ms) => new Date(ms).toISOString().slice(0, 10);
const X0 = Date.UTC(...(() => { const d = new Date(Date.now() - 10 * DAY); return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()]; })());
const X = ymd(X0);            // a store day ten days ago
const X1 = ymd(X0 + DAY);     // the next store day
const X3 = ymd(X0 + 3 * DAY);
const X5 = ymd(X0 + 5 * DAY);
const iso = (ms) => new Date(ms).toISOString();

// Half away from zero, as money_round.
const round = (x) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

// The product revenues of an order: total_base shared by line totals,
// each share rounded, the left-over given to the largest line.
function shares(order) {
  const sub = order.lines.reduce((s, l) => s + l.qty * l.unit_price, 0);
  const out = order.lines.map((l) => (sub === 0 ? 0 : round((order.total_base * l.qty * l.unit_price) / sub)));
  const rest = order.total_base - out.reduce((s, v) => s + v, 0);
  let k = 0;
  order.lines.forEach((l, i) => { if (l.qty * l.unit_price > order.lines[k].qty * order.lines[k].unit_price) k = i; });
  out[k] += rest;
  return out;
}

function report(token, url, headers) {
  return call(token, 'GET', url, undefined, headers);
}

async function ok(token, url) {
  const r = await report(token, url);
  assertStatus(r, 200, `GET ${url}`);
  return r.json;
}

// RFC 4180: quoted fields with "" for a quote, CRLF between records.
function parseCsv(text) {
  const rows = [];
  let row = [], f = '', i = 0, q = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(f); rows.push(row); row = []; f = ''; i++; }
    else f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}

// A transaction that holds an xid open keeps every later order above the
// aggregator's reach (it folds only below the oldest running transaction).
function holdAggregator() {
  const p = spawn('psql', ['-X', '-q', '-At', '-h', path.join(VARDIR, 'pgrun'), '-U', 'postgres', '-d', 'pos'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  const ready = new Promise((resolve, reject) => {
    p.stdout.once('data', (d) => resolve(String(d).trim()));
    p.once('error', reject);
  });
  p.stdin.write('BEGIN; SELECT pg_current_xact_id();\n');
  return {
    ready,
    release: () => new Promise((resolve) => { p.once('exit', resolve); p.stdin.end('COMMIT;\n'); }),
  };
}

const foldAll = () => Number(sql('SELECT rollup_fold_all(1000000)'));
const isFolded = (tenantId, orderId) => sql(`SELECT o.fold_xid < coalesce(w.fold_xid, '0') FROM orders o
  LEFT JOIN rollup_watermarks w ON w.tenant_id = o.tenant_id
  WHERE o.tenant_id = ${sqlLiteral(tenantId)} AND o.id = ${sqlLiteral(orderId)}`) === 't';

before(async () => {
  Object.assign(A, await newShop({ time_zone: 'Asia/Baku' }));
  Object.assign(B, await newShop({ time_zone: 'Asia/Baku' }));
  A.cat = await buildCatalogue(A.token);
  B.cat = await buildCatalogue(B.token);
  const mgr = await createUser(A.token, { role: 'manager' });
  A.managerToken = (await loginWith2fa(mgr.email, mgr.password)).access_token;
  const cook = await createUser(A.token, { role: 'cook' });
  A.cookToken = (await login(cook.email, cook.password)).json.access_token;

  const c = A.cat;
  // o1: 23:59:30 in Baku on X (19:59:30Z), no cashier (device token), a discount
  A.o1 = (await postOrder(A.deviceToken, orderBody({
    created_at: iso(X0 + 19 * 3600e3 + 59 * 60e3 + 30e3),
    lines: [line(c.latte, 2, [c.M, c.shot]), line(c.croissant, 1)], discount: 100,
  }))).json;
  // o2: 00:01 in Baku on X+1 (20:01Z on X), the cashier, by card
  A.o2 = (await postOrder(A.cashierToken, orderBody({
    created_at: iso(X0 + 20 * 3600e3 + 60e3),
    lines: [line(c.croissant, 3)], payments: [{ method: 'card', currency: 'AZN', amount: 1050 }],
  }))).json;
  // o3: 00:30 on X+1, refunded later
  A.o3 = (await postOrder(A.deviceToken, orderBody({
    created_at: iso(X0 + 20 * 3600e3 + 30 * 60e3), lines: [line(c.latte, 1, [c.S])],
  }))).json;
  // o4: 12:15 on X+1, the cashier, split cash + card
  A.o4 = (await postOrder(A.cashierToken, orderBody({
    created_at: iso(X0 + DAY + 8 * 3600e3 + 15 * 60e3), lines: [line(c.latte, 1, [c.S])],
    payments: [{ method: 'cash', currency: 'AZN', amount: 300 }, { method: 'card', currency: 'AZN', amount: 200 }],
  }))).json;
  // B sells on X too: never in A's figures
  B.o1 = (await postOrder(B.deviceToken, orderBody({
    created_at: iso(X0 + 10 * 3600e3), lines: [line(B.cat.croissant, 1)],
  }))).json;
});

// ---------------------------------------------------------------- sales
test('sales by day: orders 2 minutes apart across the store\'s midnight fall on their store days; a refund leaves', async () => {
  const before = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=day`);
  assert.equal(before.currency, 'AZN');
  assert.deepEqual(before.items.map((i) => [i.key, i.date, i.count, i.revenue, i.currency]), [
    [X, X, 1, 1550, 'AZN'],
    [X1, X1, 3, 1050 + 500 + 500, 'AZN'],
  ]);
  assert.deepEqual(before.totals, { count: 4, revenue: 3600, average_check: 900, cogs: before.totals.cogs });

  // the aggregator has folded o3 in; the refund must take it back out
  foldAll();
  assert.ok(isFolded(A.tenant.id, A.o3.id), 'o3 folded before its refund');
  const rf = await call(A.managerToken, 'POST', `/api/orders/${A.o3.id}/refund`, { reason: 'wrong drink' });
  assertStatus(rf, 200, 'refund o3');
  const after = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}`);
  assert.deepEqual(after.items.map((i) => [i.date, i.count, i.revenue, i.average_check]), [
    [X, 1, 1550, 1550],
    [X1, 2, 1550, 775],
  ]);
  assert.deepEqual([after.totals.count, after.totals.revenue, after.totals.average_check], [3, 3100, 1033]);
  foldAll();
  const folded = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}`);
  assert.deepEqual(folded, after, 'the same figures once the refund is folded in');
});

test('a single day and a range where nothing sold: every day listed, zeros', async () => {
  const one = await ok(A.token, `/api/reports/sales?from=${X}&to=${X}`);
  assert.deepEqual(one.items.map((i) => [i.date, i.count, i.revenue]), [[X, 1, 1550]]);
  const none = await ok(A.token, `/api/reports/sales?from=${X3}&to=${X5}`);
  assert.equal(none.items.length, 3);
  assert.ok(none.items.every((i) => i.count === 0 && i.revenue === 0 && i.average_check === 0));
  assert.deepEqual(none.totals, { count: 0, revenue: 0, average_check: 0, cogs: 0 });
});

test('sales by hour are store hours: 23, 0 and 12 in Baku for 19:59Z, 20:01Z and 08:15Z', async () => {
  const r = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=hour`);
  assert.equal(r.items.length, 24);
  assert.deepEqual(r.items.map((i) => i.hour), [...Array(24).keys()]);
  const nz = r.items.filter((i) => i.count !== 0).map((i) => [i.key, i.count, i.revenue]);
  assert.deepEqual(nz, [[0, 1, 1050], [12, 1, 500], [23, 1, 1550]]);
});

test('sales by product: quantities, orders and revenue shares that add up to the totals exactly', async () => {
  const r = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=product`);
  const [l1, c1] = shares(A.o1);  // latte line, croissant line of o1
  const want = new Map([
    [A.cat.latte.id, { name: 'Latte', qty: 3, count: 2, revenue: l1 + 500 }],
    [A.cat.croissant.id, { name: 'Croissant', qty: 4, count: 2, revenue: c1 + 1050 }],
  ]);
  assert.equal(r.items.length, 2);
  for (const it of r.items) {
    const w = want.get(it.product_id);
    assert.ok(w, `unexpected product ${it.product_id}`);
    assert.equal(it.key, it.product_id);
    assert.deepEqual([it.name, it.qty, it.count, it.revenue], [w.name, w.qty, w.count, w.revenue]);
  }
  assert.equal(r.items.reduce((s, i) => s + i.revenue, 0), r.totals.revenue, 'products add up to the total');
  assert.ok(r.items[0].revenue >= r.items[1].revenue, 'by revenue');
});

test('sales by cashier (a till without one is null) and by payment method (split payments in both)', async () => {
  const c = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=cashier`);
  const byCashier = Object.fromEntries(c.items.map((i) => [i.cashier_id ?? 'none', [i.email ?? null, i.count, i.revenue, i.average_check]]));
  assert.deepEqual(byCashier, {
    none: [null, 1, 1550, 1550],
    [A.cashier.id]: [A.cashier.email, 2, 1550, 775],
  });
  const m = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=payment_method`);
  const byMethod = Object.fromEntries(m.items.map((i) => [i.method, [i.key, i.count, i.revenue]]));
  assert.deepEqual(byMethod, { cash: ['cash', 2, 1550 + 300], card: ['card', 2, 1050 + 200] });
});

test('top products by revenue; limit', async () => {
  const r = await ok(A.managerToken, `/api/reports/top-products?from=${X}&to=${X1}`);
  const [l1, c1] = shares(A.o1);
  assert.deepEqual(r.items.map((i) => [i.product_id, i.name, i.qty, i.revenue]), [
    [A.cat.latte.id, 'Latte', 3, l1 + 500],
    [A.cat.croissant.id, 'Croissant', 4, c1 + 1050],
  ].sort((a, b) => b[3] - a[3]));
  const one = await ok(A.managerToken, `/api/reports/top-products?from=${X}&to=${X1}&limit=1`);
  assert.equal(one.items.length, 1);
  assert.equal(one.items[0].revenue, Math.max(l1 + 500, c1 + 1050));
});

// ---------------------------------------------------------------- PnL and expenses
test('expenses: categories and expenses CRUD, soft delete, validation', async () => {
  const cat = await create(A.managerToken, '/api/expense-categories', { name: 'Rent' });
  assert.equal(cat.name, 'Rent');
  const dup = await call(A.managerToken, 'POST', '/api/expense-categories', { name: 'rent' });
  assertError(dup, 409, 'conflict');
  const e1 = await create(A.managerToken, '/api/expenses', { category_id: cat.id, amount: 10000, spent_on: X1, note: 'November' });
  assert.deepEqual([e1.amount, e1.currency, e1.amount_base, e1.rate, e1.spent_on, e1.category], [10000, 'AZN', 10000, '1.0000000000', X1, 'Rent']);
  const e2 = await create(A.managerToken, '/api/expenses', { category_id: cat.id, amount: 700, spent_on: X5 });
  const e3 = await create(A.managerToken, '/api/expenses', { category_id: cat.id, amount: 333, spent_on: X });
  const p = await call(A.managerToken, 'PATCH', `/api/expenses/${e3.id}`, { amount: 444 });
  assertStatus(p, 200, 'PATCH expense');
  assert.deepEqual([p.json.amount, p.json.amount_base], [444, 444]);
  const d = await call(A.managerToken, 'DELETE', `/api/expenses/${e3.id}`);
  assertStatus(d, 200, 'DELETE expense');
  assert.equal(d.json.is_active, false);
  const g = await call(A.managerToken, 'GET', `/api/expenses/${e3.id}`);
  assert.equal(g.json.is_active, false, 'a deleted expense is still readable');
  const list = await ok(A.managerToken, `/api/expenses?from=${X}&to=${X1}`);
  assert.deepEqual(list.items.map((i) => [i.id, i.is_active]), [[e1.id, true], [e3.id, false]]);
  A.expenses = { e1, e2 };

  for (const [body, field] of [
    [{ category_id: cat.id }, 'amount'],
    [{ category_id: cat.id, amount: 0 }, 'amount'],
    [{ category_id: uuid(), amount: 5 }, 'category_id'],
    [{ category_id: cat.id, amount: 5, spent_on: '2026-02-30' }, 'spent_on'],
    [{ category_id: cat.id, amount: 5, currency: 'usd' }, 'currency'],
    [{ category_id: cat.id, amount: 5, currency: 'XTS' }, 'currency'],   // no rate for it
    [{ category_id: cat.id, amount: 5, colour: 'red' }, 'colour'],
  ]) {
    assertError(await call(A.managerToken, 'POST', '/api/expenses', body), 400, 'validation_failed', field);
  }
  assertError(await call(A.managerToken, 'GET', `/api/expenses/${uuid()}`), 404, 'not_found');
  // another tenant's category is not there
  const bc = await create(B.token, '/api/expense-categories', { name: 'Rent' });
  assertError(await call(A.managerToken, 'POST', '/api/expenses', { category_id: bc.id, amount: 5 }), 400, 'validation_failed', 'category_id');
});

test('PnL: revenue - cost of goods from recipes - expenses of the period', async () => {
  // latte: 18 g coffee x 4 + 250 ml milk x 0.3 + 1 cup x 12 = 159; M adds 50 ml (15), a shot 9 g (36);
  // croissant has no recipe and no cost: 0.  o1: 2 x (159 + 15 + 36); o4: 159.  o3 was refunded.
  const cogs = 2 * (159 + 15 + 36) + 159;
  const r = await ok(A.managerToken, `/api/reports/pnl?from=${X}&to=${X1}`);
  assert.deepEqual(r, {
    revenue: 3100, cogs, gross_profit: 3100 - cogs, expenses: 10000, profit: 3100 - cogs - 10000,
    currency: 'AZN', from: X, to: X1,
  });
  const later = await ok(A.managerToken, `/api/reports/pnl?from=${X3}&to=${X5}`);
  assert.deepEqual([later.revenue, later.cogs, later.expenses, later.profit], [0, 0, 700, -700]);
  const product = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=product`);
  assert.equal(product.items.reduce((s, i) => s + i.cogs, 0), cogs, 'product costs add up');
});

// ---------------------------------------------------------------- CSV
test('CSV by Accept: text/csv and by ?format=csv: attachment, BOM, header, money in major units', async () => {
  const r = await report(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=day`, { accept: 'text/csv' });
  assertStatus(r, 200, 'CSV');
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="sales-day-\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d\.csv"$/);
  const raw = Buffer.from(await (await fetch(BASE + `/api/reports/sales?from=${X}&to=${X1}&format=csv`, {
    headers: { authorization: `Bearer ${A.managerToken}` },
  })).arrayBuffer());
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
  const text = raw.subarray(3).toString('utf8');
  assert.match(text, /\r\n$/);
  assert.deepEqual(parseCsv(text), [
    ['date', 'orders', 'revenue_azn', 'average_check_azn'],
    [X, '1', '15.50', '15.50'],
    [X1, '2', '15.50', '7.75'],
  ]);
  const pnl = parseCsv((await report(A.managerToken, `/api/reports/pnl?from=${X}&to=${X1}&format=csv`)).text.replace(/^\uFEFF/, ''));
  assert.deepEqual(pnl[0], ['from', 'to', 'revenue_azn', 'cogs_azn', 'expenses_azn', 'profit_azn']);
  assert.deepEqual(pnl[1].slice(2), ['31.00', '5.79', '100.00', '-74.79']);
});

test('CSV quoting: commas, quotes, line breaks and formula-like names survive a round trip', async () => {
  const c = A.cat;
  const odd = await create(A.managerToken, '/api/products', { name: 'Tea, "green"\nbig', category_id: c.drinks.id, price: 1205 });
  const formula = await create(A.managerToken, '/api/products', { name: '=SUM(A1:A9)', category_id: c.drinks.id, price: 99 });
  await postOrder(A.deviceToken, orderBody({ created_at: iso(X0 + 3 * DAY + 6 * 3600e3), lines: [line(odd, 2), line(formula, 1)] }));
  const r = await report(A.managerToken, `/api/reports/top-products?from=${X3}&to=${X3}&format=csv`);
  assertStatus(r, 200, 'CSV');
  const rows = parseCsv(r.text.replace(/^\uFEFF/, ''));
  assert.deepEqual(rows, [
    ['product_id', 'name', 'qty', 'orders', 'revenue_azn'],
    [odd.id, 'Tea, "green"\nbig', '2', '1', '24.10'],
    [formula.id, "'=SUM(A1:A9)", '1', '1', '0.99'],
  ]);
  const cashier = parseCsv((await report(A.managerToken, `/api/reports/sales?from=${X}&to=${X1}&group=cashier&format=csv`)).text.replace(/^\uFEFF/, ''));
  assert.deepEqual(cashier[0], ['cashier_id', 'email', 'orders', 'revenue_azn', 'average_check_azn']);
  assert.equal(cashier.length, 3);
});

// ---------------------------------------------------------------- bad input, roles, tenants
test('bad dates, ranges, groups, limits and formats are 400 validation_failed naming the field', async () => {
  for (const [q, field] of [
    ['from=2026-02-30&to=2026-03-01', 'from'],
    ['from=2026-13-01&to=2026-12-01', 'from'],
    ['from=20261101&to=2026-11-02', 'from'],
    ['from=2026-11-01T00:00&to=2026-11-02', 'from'],
    ['from=&to=2026-11-02', 'from'],
    ['from=2026-11-02&to=2026-11-01', 'to'],
    ['from=2025-01-01&to=2026-01-02', 'to'],        // 367 days
    ['from=2026-11-01&to=2026-11-1', 'to'],
    ['from=2026-11-01&to=2026-11-02&group=week', 'group'],
    ['from=2026-11-01&to=2026-11-02&format=xml', 'format'],
  ]) {
    assertError(await report(A.managerToken, `/api/reports/sales?${q}`), 400, 'validation_failed', field);
  }
  const year = await report(A.managerToken, '/api/reports/sales?from=2024-01-01&to=2024-12-31');
  assertStatus(year, 200, '366 days (a leap year) is allowed');
  assert.equal(year.json.items.length, 366);
  for (const l of ['0', '101', 'x', '-1', '1.5']) {
    assertError(await report(A.managerToken, `/api/reports/top-products?limit=${l}`), 400, 'validation_failed', 'limit');
  }
  assertError(await report(A.managerToken, '/api/reports/pnl?from=2026-02-29'), 400, 'validation_failed', 'from');
});

test('manager+ only: a cook is 403; a till, a cashier token and nobody are 401', async () => {
  for (const url of ['/api/reports/sales', '/api/reports/top-products', '/api/reports/pnl', '/api/expenses', '/api/expense-categories']) {
    assertError(await report(A.cookToken, url), 403, 'forbidden');
    assertError(await report(A.deviceToken, url), 401, 'unauthorized');
    assertError(await report(A.cashierToken, url), 401, 'unauthorized');
    assertError(await report(null, url), 401, 'unauthorized');
  }
  assertStatus(await report(A.token, '/api/reports/sales'), 200, 'the owner');
});

test('another tenant\'s sales and expenses never show', async () => {
  const a = await ok(A.managerToken, `/api/reports/sales?from=${X}&to=${X}&group=product`);
  assert.ok(a.items.every((i) => i.product_id !== B.cat.croissant.id));
  assert.equal(a.totals.revenue, 1550);
  const b = await ok(B.token, `/api/reports/sales?from=${X}&to=${X1}`);
  assert.deepEqual([b.totals.count, b.totals.revenue], [1, 350]);
  const bp = await ok(B.token, `/api/reports/pnl?from=${X}&to=${X5}`);
  assert.deepEqual([bp.revenue, bp.expenses], [350, 0]);
  const bt = await ok(B.token, `/api/reports/top-products?from=${X}&to=${X5}`);
  assert.deepEqual(bt.items.map((i) => i.product_id), [B.cat.croissant.id]);
});

// ---------------------------------------------------------------- exact at once
test('an order is in the report the moment it is acknowledged, with the aggregator held back; the same once folded', async () => {
  const today = (await ok(A.managerToken, '/api/orders/stats/today')).date;
  const url = `/api/reports/sales?from=${today}&to=${today}&group=payment_method`;
  foldAll();
  const base = await ok(A.managerToken, url);
  const hold = holdAggregator();
  await hold.ready;
  let o;
  try {
    o = (await postOrder(A.deviceToken, orderBody({
      created_at: at(-1000), lines: [line(A.cat.croissant, 2)],
      payments: [{ method: 'qr', currency: 'AZN', amount: 700 }],
    }))).json;
    const now = await ok(A.managerToken, url);
    assert.equal(now.totals.count, base.totals.count + 1, 'counted at once');
    assert.equal(now.totals.revenue, base.totals.revenue + 700);
    const qr = now.items.find((i) => i.method === 'qr');
    assert.equal(qr?.revenue, (base.items.find((i) => i.method === 'qr')?.revenue ?? 0) + 700);
    assert.equal(foldAll() >= 0, true);
    assert.equal(isFolded(A.tenant.id, o.id), false, 'not folded while an older transaction runs');
    A.pending = now;
  } finally {
    await hold.release();
  }
  foldAll();
  assert.ok(isFolded(A.tenant.id, o.id), 'folded once the older transaction ended');
  assert.deepEqual(await ok(A.managerToken, url), A.pending, 'the same figures from the rollups');
});

test('orders that arrive while the aggregator folds are counted exactly once', async () => {
  const day = X5;
  let folding = true;
  const folder = (async () => { while (folding) { foldAll(); await new Promise((r) => setTimeout(r, 5)); } })();
  const bodies = Array.from({ length: 24 }, (_, i) => orderBody({
    created_at: iso(Date.parse(`${day}T00:00:00Z`) + i * 600e3), lines: [line(A.cat.croissant, 1 + (i % 3))],
  }));
  const res = await Promise.all(bodies.map((b, i) => postOrder(i % 2 ? A.cashierToken : A.deviceToken, b)));
  const cancelled = res[5].json;
  assertStatus(await call(A.managerToken, 'POST', `/api/orders/${cancelled.id}/cancel`, { reason: 'test' }), 200, 'cancel');
  folding = false;
  await folder;
  foldAll();
  const want = res.filter((r) => r.json.id !== cancelled.id).reduce((s, r) => s + r.json.total_base, 0);
  const got = await ok(A.managerToken, `/api/reports/sales?from=${day}&to=${day}`);
  assert.deepEqual([got.totals.count, got.totals.revenue], [23, want]);
});

test('migration 0006: the dashboard and the sales report keep generic plans; parallel query is off for the database', () => {
  const conf = sql(`SELECT proname || '=' || array_to_string(proconfig, ',') FROM pg_proc
    WHERE proname IN ('report_dashboard', 'report_sales') ORDER BY 1`).split('\n');
  assert.deepEqual(conf, ['report_dashboard=plan_cache_mode=force_generic_plan', 'report_sales=plan_cache_mode=force_generic_plan']);
  const db = sql(`SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
    WHERE d.datname = current_database() AND s.setrole = 0`);
  assert.match(db, /(^|,)max_parallel_workers_per_gather=0(,|$)/);
});

test('the rollups equal the orders themselves (as postgres: hours, products, payments)', async () => {
  foldAll();
  const t = sqlLiteral(A.tenant.id);
  const diff = sql(`WITH d AS (
      SELECT (o.created_at AT TIME ZONE s.time_zone)::date AS day, extract(hour FROM o.created_at AT TIME ZONE s.time_zone)::int AS hour,
             count(*) AS n, sum(o.total_base) AS rev
      FROM orders o JOIN stores s ON s.id = o.store_id WHERE o.tenant_id = ${t} AND o.status = 'paid' GROUP BY 1, 2),
    r AS (SELECT day, hour::int, orders AS n, revenue AS rev FROM rollup_sales_hourly WHERE tenant_id = ${t} AND (orders <> 0 OR revenue <> 0))
    SELECT (SELECT count(*) FROM (SELECT * FROM d EXCEPT SELECT * FROM r) x) + (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM d) y)`);
  assert.equal(diff, '0');
  const sums = sql(`SELECT (SELECT sum(total_base) FROM orders WHERE tenant_id = ${t} AND status = 'paid')
      - (SELECT sum(revenue) FROM rollup_product_daily WHERE tenant_id = ${t}),
    (SELECT sum(p.amount_base) FROM order_payments p JOIN orders o ON o.tenant_id = p.tenant_id AND o.id = p.order_id
      WHERE o.tenant_id = ${t} AND o.status = 'paid') - (SELECT sum(amount) FROM rollup_payment_daily WHERE tenant_id = ${t}),
    (SELECT sum(l.qty) FROM order_lines l JOIN orders o ON o.tenant_id = l.tenant_id AND o.id = l.order_id
      WHERE o.tenant_id = ${t} AND o.status = 'paid') - (SELECT sum(qty) FROM rollup_product_daily WHERE tenant_id = ${t})`);
  assert.equal(sums, '0|0|0');
});

test('GET /api/orders/stats/today from the rollups equals the sum of today\'s paid orders', async () => {
  const s = await ok(A.managerToken, '/api/orders/stats/today');
  const list = (await ok(A.managerToken, '/api/orders/today')).items.filter((o) => o.status === 'paid');
  const rev = list.reduce((x, o) => x + o.total_base, 0);
  assert.deepEqual([s.count, s.revenue, s.average_check, s.currency], [list.length, rev, list.length ? round(rev / list.length) : 0, 'AZN']);
  const dev = await ok(A.deviceToken, '/api/orders/stats/today');
  assert.deepEqual(dev, s, 'the till sees the same');
});

// ---------------------------------------------------------------- pages

test('the sidebar shows what the role may open: all of it to a manager+, the kitchen to a cook, the apps to a visitor', async () => {
  const links = (html) => new Set([...html.matchAll(/<a class="nav-link" href="([^"]+)"/g)].map((m) => m[1]));
  const titles = (html) => [...html.matchAll(/<p class="nav-title" id="nav-title-(\w+)"/g)].map((m) => m[1]);
  const ownerCookie = await pageLogin(A.email, A.password);
  const owner = links(await (await page(ownerCookie, '/dashboard')).text());
  for (const href of ['/dashboard', '/pos/', '/kitchen', '/dashboard/orders', '/dashboard/products', '/dashboard/recipes',
    '/dashboard/stock', '/dashboard/reports', '/dashboard/settings', '/dashboard/devices', '/dashboard/users', '/docs']) {
    assert.ok(owner.has(href), `the owner's sidebar links ${href}`);
  }
  for (const href of owner) {
    if (href === '/pos/') continue;	// nginx's, not a page of the workers
    assert.equal((await page(ownerCookie, href)).status, 200, `the owner opens ${href}`);
  }
  const ownerHtml = await (await page(ownerCookie, '/dashboard/settings')).text();
  assert.deepEqual(titles(ownerHtml), ['operations', 'catalogue', 'reports', 'settings'], 'the four sections of the seed');

  // a cook who opens the dashboard: 403, and a sidebar of what a cook may open
  const cook = await createUser(A.token, { role: 'cook' });
  const denied = await page(await pageLogin(cook.email, cook.password), '/dashboard');
  assert.equal(denied.status, 403);
  const cookHtml = await denied.text();
  assert.deepEqual([...links(cookHtml)].sort(), ['/docs', '/kitchen'], 'a cook: the kitchen and the documentation');
  assert.deepEqual(titles(cookHtml), ['operations', 'settings']);

  const visitor = await (await fetch(`${BASE}/`)).text();
  assert.deepEqual([...links(visitor)].sort(), ['/dashboard', '/docs', '/kitchen', '/pos/'], 'signed out: the three apps and the documentation');
});

test('dashboard home: today against the same weekday last week, SVG chart, top products, latest orders; the live fragment', async () => {
  const S = await newShop({ time_zone: 'Asia/Baku' });
  S.cat = await buildCatalogue(S.token);
  const local = new Date(Date.now() + 4 * 3600e3);
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  // orders a few seconds old must be on the store's today
  if (minutes < 2) await new Promise((r) => setTimeout(r, (2 - minutes) * 60e3));
  // last week, a little earlier in the day: 1000; today: 1500 (+50 %)
  await postOrder(S.deviceToken, orderBody({ created_at: at(-7 * DAY - 30e3), lines: [line(S.cat.latte, 2, [S.cat.S])] }));
  await postOrder(S.deviceToken, orderBody({ created_at: at(-20e3), lines: [line(S.cat.latte, 3, [S.cat.S])] }));
  const cookie = await pageLogin(S.email, S.password);
  const r = await page(cookie, '/dashboard');
  assert.equal(r.status, 200);
  const html = await r.text();
  assert.match(html, /id="revenue-today">15\.00</);
  assert.match(html, /id="orders-today">1</);
  assert.match(html, /<svg id="hourly-chart" viewBox="0 0 720 200"/);
  const svg = html.match(/<svg id="hourly-chart"[\s\S]*?<\/svg>/)[0];
  assert.equal((svg.match(/<rect /g) || []).length, 24, 'a bar per hour');
  assert.equal((svg.match(/<text /g) || []).length, 25, 'hour labels and the scale');
  assert.match(html, /id="top-table"[\s\S]*Latte/);
  assert.match(html, /id="latest-table"[\s\S]*#1</);
  assert.match(html, /<script src="\/static\/js\/dashboard\.js\?v=[0-9a-f]{16}" nonce="[^"]+" defer><\/script>/);
  assert.doesNotMatch(html, /style=/, 'no inline styles (CSP)');
  assert.match(html, /id="tills-count"/, 'the store, tills and staff stay');
  assert.match(html, /data-dir="up">▲ \+50 %</, 'revenue +50 % against last week');
  // the fragment is the figures alone
  const f = await page(cookie, '/dashboard?fragment=figures');
  assert.equal(f.status, 200);
  const frag = await f.text();
  assert.match(frag.trimStart(), /^<div class="stats" id="today-stats">/);
  assert.doesNotMatch(frag, /<html|<body|tills-count/);
  await postOrder(S.cashierToken, orderBody({ created_at: at(-1000), lines: [line(S.cat.croissant, 1)] }));
  const again = await (await page(cookie, '/dashboard?fragment=figures')).text();
  assert.match(again, /id="revenue-today">18\.50</, 'the new order at once');
  assert.match(again, /id="orders-today">2</);
  assert.equal((await page(cookie, '/dashboard?fragment=other')).status, 404);
});

test('reports page: GET form, table, totals, PnL, CSV links that work with the session; bad dates marked', async () => {
  const cookie = await pageLogin(A.email, A.password);
  const r = await page(cookie, `/dashboard/reports?from=${X}&to=${X1}&group=payment_method`);
  assert.equal(r.status, 200);
  const html = await r.text();
  assert.match(html, /<form class="form" method="get" action="\/dashboard\/reports"/);
  assert.match(html, /id="total-revenue">31\.00</);
  assert.match(html, /id="total-orders">3</);
  assert.match(html, /id="pnl-table"/);
  assert.match(html, /<option value="payment_method" selected>/);
  const link = html.match(/href="([^"]+)" id="csv-sales"/);
  assert.ok(link?.[1], 'a CSV link');
  const href = link[1].replace(/&amp;/g, '&');
  assert.equal(href, `/api/reports/sales?from=${X}&to=${X1}&group=payment_method&format=csv`);
  const csv = await page(cookie, href);
  assert.equal(csv.status, 200);
  assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.deepEqual(parseCsv((await csv.text()).replace(/^\uFEFF/, ''))[0], ['method', 'orders', 'revenue_azn', 'average_check_azn']);
  const day = await (await page(cookie, `/dashboard/reports?from=${X}&to=${X1}`)).text();
  assert.match(day, /<svg id="report-chart"/);
  const bad = await page(cookie, `/dashboard/reports?from=${X1}&to=${X}`);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /id="r-to" name="to" type="date" value="[^"]*" aria-invalid="true"/);
});
