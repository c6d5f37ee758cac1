// Helpers for the tenancy, isolation, validation and onboarding tests:
// authenticated requests, the superadmin's session (2FA included), fresh
// tenants, device activation, users, direct SQL, and error assertions.
//
// TOTP bookkeeping: the server refuses a time-step counter that is not greater
// than the last one a user used, and accepts ±1 step.  Every user's secret and
// last used counter are kept here (per process); the superadmin's, whose
// enrolment happens once per stack, also in ${VARDIR}/test-superadmin.totp
// (line 1: base32 secret, line 2: last used counter) so that test files running
// in other processes can log in after the first one enrolled.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { api as rawApi, VARDIR, BASE } from './stack.mjs';
import { totp, counterAt, msUntilCounter, STEP } from './totp.mjs';

export const SUPER_EMAIL = (process.env.POS_SUPERADMIN_EMAIL || 'admin@pos.test').toLowerCase();
export const SUPER_PASSWORD = process.env.POS_SUPERADMIN_PASSWORD || 'superadmin-password-1';
export const SUPER_TOTP_FILE = path.join(VARDIR, 'test-superadmin.totp');
const SUPER_TOKEN_FILE = path.join(VARDIR, 'test-superadmin.token');

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const RFC3339_UTC_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
export const BASE32_RE = /^[A-Z2-7]+=*$/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// nginx rate-limits the login-like endpoints per client address (local: 10 r/s,
// burst 40) and every test runs from 127.0.0.1: a 429 is waited out and the
// request repeated, unless { retry429: false } (tests of the app's own throttles).
export async function api(method, url, opts = {}) {
  const { retry429 = true, ...rest } = opts;
  for (let i = 0; ; i++) {
    const r = await rawApi(method, url, rest);
    if (r.status !== 429 || !retry429 || i >= 40) return r;
    await sleep(Math.max(1, Number(r.headers.get('retry-after')) || 1) * 1000);
  }
}

// ---------------------------------------------------------------- naming
let seq = 0;
export function uniq(prefix = 't') {
  return `${prefix}-${Date.now().toString(36)}-${process.pid.toString(36)}-${++seq}`;
}
export function uniqEmail(prefix = 'user') {
  return `${uniq(prefix)}@example.test`.toLowerCase();
}
export function strongPassword() {
  return `correct-horse-${randomBytes(6).toString('hex')}`; // 26 characters
}

// ---------------------------------------------------------------- requests
export const bearer = (token) => ({ authorization: `Bearer ${token}` });

// call(token, 'POST', '/api/devices', { name: 'POS-02' })
export function call(token, method, url, body, headers = {}, { retry429 = true } = {}) {
  return api(method, url, {
    body,
    headers: token ? { ...bearer(token), ...headers } : headers,
    retry429,
  });
}

// The error envelope of API.md: status, JSON, error.code, a message, the field.
export function assertError(r, status, code, field) {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(r.status), `expected ${statuses.join('/')} ${code ?? ''}, got ${r.status}: ${r.text.slice(0, 500)}`);
  assert.match(r.headers.get('content-type') || '', /^application\/json/, r.text.slice(0, 200));
  if (code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(r.json?.error?.code), `expected error code ${codes.join('/')}, got ${r.text.slice(0, 500)}`);
  }
  assert.equal(typeof r.json.error.message, 'string', r.text);
  assert.ok(r.json.error.message.length > 0, 'error message present');
  if (field !== undefined) assert.equal(r.json.error.field, field, r.text.slice(0, 500));
}

export function assertStatus(r, status, what = '') {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(r.status), `${what} expected ${statuses.join('/')}, got ${r.status}: ${r.text.slice(0, 500)}`);
}

// Every item of a list endpoint, following next_cursor.
export async function listAll(token, url, { limit = 500, maxPages = 50 } = {}) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const r = await call(token, 'GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assertStatus(r, 200, `GET ${url}`);
    assert.ok(Array.isArray(r.json.items), `${url}: items is a list`);
    assert.ok('next_cursor' in r.json, `${url}: next_cursor present`);
    items.push(...r.json.items);
    cursor = r.json.next_cursor;
    if (!cursor) return items;
  }
  return items;
}

