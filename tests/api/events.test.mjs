// GET /api/events: Server-Sent Events of the store's orders and kitchen
// changes, served by posev apart from the API workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api } from '../lib/stack.mjs';
import { newTenant, call, activate, psql, psqlSession } from '../lib/tenancy.mjs';

// Open a stream and collect its events; returns {events, comments, close()}.
async function open(url, headers = {}) {
  const ac = new AbortController();
  const res = await fetch(BASE + url, { headers, signal: ac.signal });
  const out = { status: res.status, headers: res.headers, events: [], comments: [], close: () => ac.abort() };
  if (res.status !== 200) {
    out.body = await res.text();
    return out;
  }
  (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) out.comments.push(line);
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
            else if (line.startsWith('data: ')) ev.data = JSON.parse(line.slice(6));
          }
          if (ev.data) out.events.push(ev);
        }
      }
    } catch { /* aborted */ }
  })();
  return out;
}

const waitFor = async (fn, ms = 2000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  return fn();
};

// A tenant that can sell: owner token, an active till and one product.
async function shop() {
  const t = await newTenant();
  const dev = await activate(t.device.device_key);
  const cat = await call(t.token, 'POST', '/api/categories', { name: 'Drinks' });
  const prod = await call(t.token, 'POST', '/api/products', { name: 'Tea', category_id: cat.json.id, price: 300 });
  const cook = await call(t.token, 'POST', '/api/users', { email: `cook-${Date.now()}@ev.test`, password: 'cook-password-12', role: 'cook' });
  const cl = await api('POST', '/api/auth/login', { body: { email: cook.json.email, password: 'cook-password-12' } });
  return { t, deviceToken: dev.device_token, product: prod.json, cookToken: cl.json.access_token };
}

function order(product) {
  return {
    id: crypto.randomUUID(), created_at: new Date().toISOString(),
    lines: [{ product_id: product.id, qty: 1, unit_price: 300, modifiers: [] }],
    payments: [{ method: 'cash', currency: 'AZN', amount: 300 }],
  };
}

test('a stream needs a caller: no token is 401 JSON', async () => {
  const s = await open('/api/events');
  assert.equal(s.status, 401);
  assert.equal(JSON.parse(s.body).error.code, 'unauthorized');
});

test('a sale and a kitchen change reach the store’s streams within 2 s, never another store’s', async () => {
  const a = await shop();
  const b = await shop();
  const sa = await open(`/api/events?access_token=${encodeURIComponent(a.cookToken)}`);
  const sb = await open('/api/events', { authorization: `Bearer ${b.cookToken}` });
  assert.equal(sa.status, 200);
  assert.match(sa.headers.get('content-type'), /^text\/event-stream/);
  try {
    const o = order(a.product);
    const t0 = Date.now();
    const r = await call(a.deviceToken, 'POST', '/api/orders', o);
    assert.equal(r.status, 201, r.text);
    const ev = await waitFor(() => sa.events.find((e) => e.data.id === o.id && e.data.type === 'order'));
    assert.ok(ev, 'order event arrived');
    assert.ok(Date.now() - t0 < 2000, `within 2 s (${Date.now() - t0} ms)`);
    assert.match(ev.id, /^\d+$/);
    const k = await call(a.cookToken, 'POST', `/api/kitchen/orders/${o.id}/status`, { status: 'cooking' });
    assert.equal(k.status, 200, k.text);
    const kev = await waitFor(() => sa.events.find((e) => e.data.id === o.id && e.data.type === 'kitchen'));
    assert.equal(kev?.data.kitchen_status, 'cooking');
    await new Promise((r2) => setTimeout(r2, 300));
    assert.ok(!sb.events.some((e) => e.data.id === o.id), 'the other store heard nothing');
  } finally {
    sa.close();
    sb.close();
  }
});

test('events keep flowing while the rollup fold waits (a fold has its own thread and connection)', { timeout: 30000 }, async () => {
  const a = await shop();
  const s = await open('/api/events', { authorization: `Bearer ${a.cookToken}` });
  // the hourly rollup locked as a long transaction would: the next fold waits on it
  const lock = psqlSession();
  await lock.run('BEGIN; LOCK TABLE rollup_sales_hourly IN EXCLUSIVE MODE');
  try {
    const o1 = order(a.product);
    assert.equal((await call(a.deviceToken, 'POST', '/api/orders', o1)).status, 201);
    assert.ok(await waitFor(() => s.events.find((e) => e.data.id === o1.id)), 'the first order\'s event');
    const folding = () => Number(psql(`SELECT count(*) FROM pg_stat_activity
      WHERE wait_event_type = 'Lock' AND query LIKE '%rollup_fold_all%'`, { user: 'postgres' }));
    assert.ok(await waitFor(folding, 5000), 'posev\'s fold waits on the locked rollup');
    const o2 = order(a.product);
    const t0 = Date.now();
    assert.equal((await call(a.deviceToken, 'POST', '/api/orders', o2)).status, 201);
    assert.ok(await waitFor(() => s.events.find((e) => e.data.id === o2.id)), 'the next order\'s event arrives while the fold waits');
    assert.ok(Date.now() - t0 < 2000, `within 2 s (${Date.now() - t0} ms)`);
    assert.ok(folding() > 0, 'the fold was still waiting');
  } finally {
    await lock.end();
    s.close();
  }
  // the fold then goes on: today's figures count both sales from the rollups
  const folded = await waitFor(() => Number(psql(`SELECT coalesce(sum(orders), 0) FROM rollup_sales_hourly
    WHERE tenant_id = '${a.t.tenant.id}'`, { user: 'postgres' })) === 2, 5000);
  assert.ok(folded, 'both orders folded once the lock is gone');
});

test('Last-Event-ID resumes: what happened while away is sent on reconnect', async () => {
  const a = await shop();
  const s1 = await open('/api/events', { authorization: `Bearer ${a.cookToken}` });
  const o1 = order(a.product);
  await call(a.deviceToken, 'POST', '/api/orders', o1);
  const first = await waitFor(() => s1.events.find((e) => e.data.id === o1.id));
  s1.close();
  assert.ok(first);
  const o2 = order(a.product);
  await call(a.deviceToken, 'POST', '/api/orders', o2);
  const s2 = await open('/api/events', { authorization: `Bearer ${a.cookToken}`, 'last-event-id': first.id });
  try {
    assert.ok(await waitFor(() => s2.events.find((e) => e.data.id === o2.id)), 'the missed order is replayed');
  } finally {
    s2.close();
  }
});

test('a till’s device token may listen too', async () => {
  const a = await shop();
  const s = await open(`/api/events?access_token=${encodeURIComponent(a.deviceToken)}`);
  try {
    assert.equal(s.status, 200);
  } finally {
    s.close();
  }
});
