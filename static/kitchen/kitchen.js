// The kitchen view's script (/kitchen).  The page arrives server-rendered
// and works without this; here it becomes live:
//   - GET /api/events (Server-Sent Events): "order" → redraw the tickets from
//     GET /kitchen?fragment=tickets; "kitchen" → move or drop that ticket.
//   - After ANY (re)connect — the stream opening again, the phone waking
//     (visibilitychange), the network returning — the open tickets are
//     reloaded, so an event missed meanwhile costs nothing.
//   - While the stream is away (not deployed, 401, dropped) the tickets are
//     polled every 5 s and the stream is tried again with a backoff.
//   - Buttons post to /kitchen/orders/{id}/status (page session + CSRF),
//     timers count every second (amber after 10 min, red after 20).
// No framework, one module, no inline code (CSP).

const POLL_MS = 5000;           // fallback while the stream is away
const SAFETY_MS = 30000;        // a full reload now and then even when live: a
                                // stream can look open and still carry nothing
const RETRY_MIN_MS = 2000;      // stream retry backoff
const RETRY_MAX_MS = 30000;
const WARN_S = 600;             // amber after 10 minutes
const LATE_S = 1200;            // red after 20 minutes
const COLS = ['open', 'ready'];

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

let board = null;               // the page's parts, found by start()
let conn = null;
let announcer = null;
let toastBox = null;
let csrf = '';

const seen = new Set();         // every ticket id shown so far: a new one chimes
const busy = new Set();         // ids with a status change in flight
let es = null;
let streamUp = false;
let retryDelay = RETRY_MIN_MS;
let retryTimer = 0;
let pollTimer = 0;
let lastSync = Date.now();
let loading = null;
let again = false;
let online = true;

// ---------------------------------------------------------------- timers

// A ticket's birth on this phone's clock, from the age the server measured:
// the phone's own clock may be wrong, the difference between two readings
// of it is not.
function stamp(li, now) {
  li.dataset.born = String(now - Number(li.dataset.age || 0) * 1000);
}

const pad = (n) => String(n).padStart(2, '0');

export function formatElapsed(s) {
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

export function levelOf(status, s) {
  if (status === 'ready') return 'ok';
  if (s >= LATE_S) return 'late';
  if (s >= WARN_S) return 'warn';
  return 'ok';
}

function setLevel(li, s) {
  const lvl = levelOf(li.dataset.status, s);
  if (li.classList.contains(`lvl-${lvl}`)) return;
  li.classList.remove('lvl-ok', 'lvl-warn', 'lvl-late');
  li.classList.add(`lvl-${lvl}`);
}

function tick() {
  const now = Date.now();
  for (const li of $$('.ticket', board)) {
    const s = Math.floor((now - Number(li.dataset.born)) / 1000);
    const out = $('.ticket-elapsed', li);
    const text = formatElapsed(s);
    if (out && out.textContent !== text) out.textContent = text;
    setLevel(li, s);
  }
}

// ---------------------------------------------------------------- counts

function counts() {
  for (const col of COLS) {
    const n = $(`#list-${col}`).children.length;
    for (const el of $$(`[data-count="${col}"]`)) {
      if (el.dataset.n !== String(n)) {
        const up = n > Number(el.dataset.n);
        el.dataset.n = String(n);
        el.textContent = String(n);
        if (up) {
          el.classList.remove('bump');
          void el.offsetWidth; // restart the animation
          el.classList.add('bump');
        }
      }
    }
    const empty = $(`[data-empty="${col}"]`);
    if (empty) empty.hidden = n > 0;
  }
}

// ---------------------------------------------------------------- connection state

function setConn(state) {
  if (conn.dataset.state !== state) conn.dataset.state = state;
}

function showState() {
  if (!online) setConn('offline');
  else setConn(streamUp ? 'live' : 'polling');
}

// ---------------------------------------------------------------- reload

function signedOut() {
  location.assign('/login?next=%2Fkitchen');
}

// Redraw from GET /kitchen?fragment=tickets.  Calls while one runs fold
// into one more run after it, so a burst of events costs two requests.
export function reload() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      await fetchTickets();
    } while (again);
  })().finally(() => { loading = null; });
  return loading;
}