// ---------------------------------------------------------------- TOTP bookkeeping
const totpState = new Map(); // email -> { secret, last }

function readSuperFile() {
  if (!existsSync(SUPER_TOTP_FILE)) return null;
  const [secret, last] = readFileSync(SUPER_TOTP_FILE, 'utf8').split('\n').map((s) => s.trim());
  if (!secret) return null;
  return { secret, last: last === '' || last === undefined ? null : Number(last) };
}

function stateOf(email) {
  email = email.toLowerCase();
  let s = totpState.get(email);
  if (email === SUPER_EMAIL) {
    const f = readSuperFile();
    if (f) {
      if (!s || s.secret !== f.secret) s = { ...f };
      else s.last = Math.max(s.last ?? -Infinity, f.last ?? -Infinity);
      if (!Number.isFinite(s.last)) s.last = null;
      totpState.set(email, s);
    }
  }
  return s;
}

function saveState(email, s) {
  email = email.toLowerCase();
  totpState.set(email, s);
  if (email === SUPER_EMAIL) {
    writeFileSync(SUPER_TOTP_FILE, `${s.secret}\n${s.last ?? ''}\n`, { mode: 0o600 });
  }
}

// Remember a user's TOTP secret (from an enrolment answer or page).
export function rememberTotp(email, secret, last = undefined) {
  const old = stateOf(email);
  const s = { secret: String(secret).replace(/\s+/g, '').toUpperCase(), last: old?.last ?? null };
  if (last !== undefined && last !== null) s.last = Math.max(s.last ?? -Infinity, last);
  saveState(email, s);
  return s;
}

export function totpSecretOf(email) {
  return stateOf(email)?.secret;
}

// A code for a counter greater than the last one this user used, inside the
// server's ±1 window: the current step if still unused, else the next one;
// waits only when both are used.  Marks the counter used.
export async function nextTotp(email) {
  const s = stateOf(email);
  if (!s?.secret) throw new Error(`no TOTP secret known for ${email}`);
  for (;;) {
    const c = counterAt();
    const target = Math.max(c, (s.last ?? -Infinity) + 1);
    if (target <= c + 1) {
      s.last = target;
      saveState(email, s);
      return { code: totp(s.secret, { counter: target }), counter: target };
    }
    await sleep(msUntilCounter(target - 1) + 50);
  }
}

// A code for the PREVIOUS time step (tests the −1 side of the window): only
// when that counter is unused; waits when the step is about to end.
export async function previousStepTotp(email) {
  const s = stateOf(email);
  if (!s?.secret) throw new Error(`no TOTP secret known for ${email}`);
  for (;;) {
    const c = counterAt();
    const intoStep = Date.now() / 1000 - c * STEP;
    if (intoStep > STEP - 4) { await sleep(msUntilCounter(c + 1) + 50); continue; }
    if ((s.last ?? -Infinity) >= c - 1) return null;
    s.last = c - 1;
    saveState(email, s);
    return { code: totp(s.secret, { counter: c - 1 }), counter: c - 1 };
  }
}

// A 6-digit code valid for none of the steps around now.
export function wrongTotp(email) {
  const s = stateOf(email);
  const c = counterAt();
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totp(s.secret, { counter: c + d })));
  for (const cand of ['000000', '123456', '999999', '111111', '654321']) if (!valid.has(cand)) return cand;
  throw new Error('unreachable');
}

export function login(email, password) {
  return api('POST', '/api/auth/login', { body: { email, password } });
}

export function verify2fa(mfa_token, code) {
  return api('POST', '/api/auth/2fa/verify', { body: { mfa_token, code } });
}

