// One tenant never sees or touches another's data: over HTTP (B's owner on
// A's ids, B's lists, B's till with A's PIN) and in the database itself
// (row-level security for the pos_app role the workers use).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, assertError, assertStatus, listAll, uniqEmail, strongPassword, superToken,
  newTenant, activate, createUser, pinLogin, psql, psqlTry, sqlLiteral, sqlIdent,
} from '../lib/tenancy.mjs';

const A = {};
const B = {};

before(async () => {
  Object.assign(A, await newTenant());
  Object.assign(B, await newTenant());
  A.cashier = await createUser(A.token, { role: 'cashier', pin: '5172' });
  A.cook = await createUser(A.token, { role: 'cook' });
  B.cashier = await createUser(B.token, { role: 'cashier', pin: '8306' });
  A.dev = await activate(A.device.device_key);
  B.dev = await activate(B.device.device_key);
});

const notFound = (r, what) => {
  assert.ok(r.status === 404 || r.status === 403, `${what}: expected 404/403, got ${r.status} ${r.text.slice(0, 300)}`);
  assertError(r, [404, 403], r.status === 404 ? 'not_found' : 'forbidden');
};

test('B’s owner cannot read, change or delete A’s users', async () => {
  for (const u of [A.owner, A.cashier, A.cook]) {
    notFound(await call(B.token, 'GET', `/api/users/${u.id}`), `GET user ${u.id}`);
    notFound(await call(B.token, 'PATCH', `/api/users/${u.id}`, { language: 'az' }), `PATCH user ${u.id}`);
    notFound(await call(B.token, 'DELETE', `/api/users/${u.id}`), `DELETE user ${u.id}`);
  }
  // untouched on A's side
  for (const u of [A.owner, A.cashier, A.cook]) {
    const g = await call(A.token, 'GET', `/api/users/${u.id}`);
    assertStatus(g, 200, 'A reads its user');
    assert.notEqual(g.json.is_active, false, 'still active');
  }
  assertStatus(await pinLogin(A.dev.device_token, '5172'), 200, 'A’s cashier still signs in');
  const l = await call(null, 'POST', '/api/auth/login', { email: A.cook.email, password: A.cook.password });
  assertStatus(l, 200, 'A’s cook still logs in');
});

test('B’s owner cannot revoke, reset or enable A’s till', async () => {
  for (const op of ['revoke', 'reset-key', 'enable']) {
    notFound(await call(B.token, 'POST', `/api/devices/${A.device.id}/${op}`), `${op} A’s device`);
  }
  assertStatus(await pinLogin(A.dev.device_token, '5172'), 200, 'A’s till token still works');
  const list = await listAll(A.token, '/api/devices');
  assert.equal(list.length, 1);
  assert.equal(list[0].id, A.device.id);
});

test('B’s lists never contain A’s ids (users, devices, audit) and the other way round', async () => {
  const aIds = [A.tenant.id, A.store.id, A.owner.id, A.cashier.id, A.cook.id, A.device.id, A.email, A.cashier.email];
  const bIds = [B.tenant.id, B.store.id, B.owner.id, B.cashier.id, B.device.id, B.email, B.cashier.email];
  for (const url of ['/api/users', '/api/devices', '/api/audit']) {
    const bText = JSON.stringify(await listAll(B.token, url));
    const aText = JSON.stringify(await listAll(A.token, url));
    for (const id of aIds) assert.ok(!bText.includes(id), `${url} of B contains A’s ${id}`);
    for (const id of bIds) assert.ok(!aText.includes(id), `${url} of A contains B’s ${id}`);
  }
  const bUsers = (await listAll(B.token, '/api/users')).map((u) => u.id).sort();
  assert.deepEqual(bUsers, [B.owner.id, B.cashier.id].sort(), 'B sees exactly its own users');
  const bAudit = await listAll(B.token, '/api/audit');
  assert.ok(bAudit.length > 0, 'B has its own audit entries');
  const s = await call(B.token, 'GET', '/api/store');
  assertStatus(s, 200);
  assert.equal(s.json.id, B.store.id);
});

