// The stack itself: health, routing errors, body limits, malformed input,
// security headers, and recovery when PostgreSQL goes away and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, stack, workerPids, until, BASE, ROOT, VARDIR } from '../lib/stack.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  assert.equal(r.json?.error?.code, code, r.text);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
}

test('GET /healthz answers ok with the database up', async () => {
  const r = await api('GET', '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok', db: 'ok' });
  assert.ok(r.headers.get('x-request-id'));
});

test('GET /api/version needs no database and says who we are', async () => {
  const r = await api('GET', '/api/version');
  assert.equal(r.status, 200);
  assert.equal(r.json.name, 'pos');
  assert.match(r.json.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('GET /api/openapi.json is an OpenAPI 3.1 document', async () => {
  const r = await api('GET', '/api/openapi.json');
  assert.equal(r.status, 200);
  assert.match(r.json.openapi, /^3\.1/);
  assert.ok(r.json.paths['/healthz'].get);
});

test('unknown /api/ routes are JSON 404 not_found', async () => {
  for (const p of ['/api/nope', '/api/', '/api/version/x']) {
    const r = await api('GET', p);
    assertError(r, 404, 'not_found');
  }
  const nul = await api('GET', '/api/%00');
  assert.ok(nul.status === 400 || nul.status === 404, nul.text);
});

test('a wrong method is 405 method_not_allowed with Allow', async () => {
  const r = await api('POST', '/healthz', { body: {} });
  assertError(r, 405, 'method_not_allowed');
  assert.match(r.headers.get('allow'), /GET/);
  const d = await api('DELETE', '/api/version');
  assertError(d, 405, 'method_not_allowed');
});

test('malformed JSON is 400 bad_request', async () => {
  for (const raw of ['{', '{"level":}', 'null', '[]', '"x"', '{"a":1,"a":2}', '\u0000', '{"level":"info","message":"x"} trailing']) {
    const r = await api('POST', '/api/client-log', { raw, headers: { 'content-type': 'application/json' } });
    assertError(r, 400, 'bad_request');
  }
});

test('a JSON body with the wrong content type is 400', async () => {
  const r = await api('POST', '/api/client-log', { raw: '{"level":"info","message":"x"}', headers: { 'content-type': 'text/plain' } });
  assertError(r, 400, 'bad_request');
});

test('invalid fields are 400 validation_failed naming the field', async () => {
  const cases = [
    [{ level: 'info' }, 'message'],
    [{ level: 'loud', message: 'x' }, 'level'],
    [{ level: 'info', message: 5 }, 'message'],
    [{ level: 'info', message: 'x'.repeat(1001) }, 'message'],
    [{ level: 'info', message: 'x', extra: 1 }, 'extra'],
    [{ level: 'info', message: "'; DROP TABLE x; --", source: 'y'.repeat(201) }, 'source'],
  ];
  for (const [body, field] of cases) {
    const r = await api('POST', '/api/client-log', { body });
    assertError(r, 400, 'validation_failed');
    assert.equal(r.json.error.field, field);
  }
  const ok = await api('POST', '/api/client-log', { body: { level: 'warn', message: 'till: sync failed "quoted"\nline', source: 'test' } });
  assert.equal(ok.status, 202);
  assert.deepEqual(ok.json, { logged: true });
});

test('bodies over 4 MiB are 413 payload_too_large (nginx), over a route limit too (worker)', async () => {
  const big = 'x'.repeat(5 * 1024 * 1024);
  const r = await api('POST', '/api/client-log', { raw: big, headers: { 'content-type': 'application/json' } });
  assertError(r, 413, 'payload_too_large');
  const mid = JSON.stringify({ level: 'info', message: 'x'.repeat(100 * 1024) });
  const w = await api('POST', '/api/client-log', { raw: mid, headers: { 'content-type': 'application/json' } });
  assertError(w, 413, 'payload_too_large');
});

test('malformed query strings are 400, never a crash', async () => {
  const r = await api('GET', '/api/version?a=%zz');
  assertError(r, 400, 'bad_request');
});

test('the workers survive 1,000 malformed requests in a row', async () => {
  const before = workerPids();
  assert.ok(before.length >= 1);
  const bad = [
    () => api('POST', '/api/client-log', { raw: '{"level":', headers: { 'content-type': 'application/json' } }),
    () => api('POST', '/api/client-log', { raw: '\xff\xfe{}', headers: { 'content-type': 'application/json' } }),
    () => api('POST', '/api/client-log', { body: { level: 'info', message: '\ud800' } }),
    () => api('GET', '/api/version?%'),
    () => api('GET', '/api/' + 'a/'.repeat(500)),
    () => api('PATCH', '/healthz', { raw: 'x' }),
    () => api('POST', '/api/client-log', { raw: '['.repeat(10000), headers: { 'content-type': 'application/json' } }),
    () => api('GET', '/docs', { headers: { cookie: ';;;=;a=' + '%'.repeat(3000), 'accept-language': 'x'.repeat(3000) } }),
  ];
  let n = 0;
  const workers = Array.from({ length: 8 }, async () => {
    while (n < 1000) {
      const i = n++;
      const r = await bad[i % bad.length]();
      // garbage cookies and Accept-Language are ignored (200); the rest is a 4xx
      assert.ok(r.status < 500 && (r.status >= 400 || i % bad.length === 7), `request ${i}: ${r.status} ${r.text.slice(0, 200)}`);
    }
  });
  await Promise.all(workers);
  assert.deepEqual(workerPids(), before, 'no worker died or was replaced');
  const h = await api('GET', '/healthz');
  assert.equal(h.status, 200);
});

test('JSON replies carry nosniff and a restrictive CSP; pages a nonce CSP', async () => {
  const j = await api('GET', '/api/version');
  assert.equal(j.headers.get('x-content-type-options'), 'nosniff');
  assert.match(j.headers.get('content-security-policy'), /default-src 'none'/);
  const p = await api('GET', '/');
  assert.equal(p.status, 200);
  const csp = p.headers.get('content-security-policy');
  const nonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
  assert.ok(nonce, csp);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(p.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
  const p2 = await api('GET', '/');
  assert.notEqual(/'nonce-([^']+)'/.exec(p2.headers.get('content-security-policy'))[1], nonce, 'a fresh nonce per response');
});

test('the language comes from ?lang=, then the cookie, then Accept-Language', async () => {
  const q = await api('GET', '/?lang=az');
  assert.match(q.text, /<html lang="az"/);
  assert.match(q.headers.get('set-cookie'), /lang=az;.*SameSite=Lax/);
  const c = await api('GET', '/', { headers: { cookie: 'lang=en' } });
  assert.match(c.text, /<html lang="en"/);
  const a = await api('GET', '/', { headers: { 'accept-language': 'uz-Latn-UZ,uz;q=0.9' } });
  assert.match(a.text, /<html lang="uz"/);
  const d = await api('GET', '/', { headers: { 'accept-language': 'de-DE' } });
  assert.match(d.text, /<html lang="ru"/);
  const e = await api('GET', '/api/nope', { headers: { 'accept-language': 'en' } });
  const f = await api('GET', '/api/nope', { headers: { 'accept-language': 'ru' } });
  assert.notEqual(e.json.error.message, f.json.error.message, 'error messages are translated');
});

test('unknown pages get a friendly HTML 404', async () => {
  const r = await api('GET', '/no-such-page');
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.text, /404/);
});

test('/docs lists every path of the OpenAPI document', async () => {
  const spec = (await api('GET', '/api/openapi.json')).json;
  const page = await api('GET', '/docs');
  assert.equal(page.status, 200);
  for (const p of Object.keys(spec.paths)) assert.ok(page.text.includes(`>${p}<`), `missing ${p}`);
});

test('pages name their stylesheet by a hash of its bytes, and that URL is cached as immutable', async () => {
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const html = (await api('GET', '/')).text;
  const href = html.match(/<link rel="stylesheet" href="(\/static\/css\/app\.css\?v=([0-9a-f]{16}))">/);
  assert.ok(href, 'app.css?v=<16 hex digits>');
  assert.equal((await api('GET', '/docs')).text.includes(href[1]), true, 'the same version on every page');
  const r = await api('GET', href[1]);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-control') || '', /immutable/);
  assert.equal(createHash('sha256').update(r.text).digest('hex'),
    createHash('sha256').update(readFileSync(`${ROOT}/static/css/app.css`, 'utf8')).digest('hex'), 'the file itself');
  // the version is FNV-1a (64 bits) over the bytes of the versioned assets (fcgi/config.c)
  let h = 0xcbf29ce484222325n;
  for (const f of ['static/css/app.css', 'static/js/dashboard.js', 'static/img/logo.svg', 'static/img/icon.svg',
    'static/favicon.ico', 'static/kitchen/kitchen.js', 'static/kitchen/kitchen.css']) {
    for (const b of readFileSync(`${ROOT}/${f}`)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  assert.equal(href[2], h.toString(16).padStart(16, '0'), 'a change of any of them changes the URL');
});

test('the demo logins file is readable by its owner only (it holds the TOTP secrets and the till key)', async () => {
  const { statSync, existsSync } = await import('node:fs');
  const f = `${VARDIR}/demo-logins.txt`;
  assert.ok(existsSync(f), 'the test stack loads the demo café');
  assert.equal(statSync(f).mode & 0o077, 0, `mode ${(statSync(f).mode & 0o777).toString(8)}`);
});

test('HEAD is answered like GET without a body', async () => {
  const r = await fetch(BASE + '/api/version', { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal((await r.text()).length, 0);
});

test('database stopped → 503 db_unavailable → restarted → 200, same workers', async () => {
  const before = workerPids();
  stack('pg_down');
  try {
    const h = await api('GET', '/healthz');
    assert.equal(h.status, 503);
    assert.deepEqual(h.json, { status: 'unavailable', db: 'down' });
    const v = await api('GET', '/api/version');
    assert.equal(v.status, 200, 'routes without the database keep working');
  } finally {
    stack('pg_up');
  }
  const ok = await until(async () => (await api('GET', '/healthz')).status === 200);
  assert.ok(ok, 'healthz back to 200');
  // every worker reconnects by itself: hit them all a few times
  for (let i = 0; i < 20; i++) assert.equal((await api('GET', '/healthz')).status, 200);
  assert.deepEqual(workerPids(), before, 'the workers were not restarted');
});

test('a worker that dies is replaced by the supervisor and the service goes on', async () => {
  const before = workerPids();
  process.kill(before[0], 'SIGKILL');
  const replaced = await until(() => {
    const now = workerPids();
    return now.length === before.length && !now.includes(before[0]) ? now : null;
  }, { timeout: 10000 });
  assert.ok(replaced, 'a new worker took the dead one’s place');
  for (let i = 0; i < 20; i++) assert.equal((await api('GET', '/healthz')).status, 200);
});

test('the workers refuse to start when a landed migration was edited', async () => {
  const { mkdtempSync, cpSync, appendFileSync, rmSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const { tmpdir } = await import('node:os');
  const root = mkdtempSync(path.join(tmpdir(), 'pos-root-'));
  try {
    for (const d of ['templates', 'static', 'migrations']) cpSync(path.join(ROOT, d), path.join(root, d), { recursive: true });
    appendFileSync(path.join(root, 'migrations/0001_roles_and_grants.sql'), '\n-- edited after landing\n');
    const bin = process.env.POSD || path.join(ROOT, process.env.POSCTL?.includes('/asan/') ? 'build/asan/posd' : 'build/posd');
    const r = spawnSync(bin, [], {
      env: { ...process.env, POS_ROOT: root, POS_SOCKET: path.join(root, 'x.sock'),
        POS_ORDER_SOCKET: path.join(root, 'y.sock'), POS_WORKERS: '1', POS_ORDER_WORKERS: '1',
        POS_VARDIR: VARDIR, POS_DB: `host=${VARDIR}/pgrun dbname=pos user=pos_app` },
      encoding: 'utf8', timeout: 20000,
    });
    assert.notEqual(r.status, 0, 'posd must not start');
    assert.match(r.stderr, /0001_roles_and_grants\.sql was edited/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a signed-in request while PostgreSQL is away is 503 db_unavailable, then works again', async () => {
  // a fresh tenant's first till: its token reaches a tenant-scoped route
  const { bootstrap } = await import('../lib/tenancy.mjs');
  const t = await bootstrap();
  const token = (await api('POST', '/api/devices/activate', { body: { device_key: t.device.device_key } })).json?.device_token;
  assert.ok(token, 'a device token');
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await api('GET', '/api/store', { headers: auth })).status, 200);
  stack('pg_down');
  try {
    const r = await api('GET', '/api/store', { headers: auth });
    assertError(r, 503, 'db_unavailable');
  } finally {
    stack('pg_up');
  }
  assert.ok(await until(async () => (await api('GET', '/api/store', { headers: auth })).status === 200), 'back to 200');
});
