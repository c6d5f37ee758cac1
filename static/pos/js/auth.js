// Till activation (device key → device token) and cashier sign-in by PIN,
// online through POST /api/auth/pin or, offline, against a salted PIN
// verifier kept from an earlier online sign-in on this till (API.md Auth):
// PBKDF2-HMAC-SHA256 via WebCrypto, 100,000 iterations, 16 random bytes of
// salt per cashier, 32-byte result; the PIN itself is never stored.
import { request, isReachable } from './api.js';
import { tx, req, store, kvGet, kvSet, kvDelete } from './db.js';
import { clearCatalog } from './catalog.js';

export const PBKDF2_ITERATIONS = 100000;
// A verifier opens the till offline only for a cashier who signed in online on
// it within this time (a dismissed employee's PIN stops working by itself).
export const VERIFIER_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const KEY_LEN = 20;

// "w87nk rtpyv-r2ydb nbc0g" → "W87NK-RTPYV-R2YDB-NBC0G"; null when it cannot
// be a key.  Same rules as the server: case, spaces and dashes do not matter,
// O reads as 0, I and L as 1.
export function normalizeKey(text) {
  let out = '';
  for (let ch of String(text ?? '').toUpperCase()) {
    if (ch === '-' || /\s/.test(ch)) continue;
    if (ch === 'O') ch = '0';
    else if (ch === 'I' || ch === 'L') ch = '1';
    if (!CROCKFORD.includes(ch)) return null;
    out += ch;
  }
  if (out.length !== KEY_LEN) return null;
  return out.match(/.{5}/g).join('-');
}

// The device key inside a scanned QR code: the bare key, or a link that
// carries it (…?device_key=… / …?key=…), or the first key-shaped run of text.
export function keyFromScan(text) {
  const s = String(text ?? '').trim();
  try {
    const u = new URL(s);
    const v = u.searchParams.get('device_key') || u.searchParams.get('key');
    if (v && normalizeKey(v)) return normalizeKey(v);
  } catch { /* not a URL */ }
  if (normalizeKey(s)) return normalizeKey(s);
  const m = s.match(/[0-9A-Za-z]{5}[-\s]?[0-9A-Za-z]{5}[-\s]?[0-9A-Za-z]{5}[-\s]?[0-9A-Za-z]{5}/);
  return m ? normalizeKey(m[0]) : null;
}

// POST /api/devices/activate.  {ok:true, device} or {ok:false, reason, r?}
// reason: bad_key | key_refused | offline | rate_limited | error
export async function activate(text) {
  const key = normalizeKey(text);
  if (!key) return { ok: false, reason: 'bad_key' };
  const r = await request('POST', '/api/devices/activate', { body: { device_key: key } });
  if (r.kind === 'ok' && typeof r.json?.device_token === 'string') {
    const prev = await kvGet('device');
    const d = r.json.device || {};
    const device = {
      token: r.json.device_token,
      id: d.id, name: d.name, store_id: d.store_id,
      activated_at: new Date().toISOString(),
      revoked: false,
    };
    if (prev?.store_id && prev.store_id !== device.store_id) {
      // another store: its catalogue and cashiers are not ours; the outbox
      // stays (its orders belong to the old store and will say so when sent)
      await clearCatalog();
      await tx(['cashiers'], 'readwrite', (t) => { store(t, 'cashiers').clear(); });
      await kvDelete('store');
    }
    await kvSet('device', device);
    return { ok: true, device };
  }
  if (r.kind === 'unauthorized') return { ok: false, reason: 'key_refused', r };
  if (r.kind === 'network' || r.kind === 'unavailable') return { ok: false, reason: 'offline', r };
  if (r.status === 429) return { ok: false, reason: 'rate_limited', r };
  if (r.status === 400) return { ok: false, reason: 'bad_key', r };
  return { ok: false, reason: 'error', r };
}

// ------------------------------------------------------------ PIN verifiers
const enc = new TextEncoder();

