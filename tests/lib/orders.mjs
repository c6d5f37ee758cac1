// Helpers for the catalogue, orders and sync API tests: a fresh shop (tenant,
// owner, POS-01 activated, a cashier signed in on it by PIN), a small catalogue
// built through the API with known recipes, order bodies that add up, stock
// levels, and direct SQL as postgres for what the API does not show.
import assert from 'node:assert/strict';
import { randomUUID, randomInt } from 'node:crypto';
import {
  call, assertStatus, newTenant, activate, createUser, pinLogin, psql, sqlLiteral,
} from './tenancy.mjs';

export const uuid = () => randomUUID();

// An RFC 3339 UTC time `ms` milliseconds from now (negative: in the past).
export const at = (ms = 0) => new Date(Date.now() + ms).toISOString();

// The same instant? (RFC 3339 strings in any offset or precision)
export function sameInstant(a, b, what = 'time') {
  assert.equal(typeof a, 'string', `${what}: a string`);
  assert.equal(Date.parse(a), Date.parse(b), `${what}: ${a} is not the instant ${b}`);
}

// POST and expect 201 with an id; returns the JSON.
export async function create(token, url, body) {
  const r = await call(token, 'POST', url, body);
  assertStatus(r, 201, `POST ${url} ${JSON.stringify(body).slice(0, 200)}`);
  assert.match(String(r.json.id), /^[0-9a-f-]{36}$/i, `${url}: the new object has an id`);
  return r.json;
}

// A fresh tenant ready to sell: { tenant, store, owner, device, token (owner),
// dev (activation answer), deviceToken, cashier, cashierToken, pin }.
export async function newShop(extra = {}) {
  const t = await newTenant({ base_currency: 'AZN', ...extra });
  const dev = await activate(t.device.device_key);
  const pin = String(randomInt(1000, 10000));
  const cashier = await createUser(t.token, { role: 'cashier', pin });
  const p = await pinLogin(dev.device_token, pin);
  assertStatus(p, 200, 'PIN sign-in of the cashier');
  return { ...t, dev, deviceToken: dev.device_token, cashier, pin, cashierToken: p.json.access_token };
}

// A small café, built through the API (owner or manager token):
//   ingredients coffee (g), milk (ml), cup (pcs);
//   group "Size" (single): S +0, M +50 (+50 ml milk); group "Extras"
//   (multiple): Shot +100 (+9 g coffee), Cinnamon +0 (no ingredient);
//   Latte 500 with recipe 18 g coffee, 250 ml milk, 1 cup, both groups;
//   Croissant 350 without a recipe (the product itself is stocked).
export async function buildCatalogue(token) {
  const drinks = await create(token, '/api/categories', { name: 'Drinks', sort: 1 });
  const bakery = await create(token, '/api/categories', { name: 'Bakery', sort: 2 });
  const coffee = await create(token, '/api/ingredients', { name: 'Coffee beans', unit: 'g', cost_per_unit: 4, min_qty: 1000 });
  const milk = await create(token, '/api/ingredients', { name: 'Milk', unit: 'ml', cost_per_unit: 0.3, min_qty: 5000 });
  const cup = await create(token, '/api/ingredients', { name: 'Cup', unit: 'pcs', cost_per_unit: 12, min_qty: 100 });
  const size = await create(token, '/api/modifier-groups', {
    name: 'Size', kind: 'single', required: true, min: 1, max: 1,
    modifiers: [{ name: 'S', price_delta: 0 }, { name: 'M', price_delta: 50, ingredient_id: milk.id, qty: 50 }],
  });
  const extras = await create(token, '/api/modifier-groups', {
    name: 'Extras', kind: 'multiple', required: false, min: 0, max: 2,
    modifiers: [{ name: 'Shot', price_delta: 100, ingredient_id: coffee.id, qty: 9 }, { name: 'Cinnamon', price_delta: 0 }],
  });
  const mod = (g, name) => {
    const m = g.modifiers.find((x) => x.name === name);
    assert.ok(m?.id, `modifier ${name} has an id`);
    return m;
  };
  const latte = await create(token, '/api/products', {
    name: 'Latte', category_id: drinks.id, price: 500, cost: 160, sku: `LAT-${uuid().slice(0, 8)}`,
    modifier_group_ids: [size.id, extras.id],
  });
  const croissant = await create(token, '/api/products', { name: 'Croissant', category_id: bakery.id, price: 350 });
  const recipe = await create(token, '/api/recipes', {
    product_id: latte.id,
    items: [{ ingredient_id: coffee.id, qty: 18 }, { ingredient_id: milk.id, qty: 250 }, { ingredient_id: cup.id, qty: 1 }],
  });
  return {
    drinks, bakery, coffee, milk, cup, size, extras, latte, croissant, recipe,
    S: mod(size, 'S'), M: mod(size, 'M'), shot: mod(extras, 'Shot'), cinnamon: mod(extras, 'Cinnamon'),
  };
}