// Full login of any user: password, then enrolment or the TOTP step when the
// role needs it.  Returns the final JSON ({access_token, token_type, user, ...}).
export async function loginWith2fa(email, password) {
  let last;
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await login(email, password);
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text.slice(0, 300)}`);
    if (r.json.access_token) return r.json;
    if (r.json.mfa_enroll_required) rememberTotp(email, r.json.secret);
    else if (!r.json.mfa_required) throw new Error(`login ${email}: unexpected answer ${r.text.slice(0, 300)}`);
    const { code } = await nextTotp(email);
    const v = await verify2fa(r.json.mfa_token, code);
    if (v.status === 200 && v.json?.access_token) return v.json;
    last = v;
    // a counter used by someone else (another process) or a step boundary:
    // the next attempt takes a later counter
  }
  throw new Error(`2FA for ${email} failed: ${last?.status} ${last?.text?.slice(0, 300)}`);
}

// ---------------------------------------------------------------- superadmin
let superSession = null;

// { token, user } of the superadmin; logs in (enrolling TOTP on first use)
// once per process, reusing a still-valid token another process saved.
export async function superadmin() {
  if (superSession) return superSession;
  if (existsSync(SUPER_TOKEN_FILE)) {
    try {
      const saved = JSON.parse(readFileSync(SUPER_TOKEN_FILE, 'utf8'));
      const chk = await call(saved.token, 'GET', '/api/tenants?limit=1');
      if (chk.status === 200) return (superSession = saved);
    } catch { /* stale or partial file: log in again */ }
  }
  const j = await loginWith2fa(SUPER_EMAIL, SUPER_PASSWORD);
  superSession = { token: j.access_token, user: j.user };
  writeFileSync(SUPER_TOKEN_FILE, JSON.stringify(superSession), { mode: 0o600 });
  return superSession;
}

export async function superToken() {
  return (await superadmin()).token;
}

export async function issueLicenceCode(note = 'test') {
  const r = await call(await superToken(), 'POST', '/api/licence-codes', { note });
  assertStatus(r, 201, 'POST /api/licence-codes');
  assert.equal(typeof r.json.code, 'string');
  return r.json.code;
}

export async function setMaxDevices(tenantId, max_devices) {
  const r = await call(await superToken(), 'PATCH', `/api/tenants/${tenantId}/max-devices`, { max_devices });
  assertStatus(r, 200, `PATCH max-devices ${max_devices}`);
  return r.json;
}

// ---------------------------------------------------------------- tenants
export function bootstrapBody(extra = {}) {
  return {
    tenant_name: uniq('Tenant'),
    store_name: 'Main store',
    owner_email: uniqEmail('owner'),
    owner_password: strongPassword(),
    ...extra,
  };
}

// POST /api/bootstrap as the superadmin (or with { licence_code }).
export async function bootstrap(extra = {}, { token } = {}) {
  const body = bootstrapBody(extra);
  const useToken = token === undefined && !body.licence_code ? await superToken() : token;
  const r = await call(useToken, 'POST', '/api/bootstrap', body);
  assertStatus(r, 201, 'POST /api/bootstrap');
  return { ...r.json, email: body.owner_email, password: body.owner_password, body };
}

// A fresh tenant with its owner logged in (2FA enrolled): { tenant, store,
// owner, device, email, password, token }.
export async function newTenant(extra = {}) {
  const b = await bootstrap(extra);
  const j = await loginWith2fa(b.email, b.password);
  return { ...b, token: j.access_token, login: j };
}

export async function activate(device_key) {
  const r = await api('POST', '/api/devices/activate', { body: { device_key } });
  assertStatus(r, 200, 'POST /api/devices/activate');
  assert.equal(typeof r.json.device_token, 'string');
  return r.json;
}

export async function addDevice(token, name) {
  const r = await call(token, 'POST', '/api/devices', name === undefined ? {} : { name });
  assertStatus(r, 201, `POST /api/devices ${name ?? ''}`);
  return r.json;
}

// POST /api/users; returns the answer plus the password used.
export async function createUser(token, { role = 'cashier', pin, email = uniqEmail(role), password = strongPassword(), ...rest } = {}) {
  const body = { email, password, role, ...rest };
  if (pin !== undefined) body.pin = pin;
  const r = await call(token, 'POST', '/api/users', body);
  assertStatus(r, 201, `POST /api/users ${role}`);
  return { ...r.json, email, password, pin, json: r.json };
}

export function pinLogin(deviceToken, pin, { retry429 = true } = {}) {
  return call(deviceToken, 'POST', '/api/auth/pin', { pin }, {}, { retry429 });
}

// ---------------------------------------------------------------- SQL
const PGHOST = path.join(VARDIR, 'pgrun');

// Runs statements in one psql session (-c each); returns stdout, trimmed.
// Throws with psql's stderr on an error.
export function psql(statements, { user = 'pos_app', db = 'pos' } = {}) {
  const list = Array.isArray(statements) ? statements : [statements];
  const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', PGHOST, '-U', user, '-d', db];
  for (const s of list) args.push('-c', s);
  return execFileSync('psql', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// A psql session (as postgres by default) that keeps a transaction open: `run(sql)`
// sends a statement and resolves when psql has answered it (rejects when psql
// has ended or after `timeout` ms); `end()` commits and quits.
export function psqlSession({ user = 'postgres', db = 'pos', timeout = 20000 } = {}) {
  const p = spawn('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', PGHOST, '-U', user, '-d', db],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended = false;
  const waiters = [];
  p.stdout.on('data', (d) => {
    out += d;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const lineOut = out.slice(0, i);
      out = out.slice(i + 1);
      if (lineOut.startsWith('mark:')) waiters.shift()?.resolve(lineOut);
    }
  });
  p.stderr.on('data', (d) => { err += d; });
  // a psql that cannot start, or a write after it has ended, must fail the
  // test that uses it, not crash the runner
  p.on('error', (e) => { err += String(e); });
  p.stdin.on('error', (e) => { err += String(e); });
  const exited = new Promise((resolve) => p.on('close', (code) => { ended = true; resolve(code); }));
  let n = 0;
  return {
    run(statement) {
      n += 1;
      if (ended) return Promise.reject(new Error(`psql has ended: ${err}`));
      const done = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`psql did not answer in ${timeout} ms: ${statement}`)), timeout);
        waiters.push({ resolve: (v) => { clearTimeout(timer); resolve(v); } });
        exited.then((code) => { clearTimeout(timer); reject(new Error(`psql ended (${code}): ${err}`)); });
      });
      p.stdin.write(`${statement};\nSELECT 'mark:${n}';\n`);
      return done;
    },
    async end() {
      if (!ended) p.stdin.end('COMMIT;\n');
      return exited;
    },
  };
}

// Like psql() but never throws: { ok, out, err }.
export function psqlTry(statements, opts = {}) {
  const list = Array.isArray(statements) ? statements : [statements];
  const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', PGHOST, '-U', opts.user || 'pos_app', '-d', opts.db || 'pos'];
  for (const s of list) args.push('-c', s);
  const r = spawnSync('psql', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() };
}

export const sqlLiteral = (s) => `'${String(s).replace(/'/g, "''")}'`;
export const sqlIdent = (s) => `"${String(s).replace(/"/g, '""')}"`;

