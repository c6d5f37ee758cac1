// The catalogue pages of the dashboard as the demo café's owner sees them:
// signed in through /login and its TOTP step, categories, modifier groups,
// products, ingredients, the recipe (tech card) editor and stock, made
// through their forms.  A product created on the page reaches a till at its
// next GET /api/sync/pull; a form with mistakes shows each next to its field
// and keeps what was typed; a POST without the CSRF token is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launch, shot } from '../lib/browser.mjs';
import { BASE, VARDIR } from '../lib/stack.mjs';
import { api, call, assertStatus, listAll, loginWith2fa, nextTotp, rememberTotp, uniq } from '../lib/tenancy.mjs';

const OWNER = 'owner@demo.pos';
const PASSWORD = 'demo-password-2026';
const OWNER_TOKEN_FILE = path.join(VARDIR, 'test-demo-owner.token');
const LISTS = ['/dashboard/products', '/dashboard/categories', '/dashboard/modifier-groups',
  '/dashboard/ingredients', '/dashboard/recipes', '/dashboard/stock'];

let ctx;
let page;
let ownerToken;
let deviceToken;
let cursor;				// the till's pull cursor before anything was made here
const consoleErrors = [];
const tag = uniq('cat').slice(-12);	// makes names unique per run
const made = {};			// ids of what the forms created

const text = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();

function ownerSecret() {
  const t = readFileSync(path.join(VARDIR, 'demo-logins.txt'), 'utf8');
  const m = t.match(/owner\s+\S+\s+TOTP secret\s+([A-Z2-7]+)/);
  assert.ok(m, 'demo-logins.txt names the owner TOTP secret');
  return m[1];
}

// The owner's API token: the one in hand or another test file saved while
// still valid, or a fresh login (each spends a TOTP step).
async function getOwnerToken() {
  if (ownerToken && (await call(ownerToken, 'GET', '/api/devices?limit=1')).status === 200) return ownerToken;
  if (existsSync(OWNER_TOKEN_FILE)) {
    const saved = readFileSync(OWNER_TOKEN_FILE, 'utf8').trim();
    if (saved && (await call(saved, 'GET', '/api/devices?limit=1')).status === 200) return (ownerToken = saved);
  }
  const j = await loginWith2fa(OWNER, PASSWORD);
  writeFileSync(OWNER_TOKEN_FILE, j.access_token, { mode: 0o600 });
  ownerToken = j.access_token;
  return ownerToken;
}

// A device token of a till: a new one while the licence has room, else a
// new key for a test till (the demo allows 3).
async function getDeviceToken(token) {
  const name = `CAT-TEST-${process.pid.toString(36)}`;
  let key;
  const created = await call(token, 'POST', '/api/devices', { name });
  if (created.status === 201) {
    key = created.json.device_key;
  } else {
    assertStatus(created, 409, 'POST /api/devices');
    const r = await call(token, 'GET', '/api/devices?limit=500');
    assertStatus(r, 200, 'GET /api/devices');
    const live = (Array.isArray(r.json) ? r.json : r.json.items).filter((d) => d.status !== 'revoked')
      .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    const victim = live.find((d) => d.name.startsWith('CAT-TEST')) || live.find((d) => d.name.startsWith('TILL-TEST')) || live[0];
    assert.ok(victim, 'a till to give a new key');
    const reset = await call(token, 'POST', `/api/devices/${victim.id}/reset-key`);
    assertStatus(reset, 200, 'reset-key');
    key = reset.json.device_key;
  }
  const a = await api('POST', '/api/devices/activate', { body: { device_key: key } });
  assertStatus(a, 200, 'POST /api/devices/activate');
  return a.json.device_token;
}

// Sign in through the pages: password, then the TOTP step (a code the server
// has not seen yet; another test process may have used the current one).
async function signIn() {
  await page.goto(`${BASE}/login?next=/dashboard/products`);
  await page.fill('#email', OWNER);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/login\/2fa/), page.click('form[action="/login"] button[type=submit]')]);
  for (let i = 0; i < 4 && page.url().includes('/login/2fa'); i++) {
    const { code } = await nextTotp(OWNER);
    await page.fill('#code', code);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login/2fa"] button[type=submit]')]);
  }
  assert.match(page.url(), /\/dashboard\/products/, 'signed in and sent on to the products page');
}

