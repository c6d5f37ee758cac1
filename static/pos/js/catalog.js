// The catalogue in IndexedDB, kept current by GET /api/sync/pull?cursor=C:
// each answer holds everything changed after C; objects are upserted by id,
// deletions arrive as is_active:false and leave the till's stores.  The new
// cursor is saved in the same transaction as the changes it covers.
import { tx, req, store, kvGet } from './db.js';
import { request } from './api.js';

const ENTITY_STORES = ['categories', 'products', 'modifier_groups'];

function applyChanges(t, changes) {
  let n = 0;
  for (const name of ENTITY_STORES) {
    const list = Array.isArray(changes[name]) ? changes[name] : [];
    const s = store(t, name);
    for (const o of list) {
      if (!o || typeof o.id !== 'string') continue;
      if (o.is_active === false) s.delete(o.id); else s.put(o);
      n++;
    }
  }
  const rates = Array.isArray(changes.rates) ? changes.rates : [];
  const rs = store(t, 'rates');
  for (const r of rates) {
    if (!r || typeof r.currency !== 'string') continue;
    n++;
    // the newest rate per currency wins; an older day arriving late does not
    const get = rs.get(r.currency);
    get.onsuccess = () => {
      const old = get.result;
      if (!old || String(r.date || '') >= String(old.date || '')) rs.put(r);
    };
  }
  return n;
}

// One pull cycle.  Answers {kind:"ok", changed} or the failed request's answer.
export async function pullCatalog(token) {
  let cursor = await kvGet('cursor');
  let changed = 0;
  for (let round = 0; round < 20; round++) {
    const url = '/api/sync/pull' + (cursor ? `?cursor=${encodeURIComponent(cursor)}` : '');
    const r = await request('GET', url, { token, timeout: 30000 });
    if (r.kind !== 'ok') return r;
    const changes = r.json?.changes;
    if (!changes || typeof changes !== 'object') {
      return { kind: 'error', status: r.status, json: r.json, error: 'pull answer without changes' };
    }
    const next = r.json.cursor ?? null;
    const n = await tx([...ENTITY_STORES, 'rates', 'kv'], 'readwrite', (t) => {
      const k = applyChanges(t, changes);
      if (next !== null) store(t, 'kv').put({ key: 'cursor', value: next });
      return k;
    });
    changed += n;
    if (n === 0 || next === null || next === cursor) break;
    cursor = next;
  }
  return { kind: 'ok', changed };
}

const bySortThenName = (a, b) => ((a.sort ?? 0) - (b.sort ?? 0)) || String(a.name).localeCompare(String(b.name));

// Everything the selling screen needs, from IndexedDB.
export async function loadCatalog() {
  const [categories, products, groups, rates] = await tx(
    [...ENTITY_STORES, 'rates'], 'readonly',
    (t) => Promise.all(['categories', 'products', 'modifier_groups', 'rates'].map((n) => req(store(t, n).getAll()))),
  );
  return {
    categories: categories.filter((c) => c.is_active !== false).sort(bySortThenName),
    products: products.filter((p) => p.is_active !== false).sort(bySortThenName),
    groupsById: new Map(groups.filter((g) => g.is_active !== false).map((g) => [g.id, g])),
    rates: new Map(rates.map((r) => [r.currency, r])),
  };
}

// Forget the catalogue (the till was activated for another store).
export async function clearCatalog() {
  await tx([...ENTITY_STORES, 'rates', 'kv'], 'readwrite', (t) => {
    for (const n of [...ENTITY_STORES, 'rates']) store(t, n).clear();
    store(t, 'kv').delete('cursor');
  });
}
