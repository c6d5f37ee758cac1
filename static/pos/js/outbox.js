// The till's own outbox of sales (IndexedDB store "outbox"), and the one
// sender that empties it through POST /api/sync/push.
//
// Rules (DESIGN.md "Lessons from peers"):
// - A sale is written here, in one transaction with its local number, before
//   the receipt is shown; nothing else ever holds an unsent sale.
// - An entry leaves only when the server's answer names its id with status
//   "created" or "duplicate".  "rejected" entries stay, marked, with the
//   server's error, for a manager.  Anything else (network error, 5xx, 401, a
//   200 without results, an id missing from the results) keeps the entries
//   for the next attempt.  Entries never expire.
// - One sender at a time across tabs and the service worker (Web Locks, lock
//   "pos-outbox-sender", ifAvailable: a second sender simply skips).  Sending
//   twice is harmless anyway: the server keys orders by the till's UUID.
// This module runs in the page and in the service worker's "sync" handler.
import { tx, req, store, kvGet } from './db.js';
import { request, describe, clientLog } from './api.js';
import { orderTotal } from './cart.js';

export const LOCK_NAME = 'pos-outbox-sender';
export const MAX_BATCH = 100;
export const STALE_MS = 60 * 60 * 1000; // unsent for an hour → warning

// The store's calendar day (YYYY-MM-DD) of a moment, for the daily number.
export function dayKey(date, timeZone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

// "POS-01" → "A", "POS-02" → "B", ...: tills of one store number apart.
export function numberPrefix(deviceName) {
  const m = /(\d+)\s*$/.exec(String(deviceName || ''));
  const n = m ? Number(m[1]) : 1;
  return String.fromCharCode(65 + ((((n - 1) % 26) + 26) % 26));
}

// Queues a sale; resolves with its local number ("A-017") once committed.
// `receipt` is what the receipt shows (names, change...), kept for a reprint.
export async function enqueueOrder(order, { deviceName, timeZone, cashier, receipt } = {}) {
  const now = new Date();
  const day = dayKey(now, timeZone);
  const prefix = numberPrefix(deviceName);
  return tx(['outbox', 'kv'], 'readwrite', async (t) => {
    const kv = store(t, 'kv');
    const c = (await req(kv.get('counter')))?.value;
    const n = c && c.day === day ? c.n + 1 : 1;
    kv.put({ key: 'counter', value: { day, n } });
    const local = `${prefix}-${String(n).padStart(3, '0')}`;
    store(t, 'outbox').add({
      id: order.id,
      order,
      local_number: local,
      queued_at: now.toISOString(),
      status: 'pending',
      attempts: 0,
      last_error: null,
      error: null,
      total: orderTotal(order),
      currency: order.payments[0]?.currency || receipt?.currency || null,
      cashier: cashier || null,
      receipt: receipt || null,
    });
    return local;
  });
}

// Every entry, oldest first.
export async function listOutbox() {
  return tx(['outbox'], 'readonly', (t) => req(store(t, 'outbox').index('queued_at').getAll()));
}

// {pending, rejected, total, oldest (ISO of the oldest pending), stale (oldest pending > 1 h)}
export async function outboxStats(now = Date.now()) {
  const all = await listOutbox();
  let pending = 0;
  let rejected = 0;
  let oldest = null;
  for (const e of all) {
    if (e.status === 'rejected') { rejected++; continue; } // these have their own warning
    pending++;
    if (!oldest || e.queued_at < oldest) oldest = e.queued_at;
  }
  return {
    pending, rejected, total: all.length, oldest,
    stale: !!oldest && now - Date.parse(oldest) > STALE_MS,
  };
}

// A manager decided to send a rejected order again (after fixing the cause).
export async function retryRejected(id) {
  return tx(['outbox'], 'readwrite', async (t) => {
    const s = store(t, 'outbox');
    const e = await req(s.get(id));
    if (!e || e.status !== 'rejected') return false;
    e.status = 'pending';
    e.last_error = e.error ? `${e.error.code || 'rejected'}: ${e.error.message || ''}` : e.last_error;
    s.put(e);
    return true;
  });
}

async function oldestPending(limit) {
  return tx(['outbox'], 'readonly', (t) => new Promise((resolve, reject) => {
    const out = [];
    const c = store(t, 'outbox').index('queued_at').openCursor();
    c.onerror = () => reject(c.error);
    c.onsuccess = () => {
      const cur = c.result;
      if (!cur || out.length >= limit) { resolve(out); return; }
      if (cur.value.status === 'pending') out.push(cur.value);
      cur.continue();
    };
  }));
}

async function noteFailure(batch, error) {
  const at = new Date().toISOString();
  await tx(['outbox'], 'readwrite', async (t) => {
    const s = store(t, 'outbox');
    for (const b of batch) {
      const e = await req(s.get(b.id));
      if (!e) continue;
      e.attempts = (e.attempts || 0) + 1;
      e.last_error = error;
      e.last_attempt_at = at;
      s.put(e);
    }
  });
}

// Applies a push answer: deletes exactly the acknowledged ids, marks the
// rejected ones, counts an attempt on the rest.  One transaction.
async function applyResults(batch, results) {
  const byId = new Map();
  for (const r of results) if (r && typeof r.id === 'string') byId.set(r.id, r);
  const at = new Date().toISOString();
  return tx(['outbox'], 'readwrite', async (t) => {
    const s = store(t, 'outbox');
    const out = { acked: 0, rejected: [], unanswered: 0 };
    for (const b of batch) {
      const r = byId.get(b.id);
      if (r && (r.status === 'created' || r.status === 'duplicate')) {
        s.delete(b.id);
        out.acked++;
        continue;
      }
      const e = await req(s.get(b.id));
      if (!e) continue;
      e.attempts = (e.attempts || 0) + 1;
      e.last_attempt_at = at;
      if (r && r.status === 'rejected') {
        e.status = 'rejected';
        e.error = r.error && typeof r.error === 'object' ? r.error : { code: 'rejected', message: '' };
        e.rejected_at = at;
        out.rejected.push(e);
      } else {
        e.last_error = r ? `unknown status ${String(r.status).slice(0, 40)}` : 'no result for this order';
        out.unanswered++;
      }
      s.put(e);
    }
    return out;
  });
}

let busy = false; // for engines without Web Locks: one sender per context
let batchSize = MAX_BATCH;

// Sends the outbox, oldest first, in batches.  Resolves with
//   {result: "done"|"busy"|"manual_offline"|"no_device"|"offline"|"failed"|"revoked",
//    sent, rejected, status?, error?}
export async function sendOutbox({ source = 'page' } = {}) {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks?.request) {
    return locks.request(LOCK_NAME, { ifAvailable: true }, (lock) => (lock ? drain(source) : { result: 'busy', sent: 0, rejected: 0 }));
  }
  if (busy) return { result: 'busy', sent: 0, rejected: 0 };
  busy = true;
  try {
    return await drain(source);
  } finally {
    busy = false;
  }
}

