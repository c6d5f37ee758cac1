// Helpers for the till (PWA) tests: the demo owner's token (password + TOTP),
// a fresh device key for a test till, activation, the catalogue the till will
// sell from, and orders as the server stores them.
//
// The demo café (posctl seed-demo) allows 3 tills.  A test till is created
// under the name TILL-TEST-* while there is room; at the limit, the key of an
// existing TILL-TEST-* till is reset (its old token stops working), and only
// when there is none, the key of the newest other till.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { api, VARDIR } from './stack.mjs';
import { call, loginWith2fa, rememberTotp, assertStatus } from './tenancy.mjs';

export const DEMO_OWNER = 'owner@demo.pos';
export const DEMO_PASSWORD = 'demo-password-2026';
export const DEMO_PIN = '1234';
export const TEST_TILL_PREFIX = 'TILL-TEST';
const OWNER_TOKEN_FILE = path.join(VARDIR, 'test-demo-owner.token');

// The demo logins file that seed-demo wrote: { ownerSecret, deviceKey }.
export function demoLogins() {
  const file = path.join(VARDIR, 'demo-logins.txt');
  if (!existsSync(file)) throw new Error(`${file} missing: the stack has no demo café (posctl seed-demo)`);
  const text = readFileSync(file, 'utf8');
  const owner = text.match(/owner\s+\S+\s+TOTP secret\s+([A-Z2-7]+)/);
  const key = text.match(/device key:\s*([0-9A-Z-]+)/i);
  return { ownerSecret: owner?.[1], deviceKey: key?.[1] };
}

// The demo owner's access token; reuses a still valid one saved by another
// test process (every fresh login spends a TOTP step).
export async function ownerToken() {
  if (existsSync(OWNER_TOKEN_FILE)) {
    const saved = readFileSync(OWNER_TOKEN_FILE, 'utf8').trim();
    if (saved && (await call(saved, 'GET', '/api/devices?limit=1')).status === 200) return saved;
  }
  const { ownerSecret } = demoLogins();
  if (!ownerSecret) throw new Error('no owner TOTP secret in demo-logins.txt');
  rememberTotp(DEMO_OWNER, ownerSecret);
  const j = await loginWith2fa(DEMO_OWNER, DEMO_PASSWORD);
  writeFileSync(OWNER_TOKEN_FILE, j.access_token, { mode: 0o600 });
  return j.access_token;
}

// Every item of GET /api/devices (a plain list or {items}).
export async function listDevices(token) {
  const r = await call(token, 'GET', '/api/devices?limit=500');
  assertStatus(r, 200, 'GET /api/devices');
  return Array.isArray(r.json) ? r.json : r.json.items;
}

// A device key that activates once: { key, device } (device: id, name).
export async function freshDeviceKey(token, { name } = {}) {
  const devices = await listDevices(token);
  const live = devices.filter((d) => d.status !== 'revoked');
  const wanted = name || `${TEST_TILL_PREFIX}-${process.pid.toString(36)}-${Date.now().toString(36)}`.slice(0, 40);
  const created = await call(token, 'POST', '/api/devices', { name: wanted });
  if (created.status === 201) return { key: created.json.device_key, device: created.json };
  if (created.status !== 409) assertStatus(created, [201, 409], 'POST /api/devices');
  // at the limit (or the name is taken): reuse a test till, else the newest other one
  const byNewest = [...live].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const victim = byNewest.find((d) => d.name === wanted)
    || byNewest.find((d) => String(d.name).startsWith(TEST_TILL_PREFIX))
    || byNewest[0];
  assert.ok(victim, 'a device to reset');
  const r = await call(token, 'POST', `/api/devices/${victim.id}/reset-key`);
  assertStatus(r, 200, `reset-key ${victim.name}`);
  return { key: r.json.device_key, device: victim };
}

// POST /api/devices/activate from the test (not the page): {device_token, device}.
export async function activateKey(device_key) {
  const r = await api('POST', '/api/devices/activate', { body: { device_key } });
  assertStatus(r, 200, 'POST /api/devices/activate');
  return r.json;
}

