// "Order A-017 is ready": the kitchen state of the orders sold on this till.
//
// - Every sale leaves a small record in the IndexedDB store "recent" (the
//   outbox entry goes away once the server has the order): id, local and
//   server number, total, sale time, kitchen_status.  Trimmed to the last
//   RECENT_MAX sales of the last RECENT_MS.
// - GET /api/events (Server-Sent Events; EventSource sends no headers, so the
//   device token goes in ?access_token=) says when an order's kitchen status
//   changes: {type: "kitchen", id, kitchen_status}.  Events of orders that are
//   not this till's are ignored.
// - On start, on every (re)connection of the stream, and every POLL_EVERY
//   while the stream is down, the statuses of the recent unserved orders are
//   read again with GET /api/orders/{id}, so a "ready" is not missed while
//   the stream was away.
// - Offline, in manual offline mode, without EventSource or without the
//   events endpoint: nothing more happens than no news.
//
// No DOM here: the page gets onChange(readyList, newlyReady) and draws.
import { tx, req, store } from './db.js';
import { request } from './api.js';

export const RECENT_MAX = 100;
export const RECENT_MS = 24 * 3600e3;
export const REFRESH_MS = 12 * 3600e3; // orders older than this are not asked about
export const REFRESH_MAX = 40; // nor more than this many at once
export const POLL_EVERY = 60000;
const RETRY_MIN = 3000;
const RETRY_MAX = 60000;
const STEPS = ['new', 'cooking', 'ready', 'served'];

// ------------------------------------------------------------ storage
async function trim(t, now) {
  const s = store(t, 'recent');
  const all = await req(s.index('sold_at').getAll()); // oldest first
  const cut = now - RECENT_MS;
  let extra = all.length - RECENT_MAX;
  for (const e of all) {
    if (extra > 0 || Date.parse(e.sold_at) < cut) {
      s.delete(e.id);
      extra--;
    }
  }
}

// A sale just made on this till.
export async function recordSale({ id, local_number, total, currency, sold_at }) {
  const now = Date.now();
  await tx(['recent'], 'readwrite', async (t) => {
    store(t, 'recent').put({
      id, local_number, server_number: null, total, currency: currency || null,
      sold_at: sold_at || new Date(now).toISOString(), kitchen_status: 'new', updated_at: new Date(now).toISOString(),
    });
    await trim(t, now);
  });
}

// Every recent sale, newest first.
export async function listRecent() {
  const all = await tx(['recent'], 'readonly', (t) => req(store(t, 'recent').index('sold_at').getAll()));
  return all.reverse();
}

// Applies what the server says of an order (an event or GET /api/orders/{id});
// answers {before, after} of the record, or null when it is not this till's
// or nothing changed.
async function applyStatus(id, { kitchen_status, number } = {}) {
  return tx(['recent'], 'readwrite', async (t) => {
    const s = store(t, 'recent');
    const e = await req(s.get(id));
    if (!e) return null;
    const before = e.kitchen_status;
    let changed = false;
    if (STEPS.includes(kitchen_status) && kitchen_status !== e.kitchen_status) {
      e.kitchen_status = kitchen_status;
      changed = true;
    }
    if (number !== undefined && number !== null && number !== e.server_number) {
      e.server_number = number;
      changed = true;
    }
    if (!changed) return null;
    e.updated_at = new Date().toISOString();
    s.put(e);
    return { before, after: e };
  });
}

// ------------------------------------------------------------ live state
let hooks = {};
let token = null;
let es = null;
let running = false;
let offline = false;
let retryTimer = null;
let retryDelay = RETRY_MIN;
let pollTimer = null;
let refreshing = null;
let refreshAgain = false;
let listening = false;

export const live = {
  connected: false,
  lastEventAt: null,
  lastRefreshAt: null,
};

const hasEventSource = () => typeof EventSource === 'function';

// The orders with kitchen_status "ready", oldest sale first.
export async function readyOrders() {
  try {
    return (await listRecent()).filter((e) => e.kitchen_status === 'ready').reverse();
  } catch {
    return [];
  }
}

async function changed(newly) {
  try { hooks.onChange?.(await readyOrders(), newly); } catch { /* UI */ }
}

// One server statement about an order; tells the page when it matters.
async function note(id, what, { announce = true } = {}) {
  let res;
  try {
    res = await applyStatus(id, what);
  } catch {
    return false;
  }
  if (!res) return false;
  const newly = announce && res.after.kitchen_status === 'ready' && res.before !== 'ready' ? [res.after] : [];
  if (res.before !== res.after.kitchen_status) await changed(newly);
  return true;
}

// What the page learnt from GET /api/orders/{id} itself (the receipt's number).
export async function noteOrder(json) {
  if (json && typeof json.id === 'string') await note(json.id, { kitchen_status: json.kitchen_status, number: json.number });
}