async function drain(source) {
  let sent = 0;
  let rejected = 0;
  if (await kvGet('offline_manual')) return { result: 'manual_offline', sent, rejected };
  const device = await kvGet('device');
  if (!device?.token || device.revoked) return { result: 'no_device', sent, rejected };
  for (let round = 0; round < 10000; round++) {
    const batch = await oldestPending(batchSize);
    if (!batch.length) return { result: 'done', sent, rejected };
    const r = await request('POST', '/api/sync/push', {
      token: device.token,
      body: { orders: batch.map((e) => e.order), changes: [] },
      timeout: 60000,
    });
    if (r.kind === 'ok' && Array.isArray(r.json?.results)) {
      const out = await applyResults(batch, r.json.results);
      sent += out.acked;
      rejected += out.rejected.length;
      for (const e of out.rejected) {
        clientLog('warn', `order ${e.id} (${e.local_number}) rejected by the server: ${e.error?.code || ''} ${e.error?.field || ''} ${e.error?.message || ''}`);
      }
      if (batchSize < MAX_BATCH) batchSize = Math.min(MAX_BATCH, batchSize * 2);
      if (out.unanswered) {
        // the server answered, but not for every order: try those again later
        clientLog('error', `sync/push (${source}): ${out.unanswered} of ${batch.length} orders without a result`);
        return { result: 'failed', sent, rejected, status: r.status, error: 'missing results' };
      }
      continue;
    }
    const error = r.kind === 'ok' ? `${r.status}: answer without results` : describe(r);
    await noteFailure(batch, error);
    if (r.kind === 'unauthorized') {
      await markRevoked();
      return { result: 'revoked', sent, rejected, status: r.status, error };
    }
    if (r.kind === 'network' || r.kind === 'unavailable') {
      return { result: 'offline', sent, rejected, status: r.status, error };
    }
    // a batch the server refuses as a whole (too large, one malformed order):
    // smaller batches next time, down to single orders, so the rest can pass
    if ((r.status === 400 || r.status === 413) && batch.length > 1) batchSize = Math.max(1, Math.floor(batch.length / 2));
    clientLog('error', `sync/push (${source}) failed: ${error}`);
    return { result: 'failed', sent, rejected, status: r.status, error };
  }
  return { result: 'done', sent, rejected };
}

// The device token was refused: the till must be activated again.  The token
// is kept (flagged), the outbox untouched.
export async function markRevoked() {
  await tx(['kv'], 'readwrite', async (t) => {
    const kv = store(t, 'kv');
    const d = (await req(kv.get('device')))?.value;
    if (d && !d.revoked) {
      d.revoked = true;
      d.revoked_seen_at = new Date().toISOString();
      kv.put({ key: 'device', value: d });
    }
  });
}