test('B’s owner is refused the platform endpoints (403)', async () => {
  assertError(await call(B.token, 'GET', '/api/tenants'), 403, 'forbidden');
  assertError(await call(B.token, 'PATCH', `/api/tenants/${A.tenant.id}/max-devices`, { max_devices: 9 }), 403, 'forbidden');
  assertError(await call(B.token, 'PATCH', `/api/tenants/${B.tenant.id}/max-devices`, { max_devices: 9 }), 403, 'forbidden');
  assertError(await call(B.token, 'POST', '/api/licence-codes', { note: 'free tills' }), 403, 'forbidden');
  const t = (await listAll(await superToken(), '/api/tenants')).find((x) => x.id === A.tenant.id);
  assert.equal(t.max_devices, 1, 'A’s limit unchanged');
});

test('B’s till with an A cashier’s PIN is 401; B’s till works for B’s cashier', async () => {
  assertError(await pinLogin(B.dev.device_token, '5172'), 401, 'unauthorized');
  const ok = await pinLogin(B.dev.device_token, '8306');
  assertStatus(ok, 200, 'B’s own cashier');
  assert.equal(ok.json.user.id, B.cashier.id);
  assertError(await pinLogin(A.dev.device_token, '8306'), 401, 'unauthorized');
});

test('the same PIN may exist in two tenants; an email is unique across them (login has no tenant)', async () => {
  const same = await call(B.token, 'POST', '/api/users', { email: uniqEmail('cashier'), password: strongPassword(), role: 'cashier', pin: '5172' });
  assertStatus(same, 201, 'A’s PIN reused in B');
  const b2 = await pinLogin(B.dev.device_token, '5172');
  assertStatus(b2, 200);
  assert.equal(b2.json.user.id, same.json.id, 'B’s till signs in B’s cashier, never A’s');
  const dup = await call(B.token, 'POST', '/api/users', { email: A.cashier.email, password: strongPassword(), role: 'cashier' });
  assertError(dup, 409, 'conflict');
  const l = await call(null, 'POST', '/api/auth/login', { email: A.cook.email, password: A.cook.password });
  assertStatus(l, 200);
  assert.equal(l.json.user.tenant_id, A.tenant.id);
});

test('the superadmin’s audit sees both tenants; each owner only its own', async () => {
  const all = JSON.stringify(await listAll(await superToken(), '/api/audit'));
  for (const T of [A, B]) {
    assert.ok([T.tenant.id, T.owner.id, T.device.id].some((id) => all.includes(id)), `superadmin audit has ${T.tenant.id}`);
  }
});

// ------------------------------------------------------------------ the database
const NAMED = ['users', 'devices', 'tenants', 'stores', 'audit_log', 'sessions'];

function tablesToCheck() {
  const withTenant = psql(
    "SELECT DISTINCT c.table_name FROM information_schema.columns c JOIN information_schema.tables t " +
    "ON t.table_schema = c.table_schema AND t.table_name = c.table_name " +
    "WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' ORDER BY 1",
    { user: 'postgres' }).split('\n').filter(Boolean);
  const existing = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", { user: 'postgres' }).split('\n');
  const named = NAMED.filter((t) => existing.includes(t));
  return { withTenant, all: [...new Set([...named, ...withTenant])].sort() };
}

test('the tables of this issue exist and every tenant table has row-level security enabled', () => {
  const { withTenant, all } = tablesToCheck();
  for (const t of ['users', 'devices', 'tenants', 'stores']) assert.ok(all.includes(t), `table ${t} (tables: ${all.join(', ')})`);
  assert.ok(withTenant.length >= 3, `tables with tenant_id: ${withTenant.join(', ')}`);
  const rls = psql(
    "SELECT relname || ':' || relrowsecurity || ':' || relforcerowsecurity FROM pg_class " +
    "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'", { user: 'postgres' }).split('\n');
  for (const t of [...withTenant, 'tenants']) {
    const row = rls.find((x) => x.startsWith(`${t}:`));
    assert.ok(row, `pg_class row for ${t}`);
    assert.match(row, /:(t|true):/, `${t} has row-level security enabled (${row})`);
  }
  const bypass = psql("SELECT rolbypassrls::text || rolsuper::text FROM pg_roles WHERE rolname = 'pos_app'", { user: 'postgres' });
  assert.equal(bypass, 'falsefalse', 'pos_app neither bypasses RLS nor is a superuser');
});