// hooks: {onChange(ready[], newlyReady[]), onState()}; token: the device token.
export function startLive(deviceToken, h = {}) {
  hooks = h;
  const tokenChanged = deviceToken !== token;
  token = deviceToken || null;
  running = !!token;
  if (!listening) {
    listening = true;
    addEventListener('online', () => { if (running && !offline) { retryDelay = RETRY_MIN; connect(); } });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && running && !offline && !live.connected) { retryDelay = RETRY_MIN; connect(); refresh('visible'); }
    });
  }
  if (tokenChanged) disconnect();
  changed([]);
  if (!running || offline) return;
  connect();
  refresh('start');
  schedulePoll();
}

export function stopLive() {
  running = false;
  disconnect();
  clearInterval(pollTimer);
  pollTimer = null;
}

// Manual offline: the till contacts nobody, the stream included.
export function setLiveOffline(v) {
  offline = !!v;
  if (offline) {
    disconnect();
    clearInterval(pollTimer);
    pollTimer = null;
  } else if (running) {
    retryDelay = RETRY_MIN;
    connect();
    refresh('manual_online');
    schedulePoll();
  }
}

function setConnected(v) {
  if (live.connected === v) return;
  live.connected = v;
  try { hooks.onState?.(); } catch { /* UI */ }
}

function disconnect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (es) {
    es.onopen = null;
    es.onmessage = null;
    es.onerror = null;
    es.close();
    es = null;
  }
  setConnected(false);
}

function connect() {
  if (!running || offline || !token || !hasEventSource()) return;
  if (es && es.readyState !== 2) return; // open or reconnecting by itself
  disconnect();
  let source;
  try {
    source = new EventSource(`/api/events?access_token=${encodeURIComponent(token)}`);
  } catch {
    return;
  }
  es = source;
  // every (re)connection: what happened while away is read again (the
  // stream resends from Last-Event-ID too, but only while this object lives)
  source.onopen = () => {
    retryDelay = RETRY_MIN;
    setConnected(true);
    refresh('connected');
  };
  source.onmessage = (ev) => {
    live.lastEventAt = Date.now();
    let d;
    try { d = JSON.parse(ev.data); } catch { return; }
    if (!d || typeof d.id !== 'string') return;
    if (d.type === 'kitchen') note(d.id, { kitchen_status: d.kitchen_status });
    else if (d.type === 'order') learnNumber(d.id);
  };
  source.onerror = () => {
    setConnected(false);
    if (source.readyState === 2) {
      // refused (401, 404, 503...) or given up: try again later, ourselves
      if (es === source) es = null;
      source.close();
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => { retryTimer = null; connect(); }, retryDelay);
      retryDelay = Math.min(RETRY_MAX, retryDelay * 2);
    }
    // CONNECTING: EventSource reconnects by itself (with Last-Event-ID)
  };
}

// While the stream is down, the statuses are polled now and then.
function schedulePoll() {
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (running && !offline && !live.connected) {
      connect();
      refresh('poll');
    }
  }, POLL_EVERY);
}

// The server's number of an order of this till that just arrived there.
async function learnNumber(id) {
  let e;
  try {
    e = await tx(['recent'], 'readonly', (t) => req(store(t, 'recent').get(id)));
  } catch {
    return;
  }
  if (!e || e.server_number !== null) return;
  await fetchOne(id);
}

async function fetchOne(id) {
  if (!token || offline) return 'stop';
  const r = await request('GET', `/api/orders/${encodeURIComponent(id)}`, { token });
  if (r.kind === 'ok' && r.json) {
    await note(id, { kitchen_status: r.json.kitchen_status, number: r.json.number });
    return 'ok';
  }
  // 404: not on the server yet (still in the outbox); 401: the sender finds
  // out and sends the till to activation; offline: next time
  return r.kind === 'network' || r.kind === 'unavailable' || r.kind === 'unauthorized' ? 'stop' : 'skip';
}

// Reads the statuses of the recent unserved orders again.
export async function refresh(reason = 'manual') {
  if (!running || offline || !token) return;
  if (refreshing) { refreshAgain = true; return; }
  refreshing = (async () => {
    let list;
    try {
      list = await listRecent();
    } catch {
      return;
    }
    const since = Date.now() - REFRESH_MS;
    const todo = list.filter((e) => e.kitchen_status !== 'served' && Date.parse(e.sold_at) >= since).slice(0, REFRESH_MAX);
    // a few at a time, newest first; stop at the first sign of no server
    let stop = false;
    const worker = async () => {
      while (!stop && todo.length) {
        const e = todo.shift();
        if ((await fetchOne(e.id)) === 'stop') stop = true;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    live.lastRefreshAt = Date.now();
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      refresh(`${reason}+again`);
    }
  }
}