// An order line: { product, qty, mods: [modifier objects], unit_price? }.
export function line(product, qty = 1, mods = [], unit_price) {
  const price = unit_price ?? product.price + mods.reduce((s, m) => s + m.price_delta, 0);
  return { product_id: product.id, qty, unit_price: price, modifiers: mods.map((m) => ({ id: m.id, price_delta: m.price_delta })) };
}

export const subtotal = (lines) => lines.reduce((s, l) => s + l.unit_price * l.qty, 0);

// An order body that adds up: one cash payment of the total unless payments
// are given.  { id, created_at, lines, discount, payments, currency, ...more };
// `currency` (the order's, when not the store's base) is sent only when given.
export function orderBody({ lines, discount, payments, currency, ...more } = {}) {
  assert.ok(lines?.length, 'an order needs lines');
  const total = subtotal(lines) - (discount || 0);
  const body = {
    id: uuid(),
    created_at: at(-1000),
    lines,
    payments: payments ?? [{ method: 'cash', currency: currency ?? 'AZN', amount: total }],
    ...more,
  };
  if (discount !== undefined) body.discount = discount;
  if (currency !== undefined) body.currency = currency;
  return body;
}

// The store's stock levels as GET /api/stock shows them: Map ingredient_id → item.
export async function stock(token) {
  const r = await call(token, 'GET', '/api/stock');
  assertStatus(r, 200, 'GET /api/stock');
  assert.ok(Array.isArray(r.json.items), '/api/stock: items');
  return new Map(r.json.items.map((i) => [i.ingredient_id, i]));
}

// Levels of several ingredients: { [id]: qty }.
export async function levels(token, ids) {
  const s = await stock(token);
  return Object.fromEntries(ids.map((id) => [id, s.get(id)?.qty ?? 0]));
}

// The stocked quantity of a product without a recipe (the API lists
// ingredients; products sold by the piece are read in the database).
export function productLevel(tenantId, productId) {
  const out = psql(`SELECT coalesce((SELECT qty FROM stock_levels WHERE tenant_id = ${sqlLiteral(tenantId)}
    AND item_id = ${sqlLiteral(productId)}), 0)`, { user: 'postgres' });
  return Number(out);
}

// As postgres (row-level security does not apply): one value or rows.
export const sql = (statement) => psql(statement, { user: 'postgres' });

export function orderCount(tenantId, orderId) {
  return Number(sql(`SELECT count(*) FROM orders WHERE tenant_id = ${sqlLiteral(tenantId)} AND id = ${sqlLiteral(orderId)}`));
}

export function tenantOrderCount(tenantId) {
  return Number(sql(`SELECT count(*) FROM orders WHERE tenant_id = ${sqlLiteral(tenantId)}`));
}

// POST /api/orders expecting a status; returns the response.
export async function postOrder(token, body, status = 201) {
  const r = await call(token, 'POST', '/api/orders', body);
  assertStatus(r, status, `POST /api/orders ${body?.id}`);
  return r;
}