async function derive(pin, salt, iterations) {
  const key = await crypto.subtle.importKey('raw', enc.encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export async function saveVerifier(user, pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(pin, salt, PBKDF2_ITERATIONS);
  await tx(['cashiers'], 'readwrite', (t) => {
    store(t, 'cashiers').put({
      user_id: user.id,
      user: { id: user.id, email: user.email, role: user.role, tenant_id: user.tenant_id, name: user.name },
      algo: 'PBKDF2-SHA256',
      iterations: PBKDF2_ITERATIONS,
      salt,
      hash,
      updated_at: new Date().toISOString(),
    });
  });
}

// The stored cashier whose verifier this PIN matches, or null.
export async function matchVerifier(pin) {
  const all = await tx(['cashiers'], 'readonly', (t) => req(store(t, 'cashiers').getAll()));
  let found = null;
  const now = Date.now();
  for (const v of all) {
    if (!(now - Date.parse(v.updated_at) < VERIFIER_MAX_AGE_MS)) continue;
    // every verifier is checked, so the time taken does not tell which matched
    const h = await derive(pin, new Uint8Array(v.salt), v.iterations || PBKDF2_ITERATIONS);
    if (sameBytes(h, new Uint8Array(v.hash)) && !found) found = v;
  }
  return found;
}

async function forgetVerifier(userId) {
  await tx(['cashiers'], 'readwrite', (t) => { store(t, 'cashiers').delete(userId); });
}

export async function knownCashiers() {
  return tx(['cashiers'], 'readonly', (t) => req(store(t, 'cashiers').count()));
}

// Offline guessing is slowed down: after 5 wrong PINs, 30 s of waiting,
// doubling with each further miss.
let misses = 0;
let lockedUntil = 0;
export function pinLockedFor() { return Math.max(0, lockedUntil - Date.now()); }
function miss() {
  misses++;
  if (misses >= 5) lockedUntil = Date.now() + 30000 * 2 ** Math.min(misses - 5, 5);
}

// {ok:true, mode:"online"|"offline", user, access_token?} or
// {ok:false, reason: "wrong_pin"|"unknown_offline"|"locked"|"revoked"|"rate_limited"|"error"}
export async function pinSignIn(pin, { offline = false } = {}) {
  if (pinLockedFor() > 0) return { ok: false, reason: 'locked' };
  const device = await kvGet('device');
  if (!device?.token) return { ok: false, reason: 'revoked' };
  if (!offline) {
    // a server already known to be away gets a short wait: the cashier is standing there
    const r = await request('POST', '/api/auth/pin', { token: device.token, body: { pin }, timeout: isReachable() ? 10000 : 3000 });
    if (r.kind === 'ok' && r.json?.user?.id) {
      misses = 0;
      await saveVerifier(r.json.user, pin);
      return { ok: true, mode: 'online', user: r.json.user, access_token: r.json.access_token };
    }
    if (r.kind === 'unauthorized') {
      // a wrong PIN, or this till is no longer active?
      const chk = await request('GET', '/api/store', { token: device.token });
      if (chk.kind === 'unauthorized') return { ok: false, reason: 'revoked' };
      // a PIN the server refuses no longer opens the till offline either
      const stale = await matchVerifier(pin);
      if (stale) await forgetVerifier(stale.user_id);
      miss();
      return { ok: false, reason: 'wrong_pin' };
    }
    if (r.kind === 'error') return { ok: false, reason: r.status === 429 ? 'rate_limited' : 'error', r };
    // network / unavailable: fall through to the offline check
  }
  const v = await matchVerifier(pin);
  if (v) {
    misses = 0;
    return { ok: true, mode: 'offline', user: v.user };
  }
  miss();
  return { ok: false, reason: (await knownCashiers()) ? 'wrong_pin' : 'unknown_offline' };
}

// The cashier of this tab survives a reload (sessionStorage), not a closed tab.
const SESSION_KEY = 'pos-till-cashier';
export function loadSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null'); } catch { return null; }
}
export function saveSession(s) {
  try {
    if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s)); else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* private mode */ }
}
