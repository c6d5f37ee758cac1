// Signs the demo owner in twice for scripts/bench.sh, both with the second
// factor: a page session (GET /login, POST /login, POST /login/2fa: the
// cookie header a browser would send to /dashboard) and an API token
// (POST /api/auth/login + /api/auth/2fa/verify: for /api/reports/*).
//
// node bench/owner-login.mjs BASE EMAIL PASSWORD TOTP_SECRET [EMAIL2 SECRET2 N2]
// prints {"cookie": "...", "token": "...", "cookies": [...]} on stdout:
// cookies holds the first cookie and N2 (at most 3) page sessions of a second
// user with the same password (for a run with one session per connection).
//
// The server takes each TOTP time step once per user and accepts one step
// either side of now: the page login uses the current step, the API login
// the next one (as tests/lib/tenancy.mjs does), so neither waits; the second
// user's sessions take the previous, the current and the next step.
import { totp, counterAt } from '../tests/lib/totp.mjs';

const [base, email, password, secret, email2, secret2, n2Arg] = process.argv.slice(2);
if (!base || !email || !password || !secret) {
  console.error('usage: node bench/owner-login.mjs BASE EMAIL PASSWORD TOTP_SECRET [EMAIL2 SECRET2 N2]');
  process.exit(2);
}
const fail = (what, r, text) => {
  console.error(`owner-login: ${what}: HTTP ${r.status} ${String(text ?? '').slice(0, 300)}`);
  process.exit(1);
};

const step = counterAt();

// ---- a page session: the cookie header, checked on /dashboard
async function pageLogin(who, key, counter) {
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
  const post = async (url, fields) => {
    const res = await fetch(base + url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: jar.get('pos_csrf') ?? '', ...fields }),
    });
    keep(res);
    return res;
  };
  keep(await fetch(`${base}/login`, { redirect: 'manual' }));
  let r = await post('/login', { email: who, password });
  if (r.status !== 303) fail(`POST /login (${who})`, r, await r.text());
  if (!jar.has('pos_csrf')) keep(await fetch(`${base}/login/2fa`, { headers: { cookie: cookie() }, redirect: 'manual' }));
  r = await post('/login/2fa', { code: totp(key, { counter }) });
  if (r.status !== 303) fail(`POST /login/2fa (${who})`, r, await r.text());
  r = await fetch(`${base}/dashboard`, { headers: { cookie: cookie() }, redirect: 'manual' });
  if (r.status !== 200) fail(`GET /dashboard with the session (${who})`, r, await r.text());
  return cookie();
}
const first = await pageLogin(email, secret, step);
const cookies = [first];
if (email2 && secret2) {
  for (let i = 0; i < Math.min(3, Number(n2Arg) || 0); i++) cookies.push(await pageLogin(email2, secret2, step - 1 + i));
}

// ---- the API token
const json = async (url, body) => {
  const res = await fetch(base + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let j = null;
  try { j = JSON.parse(text); } catch { /* reported below */ }
  if (res.status !== 200 || j === null) fail(`POST ${url}`, res, text);
  return j;
};
let j = await json('/api/auth/login', { email, password });
if (!j.access_token) {
  if (!j.mfa_token) fail('POST /api/auth/login (no mfa_token)', { status: 200 }, JSON.stringify(j));
  j = await json('/api/auth/2fa/verify', { mfa_token: j.mfa_token, code: totp(secret, { counter: step + 1 }) });
}
if (!j.access_token) fail('POST /api/auth/2fa/verify (no access_token)', { status: 200 }, JSON.stringify(j));

process.stdout.write(`${JSON.stringify({ cookie: first, token: j.access_token, cookies })}\n`);