async function fetchTickets() {
  let res;
  try {
    res = await fetch('/kitchen?fragment=tickets', {
      headers: { accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin', redirect: 'manual',
    });
  } catch {
    online = false;
    showState();
    return;
  }
  if (res.type === 'opaqueredirect' || res.status === 401) return signedOut();
  if (res.status === 403) return location.reload();
  if (!res.ok) {
    online = res.status !== 502 && res.status !== 503 && res.status !== 504 ? online : false;
    showState();
    return;
  }
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  if (!COLS.every((c) => doc.getElementById(`list-${c}`))) return;
  apply(doc);
  online = true;
  lastSync = Date.now();
  showState();
}

// Put the fresh tickets in place, keeping the nodes of tickets that did not
// change (no flicker, no lost focus) and marking the ones never seen before.
function apply(doc) {
  const now = Date.now();
  const arrived = [];
  // the newest sale on screen so far: a ticket never seen before but older
  // than it (one the page had left out, coming back into view) is no news
  let newest = -Infinity;
  for (const li of $$('.ticket', board)) newest = Math.max(newest, Number(li.dataset.born));
  for (const col of COLS) {
    const list = $(`#list-${col}`);
    const fresh = [...doc.getElementById(`list-${col}`).children];
    const next = fresh.map((li) => {
      const id = li.dataset.id;
      const old = document.getElementById(`t-${id}`);
      stamp(li, now);
      if (old && old.dataset.status === li.dataset.status) {
        // keep the old node; correct its clock only when it drifted
        if (Math.abs(Number(old.dataset.born) - Number(li.dataset.born)) > 2000) old.dataset.born = li.dataset.born;
        return old;
      }
      if (busy.has(id)) li.classList.add('is-busy');
      if (!seen.has(id) && (seen.size === 0 || Number(li.dataset.born) > newest - 2000)) arrived.push(li);
      return li;
    });
    const same = next.length === list.children.length && next.every((n, i) => list.children[i] === n);
    if (!same) list.replaceChildren(...next);
  }
  for (const col of COLS) {
    // "older orders not shown" (the page lists each column's newest 200 of 12 h)
    const fresh = doc.querySelector(`[data-more="${col}"]`);
    const note = $(`[data-more="${col}"]`);
    if (fresh && note) {
      note.textContent = fresh.textContent;
      note.hidden = fresh.hidden;
    }
  }
  for (const li of $$('.ticket', board)) seen.add(li.dataset.id);
  counts();
  tick();
  if (arrived.length) welcome(arrived);
}

// ---------------------------------------------------------------- new tickets

let audio = null;

// Browsers let a page make sound only after a tap: the first one on the
// page unlocks it.
function unlockAudio() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio ??= new Ctx();
    if (audio.state === 'suspended') audio.resume();
  } catch { /* no sound then */ }
}

function chime() {
  if (!audio || audio.state !== 'running') return;
  const t = audio.currentTime;
  for (const [f, d] of [[880, 0], [1175, 0.16]]) {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.type = 'sine';
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, t + d);
    g.gain.exponentialRampToValueAtTime(0.08, t + d + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + d + 0.35);
    o.connect(g).connect(audio.destination);
    o.start(t + d);
    o.stop(t + d + 0.4);
  }
}

function welcome(tickets) {
  for (const li of tickets) {
    li.classList.add('is-new');
    li.addEventListener('animationend', () => li.classList.remove('is-new'), { once: true });
  }
  const open = tickets.filter((li) => li.dataset.status !== 'ready');
  if (!open.length) return;
  const names = open.map((li) => $('.ticket-no', li)?.textContent.trim() ?? li.dataset.number).join(', ');
  announcer.textContent = (announcer.dataset.msgNew || '{0}').replace('{0}', names);
  chime();
  try { navigator.vibrate?.([120, 80, 120]); } catch { /* not on this device */ }
}

// ---------------------------------------------------------------- moving tickets

function insertSorted(list, li) {
  const born = Number(li.dataset.born);
  const after = [...list.children].find((x) => x !== li && (Number(x.dataset.born) > born ||
    (Number(x.dataset.born) === born && x.dataset.id > li.dataset.id)));
  list.insertBefore(li, after ?? null);
}

// Apply a kitchen status to the ticket on screen.  false when the ticket is
// not here (the caller reloads).
function move(id, status) {
  const li = document.getElementById(`t-${id}`);
  if (!li) return status === 'served';
  if (status === 'served') {
    li.remove();
  } else {
    li.dataset.status = status;
    const list = $(`#list-${status === 'ready' ? 'ready' : 'open'}`);
    if (li.parentElement !== list) insertSorted(list, li);
    setLevel(li, (Date.now() - Number(li.dataset.born)) / 1000);
  }
  counts();
  // the page leaves some tickets out: one may now come into view
  if ($$('[data-more]').some((n) => !n.hidden)) reload();
  return true;
}

// ---------------------------------------------------------------- events

function onEvent(e) {
  let ev;
  try { ev = JSON.parse(e.data); } catch { ev = null; }
  if (ev?.type === 'kitchen' && ev.id && ev.kitchen_status) {
    if (busy.has(ev.id)) return; // our own change: its answer moves the ticket
    if (!move(ev.id, ev.kitchen_status)) reload();
    return;
  }
  reload(); // a new order (or anything else): redraw
}

