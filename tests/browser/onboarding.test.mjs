// Seed 002 through the web forms, as an owner sees it in Russian: onboarding
// with a licence code → the device key and its QR → login → TOTP enrolment
// with a QR → dashboard → tills page with POS-01 → adding a second till hits
// the licence limit; a form post without the CSRF token is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shot } from '../lib/browser.mjs';
import { BASE } from '../lib/stack.mjs';
import {
  api, BASE32_RE, assertError, assertStatus, uniq, uniqEmail, strongPassword,
  issueLicenceCode, bootstrapBody, rememberTotp, nextTotp,
} from '../lib/tenancy.mjs';

let ctx;
let page;
const consoleErrors = [];
const S = {
  tenant_name: uniq('Otabek Books'),
  store_name: 'Main store',
  owner_email: uniqEmail('owner-web'),
  owner_password: strongPassword(),
};

before(async () => {
  ctx = await launch(); // ru-RU
  page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});
after(async () => { await ctx?.close(); });

// Submits the form holding `selector` by clicking its submit button and waits
// for the answer page to load.
async function submitFormOf(selector) {
  const form = page.locator('form').filter({ has: page.locator(selector) }).first();
  const button = form.locator('button[type="submit"], input[type="submit"], button:not([type])').first();
  const loaded = page.waitForEvent('load', { timeout: 15000 }).catch(() => null);
  await button.click();
  await loaded;
}

const valueOf = (sel) => page.$eval(sel, (el) => (('value' in el && el.value) || el.textContent || '').trim());

test('onboarding with a licence code shows the device key and its QR', async () => {
  S.code = await issueLicenceCode('browser onboarding');
  const res = await page.goto(BASE + '/onboarding', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  assert.equal(await page.getAttribute('input[name="owner_password"]', 'type'), 'password');
  for (const f of ['tenant_name', 'store_name', 'owner_email', 'owner_password', 'licence_code']) {
    await page.fill(`[name="${f}"]`, f === 'licence_code' ? S.code : S[f]);
  }
  await submitFormOf('[name="tenant_name"]');
  await page.waitForSelector('#device-key', { timeout: 15000 });
  S.deviceKey = (await valueOf('#device-key')).replace(/\s+/g, '');
  assert.ok(S.deviceKey.length >= 16, `device key shown: ${S.deviceKey}`);
  assert.ok(await page.$('#device-qr svg'), 'a QR code (svg) for the device key');
  await shot(page, 'onboarding-device-key');

  // the key shown is the real one: POS-01 activates with it
  const a = await api('POST', '/api/devices/activate', { body: { device_key: S.deviceKey } });
  assertStatus(a, 200, 'activate with the key from the page');
  assert.equal(a.json.device.name, 'POS-01');
  // and the licence code is spent
  assertError(await api('POST', '/api/bootstrap', { body: bootstrapBody({ licence_code: S.code }) }), 403, 'forbidden');
});

test('login → TOTP enrolment page with secret and QR → code → dashboard', async () => {
  assert.ok(S.deviceKey, 'needs the onboarding step');
  await page.goto(BASE + '/login', { waitUntil: 'load' });
  await page.fill('[name="email"]', S.owner_email);
  await page.fill('[name="password"]', S.owner_password);
  await submitFormOf('[name="password"]');
  await page.waitForSelector('#totp-secret', { timeout: 15000 });
  const secret = (await valueOf('#totp-secret')).replace(/\s+/g, '').toUpperCase();
  assert.match(secret, BASE32_RE, `secret shown: ${secret}`);
  assert.ok(await page.$('#totp-qr svg, #totp-qr img, #totp-qr canvas'), 'a QR code for the authenticator app');
  await shot(page, 'totp-enrol');

  // without the code, the dashboard stays closed
  const other = await ctx.newPage();
  const r = await other.goto(BASE + '/dashboard', { waitUntil: 'load' });
  const at = new URL(other.url()).pathname;
  assert.ok(!at.startsWith('/dashboard') || r.status() >= 400, `dashboard reachable before 2FA: ${other.url()} ${r.status()}`);
  await other.close();

  rememberTotp(S.owner_email, secret);
  const { code } = await nextTotp(S.owner_email);
  await page.fill('[name="code"]', code);
  await submitFormOf('[name="code"]');
  await page.waitForURL((u) => /^\/dashboard\/?$/.test(new URL(u).pathname), { timeout: 15000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  S.signedIn = true;
});

test('tills page: POS-01 listed; adding a second till shows the limit alert', async () => {
  assert.ok(S.signedIn, 'needs the signed-in owner');
  const res = await page.goto(BASE + '/dashboard/devices', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  const row = page.locator('tr, li, [role="row"]').filter({ hasText: 'POS-01' });
  assert.ok(await row.count() >= 1, 'a row for POS-01');
  const form = page.locator('form[action="/dashboard/devices"]').filter({ has: page.locator('[name="name"]') }).first();
  assert.equal(await form.count(), 1, 'the add-till form');
  const csrf = await form.locator('input[name="_csrf"]').getAttribute('value');
  assert.ok(csrf && csrf.length >= 16, 'the form carries a CSRF token');
  S.csrf = csrf;

  await form.locator('[name="name"]').fill('POS-02');
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/dashboard/devices', { timeout: 15000 });
  const loaded = page.waitForEvent('load', { timeout: 15000 }).catch(() => null);
  await form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click();
  const resp = await posted;
  assert.notEqual(resp.status(), 403, 'the real form passes the CSRF check');
  assert.ok(resp.status() < 500, `POST /dashboard/devices → ${resp.status()}`);
  await loaded;
  await page.waitForSelector('.alert', { timeout: 15000 });
  const alerts = (await page.locator('.alert').allTextContents()).map((s) => s.trim()).filter(Boolean);
  const text = alerts.join(' | ');
  assert.ok(text.length > 0, 'the alert has a message');
  assert.match(text, /1/, `the limit (1) is named: ${text}`);
  assert.match(text, /[а-яё]/i, `the message is in Russian (the default): ${text}`);
  await shot(page, 'tills-limit');

  await page.goto(BASE + '/dashboard/devices', { waitUntil: 'load' });
  assert.equal(await page.locator('tr, li, [role="row"]').filter({ hasText: 'POS-02' }).count(), 0, 'no POS-02 was created');
});

test('a POST to /dashboard/devices without a valid _csrf is refused (403)', async () => {
  assert.ok(S.signedIn, 'needs the signed-in owner');
  const missing = await page.request.post(BASE + '/dashboard/devices', { form: { name: 'POS-09' }, maxRedirects: 0 });
  assert.equal(missing.status(), 403, `no _csrf: ${missing.status()}`);
  const forged = await page.request.post(BASE + '/dashboard/devices', { form: { name: 'POS-09', _csrf: 'forged-token-0000000000000000' }, maxRedirects: 0 });
  assert.equal(forged.status(), 403, `forged _csrf: ${forged.status()}`);
  await page.goto(BASE + '/dashboard/devices', { waitUntil: 'load' });
  assert.equal(await page.locator('tr, li, [role="row"]').filter({ hasText: 'POS-09' }).count(), 0, 'nothing created');
  assert.ok(await page.locator('tr, li, [role="row"]').filter({ hasText: 'POS-01' }).count() >= 1, 'still signed in');
});

test('no console errors or CSP violations on these pages', () => {
  // a form answered with a 4xx is logged by Chromium as a failed resource; that is not a page error
  assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
});