test('as pos_app without app.tenant_id every tenant table looks empty', () => {
  const { all } = tablesToCheck();
  for (const t of all) {
    const r = psqlTry(`SELECT count(*) FROM ${sqlIdent(t)}`);
    if (r.ok) {
      assert.equal(r.out, '0', `${t}: ${r.out} rows visible without a tenant`);
    } else {
      // fail-closed alternatives: no privilege, or a policy that errors on the unset setting
      assert.match(r.err, /permission denied|unrecognized configuration parameter|invalid input syntax for type uuid/, `${t}: ${r.err}`);
    }
  }
});

test('as pos_app with SET LOCAL app.tenant_id = A only A’s rows are visible', () => {
  const { withTenant } = tablesToCheck();
  const inA = (sql) => psql(['BEGIN', `SET LOCAL app.tenant_id = ${sqlLiteral(A.tenant.id)}`, sql, 'COMMIT']);
  for (const t of withTenant) {
    const other = inA(`SELECT count(*) FROM ${sqlIdent(t)} WHERE tenant_id IS DISTINCT FROM ${sqlLiteral(A.tenant.id)}`);
    assert.equal(other, '0', `${t}: rows of other tenants visible inside A`);
  }
  assert.equal(inA(`SELECT count(*) FROM users WHERE id IN (${[A.owner.id, A.cashier.id, A.cook.id].map(sqlLiteral).join(',')})`), '3', 'A’s users visible');
  assert.equal(inA(`SELECT count(*) FROM users WHERE id IN (${[B.owner.id, B.cashier.id].map(sqlLiteral).join(',')})`), '0', 'B’s users invisible');
  assert.equal(inA(`SELECT count(*) FROM devices WHERE id = ${sqlLiteral(A.device.id)}`), '1');
  assert.equal(inA(`SELECT count(*) FROM devices WHERE id = ${sqlLiteral(B.device.id)}`), '0');
  assert.equal(inA('SELECT id FROM tenants'), A.tenant.id, 'only A in tenants');
  assert.equal(inA(`SELECT count(*) FROM stores WHERE id = ${sqlLiteral(B.store.id)}`), '0');
  // writes are fenced too: an UPDATE of B's rows from inside A touches nothing
  const upd = psqlTry(['BEGIN', `SET LOCAL app.tenant_id = ${sqlLiteral(A.tenant.id)}`,
    `UPDATE devices SET name = name WHERE id = ${sqlLiteral(B.device.id)} RETURNING id`, 'ROLLBACK']);
  assert.ok(!upd.out.includes(B.device.id), 'B’s device not updatable from A');
  // and an INSERT claiming B's tenant is refused by the policy's WITH CHECK
  const cols = psql("SELECT column_name FROM information_schema.columns WHERE table_schema='public' AND table_name='audit_log'", { user: 'postgres' });
  if (cols.split('\n').includes('tenant_id')) {
    const ins = psqlTry(['BEGIN', `SET LOCAL app.tenant_id = ${sqlLiteral(A.tenant.id)}`,
      `INSERT INTO audit_log (tenant_id${cols.split('\n').includes('action') ? ', action' : ''}) VALUES (${sqlLiteral(B.tenant.id)}${cols.split('\n').includes('action') ? ", 'forged'" : ''})`, 'ROLLBACK']);
    assert.equal(ins.ok, false, 'an insert into another tenant fails');
    assert.match(ins.err, /row-level security|permission denied/, ins.err);
  }
});