function startPolling() {
  if (!pollTimer) pollTimer = setInterval(() => { if (!streamUp) reload(); }, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = 0;
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  es?.close();
  streamUp = false;
  if (typeof EventSource !== 'function') {
    startPolling();
    showState();
    return;
  }
  es = new EventSource('/api/events');
  es.onopen = () => {
    streamUp = true;
    retryDelay = RETRY_MIN_MS;
    stopPolling();
    showState();
    reload(); // whatever happened while the stream was away
  };
  es.onmessage = onEvent;
  es.onerror = () => {
    streamUp = false;
    startPolling();
    showState();
    // CONNECTING: the browser retries by itself (and onopen reloads);
    // CLOSED (404, 401, not an event stream): retry ourselves, later.
    if (es?.readyState === EventSource.CLOSED) {
      es.close();
      es = null;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    }
  };
}

// The phone slept or the network came back: a stream that looks open may
// be dead (TCP does not tell), so start a fresh one and reload now.
function resume() {
  if (document.visibilityState === 'hidden') return;
  retryDelay = RETRY_MIN_MS;
  connect();
  reload();
  keepAwake();
}

// ---------------------------------------------------------------- actions

let toastTimer = 0;
function toast(msg) {
  if (!msg) return;
  toastBox.textContent = msg;
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastBox.hidden = true; }, 4000);
}

async function act(li, status) {
  const id = li.dataset.id;
  if (busy.has(id)) return;
  busy.add(id);
  li.classList.add('is-busy');
  try {
    const res = await fetch(`/kitchen/orders/${encodeURIComponent(id)}/status`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ _csrf: csrf, status }), // the dispatcher takes urlencoded forms
      credentials: 'same-origin',
      redirect: 'manual',
    });
    if (res.type === 'opaqueredirect' || res.status === 401) return signedOut();
    if (res.status === 403) return location.reload(); // CSRF cookie or role changed
    if (res.ok) {
      const order = await res.json().catch(() => null);
      busy.delete(id);
      move(id, order?.kitchen_status || status);
    } else if (res.status === 400 || res.status === 404 || res.status === 409) {
      toast(toastBox.dataset.msgStale); // another screen was quicker
      busy.delete(id);
      reload();
    } else {
      throw new Error(`HTTP ${res.status}`);
    }
  } catch {
    toast(toastBox.dataset.msgFailed);
  } finally {
    busy.delete(id);
    document.getElementById(`t-${id}`)?.classList.remove('is-busy');
  }
}

// ---------------------------------------------------------------- tabs (phone)

function setTab(name) {
  board.dataset.tab = name;
  for (const t of $$('.k-tab')) {
    if (t.dataset.tab === name) t.setAttribute('aria-current', 'true');
    else t.removeAttribute('aria-current');
  }
  try { sessionStorage.setItem('kitchen.tab', name); } catch { /* private mode */ }
}

// ---------------------------------------------------------------- screen on

let wakeLock = null;
async function keepAwake() {
  try {
    if (!navigator.wakeLock || wakeLock || document.visibilityState !== 'visible') return;
    wakeLock = await navigator.wakeLock.request('screen');
    wakeLock.addEventListener('release', () => { wakeLock = null; });
  } catch { /* not allowed or not supported: the phone's own setting rules */ }
}

// ---------------------------------------------------------------- start

function start() {
  board = $('#board');
  conn = $('#conn');
  announcer = $('#announce');
  toastBox = $('#toast');
  csrf = $('meta[name="csrf"]')?.content ?? '';
  document.documentElement.classList.add('js');
  const now = Date.now();
  for (const li of $$('.ticket', board)) {
    stamp(li, now);
    seen.add(li.dataset.id);
  }
  let tab = 'open';
  try { tab = sessionStorage.getItem('kitchen.tab') || 'open'; } catch { /* private mode */ }
  setTab(COLS.includes(tab) ? tab : 'open');
  setConn('connecting');
  tick();
  counts();
  setInterval(tick, 1000);
  setInterval(() => { if (Date.now() - lastSync > SAFETY_MS) reload(); }, 5000);

  board.addEventListener('click', (e) => {
    const btn = e.target.closest('button.act');
    if (!btn) return;
    e.preventDefault();
    unlockAudio();
    act(btn.closest('.ticket'), btn.value);
  });
  for (const t of $$('.k-tab')) {
    t.addEventListener('click', (e) => {
      e.preventDefault();
      setTab(t.dataset.tab);
      window.scrollTo({ top: 0 });
    });
  }
  document.addEventListener('pointerdown', unlockAudio, { passive: true });
  document.addEventListener('visibilitychange', resume);
  window.addEventListener('online', () => { online = true; resume(); });
  window.addEventListener('offline', () => { online = false; showState(); });
  window.addEventListener('pageshow', (e) => { if (e.persisted) resume(); });
  window.addEventListener('pagehide', () => { es?.close(); es = null; streamUp = false; });

  connect();
  keepAwake();
}

if (typeof document !== 'undefined' && document.getElementById('board')) start();
