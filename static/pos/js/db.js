// IndexedDB of the till: one database, used by the page and the service
// worker alike (no window globals here).
//
// Stores (database "pos-till", version 1):
//   kv               {key, value}        device, store, cursor, lang, offline_manual,
//                                         counter {day, n}, batch_size
//   categories       {id, name, sort, is_active}
//   products         {id, name, category_id, price, currency, ..., modifier_group_ids}
//                    index category_id
//   modifier_groups  {id, name, kind, required, min, max, modifiers:[...]}
//   rates            {currency, rate, date, source}
//   outbox           {id, order, local_number, queued_at, status: "pending"|"rejected",
//                     attempts, last_error, error, rejected_at, total, currency, cashier}
//                    index queued_at (oldest first)
//   cashiers         {user_id, user, salt, hash, iterations, algo, updated_at}
//                    (salted PIN verifiers for offline sign-in)
export const DB_NAME = 'pos-till';
export const DB_VERSION = 1;

let dbPromise = null;

function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore('kv', { keyPath: 'key' });
    db.createObjectStore('categories', { keyPath: 'id' });
    const products = db.createObjectStore('products', { keyPath: 'id' });
    products.createIndex('category_id', 'category_id');
    db.createObjectStore('modifier_groups', { keyPath: 'id' });
    db.createObjectStore('rates', { keyPath: 'currency' });
    const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
    outbox.createIndex('queued_at', 'queued_at');
    db.createObjectStore('cashiers', { keyPath: 'user_id' });
  }
}

export function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = (e) => upgrade(r.result, e.oldVersion);
    r.onsuccess = () => {
      const db = r.result;
      // another tab or a new service worker wants to upgrade: let it
      db.onversionchange = () => { db.close(); dbPromise = null; };
      db.onclose = () => { dbPromise = null; };
      resolve(db);
    };
    r.onerror = () => { dbPromise = null; reject(r.error); };
    r.onblocked = () => { /* waits for the other connection to close */ };
  });
  return dbPromise;
}

// A request as a promise.
export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// Runs body(transaction) and resolves with its result once the transaction
// has COMMITTED (oncomplete), so callers only see durable writes.  The body
// may await requests of this transaction, nothing else.
export async function tx(names, mode, body) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    let t;
    try {
      t = db.transaction(names, mode);
    } catch (e) {
      dbPromise = null; // a closed connection: reopen next time
      reject(e);
      return;
    }
    let result;
    let failed = null;
    t.oncomplete = () => (failed ? reject(failed) : resolve(result));
    t.onerror = () => reject(failed || t.error);
    t.onabort = () => reject(failed || t.error || new DOMException('transaction aborted', 'AbortError'));
    Promise.resolve()
      .then(() => body(t))
      .then((v) => { result = v; }, (e) => {
        failed = e;
        try { t.abort(); } catch { /* already finished */ }
      });
  });
}

export const store = (t, name) => t.objectStore(name);

export async function kvGet(key) {
  return tx(['kv'], 'readonly', async (t) => (await req(store(t, 'kv').get(key)))?.value);
}

export async function kvSet(key, value) {
  return tx(['kv'], 'readwrite', (t) => { store(t, 'kv').put({ key, value }); });
}

export async function kvDelete(key) {
  return tx(['kv'], 'readwrite', (t) => { store(t, 'kv').delete(key); });
}

export async function getAll(name) {
  return tx([name], 'readonly', (t) => req(store(t, name).getAll()));
}