// Submit the form that holds selector; returns the navigation's response.
async function submit(selector) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return resp;
}

async function pull(from) {
  const r = await call(deviceToken, 'GET', `/api/sync/pull${from ? `?cursor=${encodeURIComponent(from)}` : ''}`);
  assertStatus(r, 200, 'GET /api/sync/pull');
  return r.json;
}

async function noOverflow(p, what) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${what}: horizontal overflow ${overflow}px`);
}

before(async () => {
  rememberTotp(OWNER, ownerSecret());
  ownerToken = await getOwnerToken();
  deviceToken = await getDeviceToken(ownerToken);
  cursor = (await pull()).cursor;
  ctx = await launch();
  page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await signIn();
});
after(async () => { await ctx?.close(); });

test('every catalogue page renders with the catalogue tabs, on a desktop and on a phone', async () => {
  for (const p of LISTS) {
    const res = await page.goto(BASE + p);
    assert.equal(res.status(), 200, p);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal(await page.getAttribute('.subnav a[aria-current="page"]', 'href'), p, `${p}: its tab is current`);
    assert.ok(text(await page.textContent('h1')).length > 0, `${p}: a heading`);
  }
  const phone = await ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  for (const p of LISTS) {
    await phone.goto(BASE + p);
    await noOverflow(phone, p);
  }
  await phone.close();
});

test('a category and a modifier group made through their forms', async () => {
  await page.goto(`${BASE}/dashboard/categories`);
  await page.fill('#name', `Напитки ${tag}`);
  await page.fill('#sort', '7');
  let resp = await submit('#category-form button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.match(page.url(), /\/dashboard\/categories\?done=created$/);
  assert.ok(await page.isVisible('#done'));
  const row = page.locator('#categories-table tr', { hasText: `Напитки ${tag}` });
  made.category = await row.getAttribute('data-category-id');
  assert.match(made.category, /^[0-9a-f-]{36}$/);

  await page.goto(`${BASE}/dashboard/modifier-groups`);
  await page.fill('#name', `Сироп ${tag}`);
  await page.selectOption('#kind', 'multiple');
  await page.fill('#m-0-name', 'Ваниль');
  await page.fill('#m-0-price', '0,40');
  await page.fill('#m-1-name', 'Скидка');
  await page.fill('#m-1-price', '-0.10');
  resp = await submit('#group-form button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.match(page.url(), /\/dashboard\/modifier-groups\?done=created$/);
  const grow = page.locator('#groups-table tr', { hasText: `Сироп ${tag}` });
  made.group = await grow.getAttribute('data-group-id');
  assert.match(text(await grow.textContent()), /Ваниль \+0\.40 AZN/);
  assert.match(text(await grow.textContent()), /Скидка −0\.10 AZN/);
  // the edit page has both rows and blank ones for more
  await page.goto(`${BASE}/dashboard/modifier-groups/${made.group}`);
  assert.equal(await page.inputValue('#m-0-name'), 'Ваниль');
  assert.equal(await page.inputValue('#m-0-price'), '0.40');
  assert.equal(await page.inputValue('#m-1-price'), '-0.10');
  assert.equal(await page.inputValue('#m-2-name'), '');
});

test('a form with mistakes shows each next to its field and keeps what was typed', async () => {
  await page.goto(`${BASE}/dashboard/products`);
  await page.fill('#name', `Оставь меня ${tag}`);
  await page.fill('#price', '4.555');
  await page.fill('#cost', 'дорого');
  await page.fill('#sku', `KEEP-${tag}`);
  await page.fill('#image_url', 'javascript:alert(1)');
  const resp = await submit('#product-form button[type=submit]');
  assert.equal(resp.status(), 400);
  assert.ok(await page.isVisible('#form-errors'), 'a summary above the form');
  for (const f of ['price', 'cost', 'category_id', 'image_url']) {
    assert.ok(await page.isVisible(`#${f}-error`), `${f}: its error is shown`);
    assert.equal(await page.getAttribute(`#${f}`, 'aria-invalid'), 'true', `${f}: marked invalid`);
    assert.equal(await page.getAttribute(`#${f}`, 'aria-describedby'), `${f}-error`);
  }
  assert.equal(await page.$('#name-error'), null, 'a good field has no error');
  assert.equal(await page.inputValue('#name'), `Оставь меня ${tag}`);
  assert.equal(await page.inputValue('#price'), '4.555');
  assert.equal(await page.inputValue('#cost'), 'дорого');
  assert.equal(await page.inputValue('#sku'), `KEEP-${tag}`);
  assert.equal(await page.inputValue('#image_url'), 'javascript:alert(1)');
  // nothing was stored
  const found = await page.goto(`${BASE}/dashboard/products?q=${encodeURIComponent(`KEEP-${tag}`)}`);
  assert.equal(found.status(), 200);
  assert.equal(await page.$('#products-table'), null, 'no such product');

  // the stock form: a purchase of nothing
  await page.goto(`${BASE}/dashboard/stock`);
  await page.fill('#qty', '0');
  await page.fill('#note', `ничего ${tag}`);
  const r2 = await submit('#movement-form button[type=submit]');
  assert.equal(r2.status(), 400);
  assert.ok(await page.isVisible('#qty-error'));
  assert.ok(await page.isVisible('#ingredient_id-error'));
  assert.equal(await page.inputValue('#qty'), '0');
  assert.equal(await page.inputValue('#note'), `ничего ${tag}`);
});