// The public tables (as postgres, for set-up checks).
export function publicTables() {
  return psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", { user: 'postgres' })
    .split('\n').filter(Boolean);
}

// ---------------------------------------------------------------- JWT
export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export function jwtParts(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: s,
    raw: [h, p, s],
  };
}

// ---------------------------------------------------------------- pages
// A page session over plain HTTP (the sign-in form, then the 2FA form when the
// user has 2FA; cooks and cashiers have none): the cookie header.
export async function pageLogin(email, password) {
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const post = async (url, fields) => {
    const r = await fetch(BASE + url, {
      method: 'POST', redirect: 'manual',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: jar.get('pos_csrf'), ...fields }),
    });
    keep(r);
    return r;
  };
  keep(await fetch(`${BASE}/login`, { redirect: 'manual' }));
  const p = await post('/login', { email, password });
  assert.equal(p.status, 303);
  if (!(p.headers.get('location') || '').startsWith('/login/2fa')) return cookie();
  if (!jar.has('pos_csrf')) keep(await fetch(`${BASE}/login/2fa`, { headers: { cookie: cookie() }, redirect: 'manual' }));
  const { code } = await nextTotp(email);
  const t = await post('/login/2fa', { code });
  assert.equal(t.status, 303, `2FA step: ${t.status}`);
  return cookie();
}

// GET a page with a session's cookie header.
export const page = (cookie, url) => fetch(BASE + url, { headers: { cookie }, redirect: 'manual' });
