// IndexedDB of the till: one database, used by the page and the service
// worker alike (no window globals here).
//
// Stores (database "pos-till", version 2):
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
//   recent           {id, local_number, server_number, total, currency, sold_at,
//                     kitchen_status, updated_at}   (version 2; js/ready.js)
//                    index sold_at — the last ~100 sales of this till, kept
//                    after the outbox entry is gone, for "order ready"
//
// The page and the service worker always come from the same shell version
// (the new worker waits until the page reloads), so an upgrade here never
// meets an older module still opening version 1.
export const DB_NAME = 'pos-till';
export const DB_VERSION = 2;

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
  if (oldVersion < 2) {
    const recent = db.createObjectStore('recent', { keyPath: 'id' });
    recent.createIndex('sold_at', 'sold_at');
  }
}

export function openDb() {
  if (dbPromise) return dbPromise;
  const attempt = (version) => new Promise((resolve, reject) => {
    const r = version === undefined ? indexedDB.open(DB_NAME) : indexedDB.open(DB_NAME, version);
    r.onupgradeneeded = (e) => upgrade(r.result, e.oldVersion);
    r.onsuccess = () => {
      const db = r.result;
      // another tab or a new service worker wants to upgrade: let it
      db.onversionchange = () => { db.close(); dbPromise = null; };
      db.onclose = () => { dbPromise = null; };
      resolve(db);
    };
    r.onerror = (e) => {
      // a newer till (another tab) already upgraded the database: upgrades
      // only ever add stores, so open it at its own version
      if (version !== undefined && r.error?.name === 'VersionError') {
        e.preventDefault();
        attempt(undefined).then(resolve, reject);
        return;
      }
      reject(r.error);
    };
    r.onblocked = () => { /* waits for the other connection to close */ };
  });
  dbPromise = attempt(DB_VERSION).catch((e) => { dbPromise = null; throw e; });
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