export const activate = activateKey;

// Is the sync API there yet?  (The till test skips while it answers 404.)
export async function syncReady(deviceToken) {
  const r = await call(deviceToken, 'GET', '/api/sync/pull');
  return { ready: r.status !== 404 && r.status !== 405, status: r.status, json: r.json, text: r.text };
}

// The whole catalogue as the till sees it (GET /api/sync/pull from the start,
// following the cursor until it stops changing).
export async function pullAll(deviceToken) {
  const all = { products: [], categories: [], modifier_groups: [], rates: [] };
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const r = await call(deviceToken, 'GET', `/api/sync/pull${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    assertStatus(r, 200, 'GET /api/sync/pull');
    let n = 0;
    for (const k of Object.keys(all)) {
      for (const o of r.json.changes?.[k] || []) {
        const at = all[k].findIndex((x) => (x.id ?? x.currency) === (o.id ?? o.currency));
        if (at >= 0) all[k][at] = o; else all[k].push(o);
        n++;
      }
    }
    if (!n || r.json.cursor === cursor) break;
    cursor = r.json.cursor;
  }
  for (const k of ['products', 'categories', 'modifier_groups']) all[k] = all[k].filter((o) => o.is_active !== false);
  return all;
}

// A product with a required modifier group, in an active category: found in
// the catalogue, or created (category, groups, product) with the owner token.
// Returns { product, groups } as the till will show them.
export async function ensureSellable(deviceToken, owner) {
  const find = (cat) => {
    const groups = new Map(cat.modifier_groups.map((g) => [g.id, g]));
    const cats = new Set(cat.categories.map((c) => c.id));
    const usable = cat.products.filter((p) => cats.has(p.category_id));
    const withReq = usable.find((p) => (p.modifier_group_ids || []).some((id) => groups.get(id)?.required
      && (groups.get(id).modifiers || []).some((m) => m.is_active !== false)));
    return withReq ? { product: withReq, groups: (withReq.modifier_group_ids || []).map((id) => groups.get(id)).filter(Boolean) } : null;
  };
  let found = find(await pullAll(deviceToken));
  if (found) return found;
  const c = await call(owner, 'POST', '/api/categories', { name: 'Напитки (тест)', sort: 1 });
  assertStatus(c, 201, 'POST /api/categories');
  const size = await call(owner, 'POST', '/api/modifier-groups', {
    name: 'Размер', kind: 'single', required: true, min: 1, max: 1,
    modifiers: [{ name: 'S', price_delta: 0 }, { name: 'M', price_delta: 50 }, { name: 'L', price_delta: 100 }],
  });
  assertStatus(size, 201, 'POST /api/modifier-groups (size)');
  const toppings = await call(owner, 'POST', '/api/modifier-groups', {
    name: 'Топпинги', kind: 'multiple', required: false, min: 0, max: 3,
    modifiers: [{ name: 'Тапиока', price_delta: 80 }, { name: 'Сироп', price_delta: 40 }, { name: 'Корица', price_delta: 0 }],
  });
  assertStatus(toppings, 201, 'POST /api/modifier-groups (toppings)');
  const p = await call(owner, 'POST', '/api/products', {
    name: 'Латте (тест)', category_id: c.json.id, price: 450, modifier_group_ids: [size.json.id, toppings.json.id],
  });
  assertStatus(p, 201, 'POST /api/products');
  found = find(await pullAll(deviceToken));
  assert.ok(found, 'the product created for the test comes down through /api/sync/pull');
  return found;
}

// GET /api/orders/{id} with a token: the order or null (404).
export async function serverOrder(token, id) {
  const r = await call(token, 'GET', `/api/orders/${id}`);
  if (r.status === 404) return null;
  assertStatus(r, 200, `GET /api/orders/${id}`);
  return r.json;
}

// The sum the server must agree with: Σ unit_price×qty − discount.
export function orderTotal(order) {
  return order.lines.reduce((s, l) => s + l.unit_price * l.qty, 0) - (order.discount || 0);
}
