// When the page sends the outbox and pulls the catalogue.
//
// Push: at start, on the `online` event, when the server becomes reachable
// again, when the page becomes visible, after each sale, on "Sync now", and
// every 30 s while healthy.  After a failure: exponential backoff 2 s, 4 s,
// 8 s ... 60 s (with a little jitter so tills do not retry in step), reset by
// a success or a manual trigger.  In manual offline mode: nothing at all.
// Pull: at start, every 60 s, after each push that delivered orders; while the
// server is unreachable and nothing is queued, a pull is the probe that finds
// it again.
import { sendOutbox, markRevoked } from './outbox.js';
import { pullCatalog } from './catalog.js';
import { kvGet } from './db.js';
import { isReachable, net, clientLog, describe } from './api.js';

export const PUSH_EVERY = 30000;
export const PULL_EVERY = 60000;
export const BACKOFF_MIN = 2000;
export const BACKOFF_MAX = 60000;

export function backoffDelay(failures, random = Math.random) {
  const d = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** Math.max(0, failures - 1));
  return Math.round(d * (0.8 + 0.2 * random()));
}

let hooks = {};
let failures = 0;
let timer = null;
let running = null;
let again = false;
let manualOffline = false;
let pullTimer = null;
let pulling = null;
let pullNotFoundLogged = false;
let stopped = true;
let listening = false;

export const state = {
  get failures() { return failures; },
  get nextAttemptAt() { return nextAt; },
  lastResult: null,
  lastPull: null,
};
let nextAt = null;

function schedule(ms) {
  clearTimeout(timer);
  nextAt = Date.now() + ms;
  timer = setTimeout(() => { timer = null; kick('timer'); }, ms);
}

// hooks: {onOutbox(result), onCatalog(), onRevoked(), onPullError(r)}
export function startSync(h) {
  hooks = h || {};
  stopped = false;
  if (!listening) {
    listening = true;
    addEventListener('online', () => { kick('online', { reset: true }); pull('online'); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') kick('visible');
    });
    net.addEventListener('reachable', () => kick('reachable', { reset: true }));
  }
  clearInterval(pullTimer);
  pullTimer = setInterval(() => pull('timer'), PULL_EVERY);
  pull('start');
  kick('start', { reset: true });
}

export function stopSync() {
  stopped = true;
  clearTimeout(timer);
  clearInterval(pullTimer);
  nextAt = null;
}

export function setManualOffline(v) {
  manualOffline = !!v;
  if (manualOffline) {
    clearTimeout(timer);
    nextAt = null;
  } else if (!stopped) {
    kick('manual_online', { reset: true });
    pull('manual_online');
  }
}

// Try to send now (or right after the send in progress).
export async function kick(reason, { reset = false } = {}) {
  if (stopped) return null;
  if (reset) failures = 0;
  if (running) {
    again = true;
    return running;
  }
  clearTimeout(timer);
  nextAt = null;
  running = (async () => {
    let res;
    try {
      res = await sendOutbox({ source: `page:${reason}` });
    } catch (e) {
      res = { result: 'failed', sent: 0, rejected: 0, error: String(e?.message || e) };
      clientLog('error', `outbox sender threw: ${res.error}`);
    }
    state.lastResult = { ...res, at: new Date().toISOString(), reason };
    try { hooks.onOutbox?.(res); } catch { /* UI */ }
    if (res.sent > 0) pull('after_push');
    switch (res.result) {
      case 'done':
        if (!isReachable() && res.sent === 0) {
          // nothing to send, server lost: probe it with a pull on the backoff
          const p = await pull('probe');
          if (p && (p.kind === 'network' || p.kind === 'unavailable')) {
            failures++;
            schedule(backoffDelay(failures));
            break;
          }
        }
        failures = 0;
        schedule(PUSH_EVERY);
        break;
      case 'busy': // another tab or the service worker is sending
        schedule(5000);
        break;
      case 'manual_offline':
        break;
      case 'revoked':
        try { hooks.onRevoked?.(); } catch { /* UI */ }
        break;
      case 'no_device':
        schedule(PUSH_EVERY);
        break;
      default: // offline, failed
        failures++;
        schedule(backoffDelay(failures));
    }
    return res;
  })();
  try {
    return await running;
  } finally {
    running = null;
    if (again) {
      again = false;
      kick('again');
    }
  }
}

// One catalogue pull (never two at once).  Answers the request's result.
export async function pull(reason) {
  if (stopped || manualOffline) return null;
  if (pulling) return pulling;
  pulling = (async () => {
    const device = await kvGet('device');
    if (!device?.token || device.revoked) return null;
    let r;
    try {
      r = await pullCatalog(device.token);
    } catch (e) {
      r = { kind: 'error', status: 0, error: String(e?.message || e) };
    }
    state.lastPull = { kind: r.kind, status: r.status, at: new Date().toISOString(), reason };
    if (r.kind === 'ok') {
      if (r.changed > 0) try { hooks.onCatalog?.(); } catch { /* UI */ }
    } else if (r.kind === 'unauthorized') {
      await markRevoked();
      try { hooks.onRevoked?.(); } catch { /* UI */ }
    } else if (r.kind === 'error') {
      if (r.status !== 404 || !pullNotFoundLogged) clientLog('warn', `sync/pull failed: ${describe(r)}`);
      if (r.status === 404) pullNotFoundLogged = true;
      try { hooks.onPullError?.(r); } catch { /* UI */ }
    }
    return r;
  })();
  try {
    return await pulling;
  } finally {
    pulling = null;
  }
}
