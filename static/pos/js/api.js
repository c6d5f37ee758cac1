// JSON requests to the server, shared by the page and the service worker.
//
// request() never throws: it answers {kind, status, json} where kind is
//   "ok"           2xx
//   "network"      fetch failed or timed out (no network, server unreachable)
//   "unavailable"  502/503/504 (nginx up, workers or database down)
//   "unauthorized" 401
//   "error"        any other answer (4xx/5xx)
// "network" and "unavailable" mean "offline" for the till; any other answer
// means the server is reachable.  Listeners of `net` get "reachable" /
// "unreachable" events as that changes.
export const net = new EventTarget();
let reachable = true;

export function isReachable() { return reachable; }

function setReachable(v) {
  if (v === reachable) return;
  reachable = v;
  net.dispatchEvent(new Event(v ? 'reachable' : 'unreachable'));
}

export async function request(method, path, { token, body, timeout = 15000 } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const ctl = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = ctl ? setTimeout(() => ctl.abort(), timeout) : null;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      signal: ctl?.signal,
    });
  } catch (e) {
    clearTimeout(timer);
    setReachable(false);
    return { kind: 'network', status: 0, json: null, error: String(e?.message || e) };
  }
  let json = null;
  try {
    const text = await res.text();
    json = text ? JSON.parse(text) : null;
  } catch { /* not JSON (e.g. an HTML error page) */ }
  clearTimeout(timer);
  const s = res.status;
  if (s === 502 || s === 503 || s === 504) {
    setReachable(false);
    return { kind: 'unavailable', status: s, json };
  }
  setReachable(true);
  if (s >= 200 && s < 300) return { kind: 'ok', status: s, json };
  if (s === 401) return { kind: 'unauthorized', status: s, json };
  return { kind: 'error', status: s, json };
}

// Short text of an error answer, for logs and the outbox list.
export function describe(r) {
  if (r.kind === 'network') return `network: ${r.error || 'failed'}`;
  const e = r.json?.error;
  return `${r.status}${e?.code ? ` ${e.code}` : ''}${e?.field ? ` (${e.field})` : ''}${e?.message ? `: ${e.message}` : ''}`;
}

// Best-effort report to POST /api/client-log; never throws, never waits long,
// and does not repeat the same message more than once a minute.
const recent = new Map();
let logEnabled = true;
// Off in the till's manual offline mode: then it contacts nobody.
export function setLogEnabled(v) { logEnabled = !!v; }
let sentThisMinute = 0;
let minuteStart = 0;

export async function clientLog(level, message) {
  if (!logEnabled) return;
  try {
    const now = Date.now();
    if (now - minuteStart > 60000) { minuteStart = now; sentThisMinute = 0; }
    const msg = String(message ?? '').slice(0, 1000) || '(empty)';
    if ((recent.get(msg) || 0) > now - 60000 || sentThisMinute >= 20) return;
    recent.set(msg, now);
    if (recent.size > 100) recent.clear();
    sentThisMinute++;
    // no token: the endpoint is open, and a revoked token must not stop a report
    await fetch('/api/client-log', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ level, message: msg, source: 'till' }),
      credentials: 'omit',
      keepalive: true,
    });
  } catch { /* best effort */ }
}
