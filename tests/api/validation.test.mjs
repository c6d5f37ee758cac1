// Bad input on every endpoint of tenancy / licensing / devices / users:
// missing and wrong-typed fields, over-long strings, out-of-range values,
// unknown fields → 400 validation_failed naming the field; malformed JSON →
// 400 bad_request; non-UUID ids → 404; SQL metacharacters are data, never a
// 500, and every table survives.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, call, assertError, assertStatus, listAll, uniq, uniqEmail, strongPassword, superToken,
  bootstrapBody, newTenant, activate, createUser, login, setMaxDevices, publicTables, psql,
} from '../lib/tenancy.mjs';

const T = {};
const seen5xx = [];
let tablesBefore = [];

// every request of this file goes through here so that any 5xx is reported
async function req(token, method, url, body, opts = {}) {
  const r = opts.raw !== undefined
    ? await api(method, url, { raw: opts.raw, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': opts.type || 'application/json' } })
    : await call(token, method, url, body);
  if (r.status >= 500) seen5xx.push(`${method} ${url} ${JSON.stringify(body ?? opts.raw).slice(0, 120)} → ${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

const long = (n, ch = 'x') => ch.repeat(n);
const omit = (obj, k) => { const o = { ...obj }; delete o[k]; return o; };

before(async () => {
  tablesBefore = publicTables();
  Object.assign(T, await newTenant());
  await setMaxDevices(T.tenant.id, 2); // a free slot, so that only validation can refuse a till
  T.dev = await activate(T.device.device_key);
  T.cashier = await createUser(T.token, { role: 'cashier', pin: '3917' });
  T.manager = await createUser(T.token, { role: 'manager' });
  const m = await login(T.manager.email, T.manager.password);
  assert.equal(m.json?.mfa_enroll_required, true, m.text);
  T.mfa = m.json.mfa_token;
  T.super = await superToken();
});

async function expectInvalid(token, method, url, cases) {
  for (const [label, body, field] of cases) {
    const r = await req(token, method, url, body);
    assert.equal(r.status, 400, `${method} ${url} ${label}: ${r.status} ${r.text.slice(0, 300)}`);
    assertError(r, 400, 'validation_failed', field);
  }
}

// ------------------------------------------------------------------ bootstrap
test('POST /api/bootstrap: each bad field is 400 validation_failed naming it', async () => {
  const b = bootstrapBody();
  await expectInvalid(T.super, 'POST', '/api/bootstrap', [
    ['tenant_name missing', omit(b, 'tenant_name'), 'tenant_name'],
    ['tenant_name number', { ...b, tenant_name: 5 }, 'tenant_name'],
    ['tenant_name null', { ...b, tenant_name: null }, 'tenant_name'],
    ['tenant_name empty', { ...b, tenant_name: '' }, 'tenant_name'],
    ['tenant_name 201', { ...b, tenant_name: long(201) }, 'tenant_name'],
    ['tenant_name 201 Cyrillic', { ...b, tenant_name: long(201, 'Ж') }, 'tenant_name'],
    ['store_name missing', omit(b, 'store_name'), 'store_name'],
    ['store_name array', { ...b, store_name: ['Main'] }, 'store_name'],
    ['store_name 201', { ...b, store_name: long(201) }, 'store_name'],
    ['owner_email missing', omit(b, 'owner_email'), 'owner_email'],
    ['owner_email not an email', { ...b, owner_email: 'not-an-email' }, 'owner_email'],
    ['owner_email number', { ...b, owner_email: 7 }, 'owner_email'],
    ['owner_email too long', { ...b, owner_email: `${long(250, 'a')}@example.test` }, 'owner_email'],
    ['owner_password missing', omit(b, 'owner_password'), 'owner_password'],
    ['owner_password 11', { ...b, owner_password: 'elevenchars' }, 'owner_password'],
    ['owner_password 129', { ...b, owner_password: long(129, 'p') }, 'owner_password'],
    ['owner_password number', { ...b, owner_password: 123456789012345 }, 'owner_password'],
    ['base_currency 4 letters', { ...b, base_currency: 'EURO' }, 'base_currency'],
    ['base_currency number', { ...b, base_currency: 840 }, 'base_currency'],
    ['language unknown', { ...b, language: 'klingon' }, 'language'],
    ['language number', { ...b, language: 5 }, 'language'],
    ['licence_code number', { ...b, licence_code: 12345 }, 'licence_code'],
    ['unknown field', { ...b, plan: 'pro' }, 'plan'],
  ]);
});

test('POST /api/bootstrap: the limits themselves are accepted (200 chars, 12 and 128-char passwords)', async () => {
  for (const extra of [
    { tenant_name: long(200 - 9, 'Ж') + uniq('').slice(-9) },
    { owner_password: 'twelve-chars' },
    { owner_password: long(128, 'q') },
  ]) {
    const body = bootstrapBody(extra);
    const r = await req(T.super, 'POST', '/api/bootstrap', body);
    assertStatus(r, 201, `bootstrap ${JSON.stringify(extra).slice(0, 60)}`);
    if (extra.tenant_name) assert.equal(r.json.tenant.name, extra.tenant_name);
    if (extra.owner_password) {
      const l = await login(body.owner_email, body.owner_password);
      assertStatus(l, 200, 'the owner logs in with that password');
    }
  }
});

// ------------------------------------------------------------------ auth
test('POST /api/auth/login: bad fields are 400 naming them', async () => {
  const b = { email: T.cashier.email, password: T.cashier.password };
  await expectInvalid(null, 'POST', '/api/auth/login', [
    ['email missing', omit(b, 'email'), 'email'],
    ['email number', { ...b, email: 5 }, 'email'],
    ['email null', { ...b, email: null }, 'email'],
    ['password missing', omit(b, 'password'), 'password'],
    ['password number', { ...b, password: 123456789012 }, 'password'],
    ['unknown field', { ...b, zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  assertStatus(await login(T.cashier.email, T.cashier.password), 200, 'validation failures did not lock the account');
});

test('POST /api/auth/2fa/verify: bad fields are 400 naming them', async () => {
  await expectInvalid(null, 'POST', '/api/auth/2fa/verify', [
    ['mfa_token missing', { code: '123456' }, 'mfa_token'],
    ['mfa_token number', { mfa_token: 5, code: '123456' }, 'mfa_token'],
    ['code missing', { mfa_token: T.mfa }, 'code'],
    ['code boolean', { mfa_token: T.mfa, code: true }, 'code'],
    ['code object', { mfa_token: T.mfa, code: { a: 1 } }, 'code'],
    ['unknown field', { mfa_token: T.mfa, code: '123456', zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
});

test('POST /api/auth/pin: bad PINs are 400 naming pin', async () => {
  await expectInvalid(T.dev.device_token, 'POST', '/api/auth/pin', [
    ['pin missing', {}, 'pin'],
    ['pin boolean', { pin: true }, 'pin'],
    ['pin 2 digits', { pin: '12' }, 'pin'],
    ['pin 7 digits', { pin: '1234567' }, 'pin'],
    ['pin not digits', { pin: "1' OR '1'='1" }, 'pin'],
    ['unknown field', { pin: '3917', zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  assertStatus(await req(T.dev.device_token, 'POST', '/api/auth/pin', { pin: '3917' }), 200, 'the right PIN still works');
});

// ------------------------------------------------------------------ devices
test('POST /api/devices: bad names are 400 and create nothing; no name gets a default', async () => {
  await expectInvalid(T.token, 'POST', '/api/devices', [
    ['name number', { name: 5 }, 'name'],
    ['name array', { name: ['POS'] }, 'name'],
    ['name 201', { name: long(201) }, 'name'],
    ['unknown field', { name: 'POS-X', zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  assert.equal((await listAll(T.token, '/api/devices')).length, 1, 'nothing created');
  const d = await req(T.token, 'POST', '/api/devices', {});
  assertStatus(d, 201, 'POST /api/devices {}');
  assert.equal(typeof d.json.name, 'string');
  assert.ok(d.json.name.length > 0 && d.json.name !== 'POS-01', `default name ${d.json.name}`);
  T.dev2 = d.json;
});

test('POST /api/devices/activate: bad fields are 400 naming them', async () => {
  await expectInvalid(null, 'POST', '/api/devices/activate', [
    ['device_key missing', {}, 'device_key'],
    ['device_key number', { device_key: 5 }, 'device_key'],
    ['device_key null', { device_key: null }, 'device_key'],
    ['unknown field', { device_key: 'k', zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
});

test('device actions on non-UUID and unknown ids are 404', async () => {
  for (const op of ['revoke', 'reset-key', 'enable']) {
    for (const id of ['abc', '123', 'not-a-uuid', "1'%20OR%201=1", '00000000-0000-0000-0000-00000000000g']) {
      const r = await req(T.token, 'POST', `/api/devices/${id}/${op}`);
      assertError(r, 404, 'not_found');
    }
    assertError(await req(T.token, 'POST', `/api/devices/${crypto.randomUUID()}/${op}`), 404, 'not_found');
  }
});

// ------------------------------------------------------------------ users
test('POST /api/users: bad fields are 400 naming them', async () => {
  const b = () => ({ email: uniqEmail('v'), password: strongPassword(), role: 'cashier' });
  await expectInvalid(T.token, 'POST', '/api/users', [
    ['email missing', omit(b(), 'email'), 'email'],
    ['email not an email', { ...b(), email: 'nope' }, 'email'],
    ['email number', { ...b(), email: 5 }, 'email'],
    ['email too long', { ...b(), email: `${long(250, 'a')}@example.test` }, 'email'],
    ['password missing', omit(b(), 'password'), 'password'],
    ['password 11', { ...b(), password: 'elevenchars' }, 'password'],
    ['password 129', { ...b(), password: long(129, 'p') }, 'password'],
    ['password number', { ...b(), password: 123456789012345 }, 'password'],
    ['role missing', omit(b(), 'role'), 'role'],
    ['role unknown', { ...b(), role: 'emperor' }, 'role'],
    ['role number', { ...b(), role: 5 }, 'role'],
    ['pin 2 digits', { ...b(), pin: '12' }, 'pin'],
    ['pin 7 digits', { ...b(), pin: '1234567' }, 'pin'],
    ['pin letters', { ...b(), pin: 'abcd' }, 'pin'],
    ['pin boolean', { ...b(), pin: true }, 'pin'],
    ['language unknown', { ...b(), language: 'xx' }, 'language'],
    ['language number', { ...b(), language: 5 }, 'language'],
    ['unknown field', { ...b(), zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  // nobody was created by those
  const emails = (await listAll(T.token, '/api/users')).map((u) => u.email);
  assert.ok(!emails.some((e) => /^v-/.test(e)), 'no user created by a refused request');
});

test('POST /api/users: the platform role cannot be given; password limits 12 and 128 are accepted', async () => {
  const r = await req(T.token, 'POST', '/api/users', { email: uniqEmail('sa'), password: strongPassword(), role: 'superadmin' });
  assert.ok(r.status === 400 || r.status === 403, `${r.status} ${r.text.slice(0, 200)}`);
  if (r.status === 400) assertError(r, 400, 'validation_failed', 'role');
  for (const password of ['twelve-chars', long(128, 'w')]) {
    const u = await createUser(T.token, { role: 'cook', password });
    assertStatus(await login(u.email, password), 200, `login with a ${password.length}-char password`);
  }
});

test('PATCH /api/users/{id}: bad fields are 400 naming them; the platform role cannot be given', async () => {
  const url = `/api/users/${T.cashier.id}`;
  await expectInvalid(T.token, 'PATCH', url, [
    ['role unknown', { role: 'emperor' }, 'role'],
    ['role number', { role: 5 }, 'role'],
    ['password 11', { password: 'elevenchars' }, 'password'],
    ['password 129', { password: long(129, 'p') }, 'password'],
    ['pin 1 digit', { pin: '1' }, 'pin'],
    ['email not an email', { email: 'nope' }, 'email'],
    ['language unknown', { language: 'xx' }, 'language'],
    ['unknown field', { zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  const r = await req(T.token, 'PATCH', url, { role: 'superadmin' });
  assert.ok(r.status === 400 || r.status === 403, `${r.status} ${r.text.slice(0, 200)}`);
  const g = await req(T.token, 'GET', url);
  assertStatus(g, 200);
  assert.equal(g.json.role, 'cashier', 'unchanged');
});

test('users by non-UUID and unknown ids are 404', async () => {
  for (const id of ['abc', '42', 'not-a-uuid', "x'%20OR%20'1'='1"]) {
    assertError(await req(T.token, 'GET', `/api/users/${id}`), 404, 'not_found');
    assertError(await req(T.token, 'PATCH', `/api/users/${id}`, { language: 'ru' }), 404, 'not_found');
    assertError(await req(T.token, 'DELETE', `/api/users/${id}`), 404, 'not_found');
  }
  const u = crypto.randomUUID();
  assertError(await req(T.token, 'GET', `/api/users/${u}`), 404, 'not_found');
  assertError(await req(T.token, 'PATCH', `/api/users/${u}`, { language: 'ru' }), 404, 'not_found');
  assertError(await req(T.token, 'DELETE', `/api/users/${u}`), 404, 'not_found');
});

// ------------------------------------------------------------------ platform
test('PATCH /api/tenants/{id}/max-devices: bad values are 400; bad ids 404', async () => {
  const url = `/api/tenants/${T.tenant.id}/max-devices`;
  await expectInvalid(T.super, 'PATCH', url, [
    ['missing', {}, 'max_devices'],
    ['string', { max_devices: '3' }, 'max_devices'],
    ['negative', { max_devices: -1 }, 'max_devices'],
    ['fraction', { max_devices: 2.5 }, 'max_devices'],
    ['null', { max_devices: null }, 'max_devices'],
    ['unknown field', { max_devices: 3, zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  const zero = await req(T.super, 'PATCH', url, { max_devices: 0 });
  assert.ok(zero.status === 400 || zero.status === 409, `max_devices 0: ${zero.status} ${zero.text.slice(0, 200)}`);
  const huge = await req(T.super, 'PATCH', url, { max_devices: 2 ** 31 });
  assert.ok(huge.status === 400 || huge.status === 200, `max_devices 2^31: ${huge.status} ${huge.text.slice(0, 200)}`);
  if (huge.status === 400) assertError(huge, 400, 'validation_failed', 'max_devices');
  // beyond any integer type: refused either as a bad value or as unparseable JSON
  const huger = await req(T.super, 'PATCH', url, undefined, { raw: '{"max_devices":100000000000000000000}' });
  assertError(huger, 400, ['validation_failed', 'bad_request']);
  await setMaxDevices(T.tenant.id, 2);
  for (const id of ['abc', '1', "1'%20OR%201=1"]) assertError(await req(T.super, 'PATCH', `/api/tenants/${id}/max-devices`, { max_devices: 3 }), 404, 'not_found');
  assertError(await req(T.super, 'PATCH', `/api/tenants/${crypto.randomUUID()}/max-devices`, { max_devices: 3 }), 404, 'not_found');
});

test('POST /api/licence-codes: note limits', async () => {
  await expectInvalid(T.super, 'POST', '/api/licence-codes', [
    ['note number', { note: 5 }, 'note'],
    ['note 1001', { note: long(1001) }, 'note'],
    ['unknown field', { note: 'x', zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  assertStatus(await req(T.super, 'POST', '/api/licence-codes', { note: long(1000, 'n') }), 201, 'a 1000-char note');
});

test('PATCH /api/store: bad fields are 400 naming them', async () => {
  await expectInvalid(T.token, 'PATCH', '/api/store', [
    ['name number', { name: 5 }, 'name'],
    ['name empty', { name: '' }, 'name'],
    ['name 201', { name: long(201) }, 'name'],
    ['time_zone unknown', { time_zone: 'Mars/Olympus_Mons' }, 'time_zone'],
    ['time_zone number', { time_zone: 5 }, 'time_zone'],
    ['language unknown', { language: 'xx' }, 'language'],
    ['base_currency 4 letters', { base_currency: 'EURO' }, 'base_currency'],
    ['base_currency number', { base_currency: 840 }, 'base_currency'],
    ['unknown field', { zzz_unknown: 1 }, 'zzz_unknown'],
  ]);
  const g = await req(T.token, 'GET', '/api/store');
  assert.equal(g.json.name, 'Main store', 'unchanged');
});

// ------------------------------------------------------------------ malformed bodies
test('malformed JSON and a wrong content type are 400 bad_request on every endpoint', async () => {
  const endpoints = [
    [T.super, 'POST', '/api/bootstrap'],
    [null, 'POST', '/api/auth/login'],
    [null, 'POST', '/api/auth/2fa/verify'],
    [T.dev.device_token, 'POST', '/api/auth/pin'],
    [T.token, 'POST', '/api/devices'],
    [null, 'POST', '/api/devices/activate'],
    [T.token, 'POST', '/api/users'],
    [T.token, 'PATCH', `/api/users/${T.cashier.id}`],
    [T.super, 'PATCH', `/api/tenants/${T.tenant.id}/max-devices`],
    [T.super, 'POST', '/api/licence-codes'],
    [T.token, 'PATCH', '/api/store'],
  ];
  const raws = ['{', '{"name":}', '[]', 'null', '"x"', '{"a":1} trailing', '{"a":"\\ud800"'];
  for (const [tok, method, url] of endpoints) {
    for (const raw of raws) {
      const r = await req(tok, method, url, undefined, { raw });
      assert.equal(r.status, 400, `${method} ${url} ${JSON.stringify(raw)}: ${r.status} ${r.text.slice(0, 200)}`);
      assertError(r, 400, 'bad_request');
    }
    const t = await req(tok, method, url, undefined, { raw: '{}', type: 'text/plain' });
    assertError(t, 400, 'bad_request');
  }
  assert.equal((await listAll(T.token, '/api/devices')).length, 2, 'no till created by garbage');
});

test('odd list parameters are refused (400) or ignored (200), never a 500', async () => {
  for (const url of ['/api/devices?limit=abc', '/api/users?limit=-5', '/api/users?limit=100000', '/api/audit?cursor=%27%20OR%201%3D1%20--', '/api/devices?cursor=!!!not-a-cursor', '/api/audit?limit=1e99']) {
    const r = await req(T.token, 'GET', url);
    assert.ok(r.status === 400 || r.status === 200, `${url}: ${r.status} ${r.text.slice(0, 200)}`);
    if (r.status === 400) assertError(r, 400, ['bad_request', 'validation_failed']);
    else {
      assert.ok(Array.isArray(r.json.items), url);
      assert.ok(r.json.items.length <= 500, `${url}: at most 500 items`);
    }
  }
});

// ------------------------------------------------------------------ SQL metacharacters
test('SQL metacharacters are plain data: accepted or refused, never a 500; the tables survive', async () => {
  const evil = "'; DROP TABLE users; --";
  const b = bootstrapBody({
    tenant_name: `${evil} ${uniq('')}`,
    store_name: "Robert'); DROP TABLE stores;--",
    owner_email: `o'brien+${uniq('x')}@example.test`.toLowerCase(),
    owner_password: "' OR '1'='1' -- pass",
  });
  const r = await req(T.super, 'POST', '/api/bootstrap', b);
  assert.ok(r.status === 201 || r.status === 400, `bootstrap with quotes: ${r.status} ${r.text.slice(0, 200)}`);
  if (r.status === 201) {
    assert.equal(r.json.tenant.name, b.tenant_name);
    assert.equal(r.json.store.name, b.store_name);
    const t = (await listAll(T.super, '/api/tenants')).find((x) => x.id === r.json.tenant.id);
    assert.equal(t.name, b.tenant_name, 'stored verbatim');
    const l = await login(b.owner_email, b.owner_password);
    assertStatus(l, 200, 'the quoted email and password log in');
    assert.equal(l.json.mfa_enroll_required, true);
  } else {
    assertError(r, 400, 'validation_failed');
  }

  await setMaxDevices(T.tenant.id, 3);
  const d = await req(T.token, 'POST', '/api/devices', { name: "'; DROP TABLE devices; --" });
  assert.ok(d.status === 201 || d.status === 400, `device: ${d.status}`);
  if (d.status === 201) assert.equal(d.json.name, "'; DROP TABLE devices; --");

  const s = await req(T.token, 'PATCH', '/api/store', { name: "'; DROP TABLE stores; --" });
  assert.ok(s.status === 200 || s.status === 400, `store: ${s.status}`);
  if (s.status === 200) assert.equal((await req(T.token, 'GET', '/api/store')).json.name, "'; DROP TABLE stores; --");
  await req(T.token, 'PATCH', '/api/store', { name: 'Main store' });

  const u = await req(T.token, 'POST', '/api/users', { email: uniqEmail("o'hara"), password: "x' OR 1=1; --x", role: 'cook' });
  assert.ok(u.status === 201 || u.status === 400, `user: ${u.status}`);

  for (const email of ["' OR '1'='1", "admin@pos.test' --", `${T.cashier.email}' --`]) {
    const l = await req(null, 'POST', '/api/auth/login', { email, password: "' OR '1'='1' --" });
    assert.ok(l.status === 401 || l.status === 400, `login ${email}: ${l.status}`);
  }
  const a = await req(null, 'POST', '/api/devices/activate', { device_key: "' OR 1=1 --" });
  assert.ok(a.status === 401 || a.status === 400, `activate: ${a.status}`);
  const n = await req(T.super, 'POST', '/api/licence-codes', { note: "'); DELETE FROM tenants; --" });
  assertStatus(n, 201, 'a note with quotes');

  assert.deepEqual(publicTables(), tablesBefore, 'every table still exists');
  assert.ok(Number(psql('SELECT count(*) FROM users', { user: 'postgres' })) > 0, 'users still has rows');
  assertStatus(await req(T.token, 'GET', '/api/users'), 200);
});

test('no request in this file was answered with a 5xx', () => {
  assert.deepEqual(seen5xx, []);
});