test('a POST without the CSRF token is refused (403) and changes nothing', async () => {
  const form = { name: `CSRF ${tag}`, category_id: made.category, price: '1.00' };
  const none = await page.request.post(`${BASE}/dashboard/products`, { form, maxRedirects: 0 });
  assert.equal(none.status(), 403);
  const wrong = await page.request.post(`${BASE}/dashboard/products`, {
    form: { ...form, _csrf: 'A'.repeat(43) }, maxRedirects: 0,
  });
  assert.equal(wrong.status(), 403);
  const del = await page.request.post(`${BASE}/dashboard/categories/${made.category}/delete`, {
    form: { page: '1' }, maxRedirects: 0,
  });
  assert.equal(del.status(), 403);
  const products = await listAll(await getOwnerToken(), '/api/products');
  assert.ok(!products.some((p) => p.name === form.name), 'no product was created');
  const cat = await call(await getOwnerToken(), 'GET', `/api/categories/${made.category}`);
  assert.equal(cat.json.is_active, true, 'the category is still active');
});

test('a product created through the form reaches the till at its next pull', async () => {
  const name = `Раф <b>ваниль</b> & "сироп" ${tag}`;
  await page.goto(`${BASE}/dashboard/products`);
  await page.fill('#name', name);
  await page.selectOption('#category_id', made.category);
  await page.fill('#price', '4,50');
  await page.fill('#cost', '1.2');
  await page.fill('#sku', `RAF-${tag}`);
  await page.fill('#barcode', '4601234567890');
  await page.check(`input[name="groups"][value="${made.group}"]`);
  const resp = await submit('#product-form button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.match(page.url(), /\/dashboard\/products\?done=created$/);

  // listed, with the price formatted from minor units, and escaped
  await page.goto(`${BASE}/dashboard/products?q=${encodeURIComponent(`RAF-${tag}`)}`);
  const row = page.locator('#products-table tbody tr');
  assert.equal(await row.count(), 1);
  made.product = await row.getAttribute('data-product-id');
  assert.equal(text(await row.locator('.row-link').textContent()), text(name));
  assert.equal(await page.locator('#products-table b').count(), 0, 'typed markup is shown as text');
  assert.match(text(await row.textContent()), /4\.50 AZN/);
  assert.match(text(await row.textContent()), /1\.20 AZN/);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${BASE}/dashboard/products`);
  await shot(page, 'catalogue-products');

  // the till's next pull carries it, as the API shapes it
  const next = await pull(cursor);
  const p = next.changes.products.find((x) => x.id === made.product);
  assert.ok(p, `the pull after ${cursor} has the new product`);
  assert.equal(p.name, name);
  assert.equal(p.price, 450);
  assert.equal(p.cost, 120);
  assert.equal(p.currency, 'AZN');
  assert.equal(p.sku, `RAF-${tag}`);
  assert.equal(p.category_id, made.category);
  assert.equal(p.is_active, true);
  assert.deepEqual(p.modifier_group_ids, [made.group]);
  assert.ok(next.changes.categories.some((c) => c.id === made.category), 'and its category');
  assert.ok(next.changes.modifier_groups.some((g) => g.id === made.group), 'and its modifier group');
  cursor = next.cursor;

  // the edit page shows what was saved; a change reaches the till too
  await page.goto(`${BASE}/dashboard/products/${made.product}`);
  assert.equal(text(await page.textContent('h1')), text(name));
  assert.equal(await page.inputValue('#price'), '4.50');
  assert.ok(await page.isChecked(`input[name="groups"][value="${made.group}"]`));
  await page.fill('#price', '4.75');
  const saved = await submit('#product-form button[type=submit]');
  assert.equal(saved.status(), 200);
  assert.ok(await page.isVisible('#done'));
  const again = await pull(cursor);
  assert.equal(again.changes.products.find((x) => x.id === made.product)?.price, 475);
  cursor = again.cursor;

  // the same SKU on another product is refused next to the SKU field
  await page.goto(`${BASE}/dashboard/products`);
  await page.fill('#name', `Дубль ${tag}`);
  await page.selectOption('#category_id', made.category);
  await page.fill('#price', '1');
  await page.fill('#sku', `RAF-${tag}`);
  const dup = await submit('#product-form button[type=submit]');
  assert.equal(dup.status(), 409);
  assert.ok(await page.isVisible('#sku-error'));
  assert.equal(await page.inputValue('#name'), `Дубль ${tag}`);
});

test('the recipe editor shows the computed cost and margin after saving', async () => {
  // an ingredient at 0,05 per gram (5 minor units)
  await page.goto(`${BASE}/dashboard/ingredients`);
  await page.fill('#name', `Сироп ваниль ${tag}`);
  await page.selectOption('#unit', 'ml');
  await page.fill('#cost_per_unit', '0,05');
  await page.fill('#min_qty', '1000');
  let resp = await submit('#ingredient-form button[type=submit]');
  assert.equal(resp.status(), 200);
  const irow = page.locator('#ingredients-table tr', { hasText: `Сироп ваниль ${tag}` });
  made.ingredient = await irow.getAttribute('data-ingredient-id');
  assert.match(text(await irow.textContent()), /0\.05 AZN/);
  assert.ok(await irow.locator('.badge-warn').count(), 'none in stock, below the minimum: low');

  await page.goto(`${BASE}/dashboard/recipes/${made.product}`);
  assert.equal(text(await page.textContent('#recipe-cost')), '—', 'no recipe yet');
  // a row with a bad quantity is refused and kept
  await page.selectOption('#r-0-ingredient', made.ingredient);
  await page.fill('#r-0-qty', '2.5');
  resp = await submit('#recipe-form button[type=submit]');
  assert.equal(resp.status(), 400);
  assert.ok(await page.isVisible('#r-0-qty-error'));
  assert.equal(await page.inputValue('#r-0-qty'), '2.5');
  assert.equal(await page.inputValue('#r-0-ingredient'), made.ingredient);
  // 25 ml × 0.05 = 1.25; price 4.75: margin 3.50, 73.7 %
  await page.fill('#r-0-qty', '25');
  resp = await submit('#recipe-form button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.match(page.url(), new RegExp(`/dashboard/recipes/${made.product}\\?done=saved$`));
  assert.equal(text(await page.textContent('#recipe-cost')), '1.25 AZN');
  assert.equal(text(await page.textContent('#recipe-margin')), '3.50 AZN');
  assert.equal(text(await page.textContent('#recipe-margin-pct')), '73.7 %');
  assert.equal(await page.inputValue('#r-0-qty'), '25');
  await shot(page, 'catalogue-recipe-editor');
  const phone = await ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(page.url());
  await noOverflow(phone, 'recipe editor');
  await shot(phone, 'catalogue-recipe-editor-phone');
  await phone.close();

  // the API computes the same cost
  const recipes = await listAll(await getOwnerToken(), '/api/recipes');
  const rec = recipes.find((x) => x.product_id === made.product);
  assert.ok(rec, 'the recipe is there for the API');
  assert.equal(rec.cost, 125);
  assert.deepEqual(rec.items.map((i) => [i.ingredient_id, i.qty]), [[made.ingredient, 25]]);

  // the list shows it with its margin
  await page.goto(`${BASE}/dashboard/recipes?q=${encodeURIComponent(`RAF-${tag}`)}`);
  const lrow = page.locator('#recipes-table tbody tr');
  assert.match(text(await lrow.textContent()), /1\.25 AZN.*3\.50 AZN.*73\.7 %/);
});

test('stock movements from the form move the level in the same transaction', async () => {
  await page.goto(`${BASE}/dashboard/stock?ingredient=${made.ingredient}`);
  assert.equal(await page.inputValue('#ingredient_id'), made.ingredient, 'the ingredient is chosen');
  await page.check('input[name="kind"][value="purchase"]');
  await page.fill('#qty', '500');
  await page.fill('#note', `закупка <i>${tag}</i>`);
  let resp = await submit('#movement-form button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.match(page.url(), /\/dashboard\/stock\?done=movement$/);
  const moved = page.locator('#moves-table tbody tr').first();
  assert.match(text(await moved.textContent()), new RegExp(`Сироп ваниль ${tag}.*\\+500 мл`));
  assert.equal(await page.locator('#moves-table i').count(), 0, 'the note is text');

  await page.goto(`${BASE}/dashboard/stock?ingredient=${made.ingredient}`);
  await page.check('input[name="kind"][value="count"]');
  await page.fill('#qty', '480');
  resp = await submit('#movement-form button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.match(text(await page.locator('#moves-table tbody tr').first().textContent()), /−20 мл/);

  const stock = await call(await getOwnerToken(), 'GET', '/api/stock');
  assertStatus(stock, 200, 'GET /api/stock');
  const item = stock.json.items.find((i) => i.ingredient_id === made.ingredient);
  assert.equal(item.qty, 480);
  assert.equal(item.low, true, 'still below its minimum of 1000');
  const irow = page.locator(`#stock-table tr[data-ingredient-id="${made.ingredient}"]`);
  if (await irow.count()) assert.ok(await irow.locator('.badge-warn').count(), 'flagged low');
  await page.goto(`${BASE}/dashboard/stock?filter=low`);
  assert.equal(await page.locator(`#stock-table tr[data-ingredient-id="${made.ingredient}"]`).count() > 0
    || (await page.locator('.pagination').count()) > 0, true, 'listed among those needing attention');
});

test('deactivating (soft delete) reaches the till as is_active:false, and re-activating brings it back', async () => {
  await page.goto(`${BASE}/dashboard/products?q=${encodeURIComponent(`RAF-${tag}`)}`);
  let resp = await submit(`#products-table tr[data-product-id="${made.product}"] form[action$="/delete"] button`);
  assert.equal(resp.status(), 200);
  assert.match(page.url(), /done=deactivated/);
  const gone = await pull(cursor);
  assert.equal(gone.changes.products.find((x) => x.id === made.product)?.is_active, false);
  cursor = gone.cursor;
  const still = await call(await getOwnerToken(), 'GET', `/api/products/${made.product}`);
  assert.equal(still.status, 200, 'soft: still readable by id');

  await page.goto(`${BASE}/dashboard/products/${made.product}`);
  resp = await submit(`form[action="/dashboard/products/${made.product}/restore"] button`);
  assert.equal(resp.status(), 200);
  assert.equal((await pull(cursor)).changes.products.find((x) => x.id === made.product)?.is_active, true);

  // leave the demo catalogue as it was: everything made here switched off
  for (const [list, id] of [['products', made.product], ['ingredients', made.ingredient],
    ['modifier-groups', made.group], ['categories', made.category]]) {
    await page.goto(`${BASE}/dashboard/${list}/${id}`);
    resp = await submit(`form[action="/dashboard/${list}/${id}/delete"] button`);
    assert.equal(resp.status(), 200, `${list} deactivated`);
  }
  const cat = await call(await getOwnerToken(), 'GET', `/api/categories/${made.category}`);
  assert.equal(cat.json.is_active, false);
});

test('an unknown id is a 404 page; no console errors or CSP violations', async () => {
  const r = await page.goto(`${BASE}/dashboard/products/00000000-0000-4000-8000-000000000000`);
  assert.equal(r.status(), 404);
  const r2 = await page.goto(`${BASE}/dashboard/recipes/00000000-0000-4000-8000-000000000000`);
  assert.equal(r2.status(), 404);
  // refused forms answer 400/409 and unknown ids 404: the browser logs those
  assert.deepEqual(consoleErrors.filter((e) => !/status of (400|404|409)\b/.test(e)), []);
});
