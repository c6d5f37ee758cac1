// The dashboard's lists page by 50 with one pager (pages_pager): the links
// of a counted list (categories: pages, rows shown) and of a list that only
// knows whether another page follows (staff).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE } from '../lib/stack.mjs';
import { call, assertStatus, createUser, pageLogin, page } from '../lib/tenancy.mjs';
import { newShop } from '../lib/orders.mjs';

// The pager's links: [{text, href, rel}] in order, and its current page.
function pagerLinks(html) {
  const nav = html.match(/<nav class="pagination"[\s\S]*?<\/nav>/);
  if (!nav) return null;
  const links = [...nav[0].matchAll(/<a ([^>]*)>([\s\S]*?)<\/a>/g)].map(([, attrs, text]) => ({
    text: text.replace(/<[^>]+>/g, '').trim(),
    href: (attrs.match(/href="([^"]*)"/) || [])[1],
    rel: (attrs.match(/rel="([^"]*)"/) || [])[1],
  }));
  links.current = (nav[0].match(/<span aria-current="page">(\d+)<\/span>/) || [])[1];
  return links;
}

test('lists page by 50: categories (counted) and staff (next page known) share one pager', async () => {
  const shop = await newShop();
  for (let i = 0; i < 51; i++) {
    assertStatus(await call(shop.token, 'POST', '/api/categories', { name: `Cat ${String(i).padStart(2, '0')}`, sort: i }), 201);
  }
  const cookie = await pageLogin(shop.email, shop.password);

  const one = await page(cookie, '/dashboard/categories');
  assert.equal(one.status, 200);
  const l1 = pagerLinks(await one.text());
  assert.ok(l1, 'a pager on page 1 of 2');
  assert.ok(l1.some((a) => a.rel === 'next' && a.href === '/dashboard/categories?page=2'), JSON.stringify(l1));
  assert.ok(!l1.some((a) => a.rel === 'prev'), 'no previous page on page 1');
  assert.equal(l1.current, '1');
  assert.deepEqual(l1.filter((a) => /^\d+$/.test(a.text)).map((a) => [a.text, a.href]), [['2', '/dashboard/categories?page=2']]);
  const two = await page(cookie, '/dashboard/categories?page=2');
  const l2 = pagerLinks(await two.text());
  assert.ok(l2.some((a) => a.rel === 'prev' && a.href === '/dashboard/categories?page=1'), JSON.stringify(l2));
  assert.ok(!l2.some((a) => a.rel === 'next'), 'page 2 is the last');
  assert.equal(l2.current, '2');

  // staff: the owner and the shop's cashier, plus 49 more → 51, one more page
  for (let i = 0; i < 49; i++) await createUser(shop.token, { role: 'cook' });
  const s1 = pagerLinks(await (await page(cookie, '/dashboard/users')).text());
  assert.ok(s1 && s1.some((a) => a.rel === 'next' && a.href === '/dashboard/users?page=2'), JSON.stringify(s1));
  const s2 = pagerLinks(await (await page(cookie, '/dashboard/users?page=2')).text());
  assert.ok(s2.some((a) => a.rel === 'prev' && a.href === '/dashboard/users?page=1'), JSON.stringify(s2));
  assert.ok(!s2.some((a) => a.rel === 'next'), 'nothing after page 2');
  assert.equal(s2.current, '2');
});

test('the catalogue forms write what the API reads: a category, an ingredient and a product created and changed through their forms', async () => {
  const shop = await newShop();
  const cookie = await pageLogin(shop.email, shop.password);
  const csrf = decodeURIComponent(cookie.match(/(?:^|; )pos_csrf=([^;]+)/)[1]);
  const post = (url, fields) => fetch(BASE + url, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, ...fields }),
  });
  const list = async (url) => (await call(shop.token, 'GET', `${url}?limit=500`)).json.items;

  assert.equal((await post('/dashboard/categories', { name: 'Выпечка', sort: '4' })).status, 303);
  const cat = (await list('/api/categories')).find((c) => c.name === 'Выпечка');
  assert.deepEqual([cat.sort, cat.is_active], [4, true]);
  assert.equal((await post(`/dashboard/categories/${cat.id}`, { name: 'Выпечка свежая', sort: '-2' })).status, 303);
  const cat2 = (await call(shop.token, 'GET', `/api/categories/${cat.id}`)).json;
  assert.deepEqual([cat2.name, cat2.sort, cat2.is_active], ['Выпечка свежая', -2, true]);

  assert.equal((await post('/dashboard/ingredients', { name: 'Мука', unit: 'g', cost_per_unit: '0,015', min_qty: '500', is_active: 'on' })).status, 303);
  const ing = (await list('/api/ingredients')).find((i) => i.name === 'Мука');
  assert.deepEqual([ing.unit, Number(ing.cost_per_unit), ing.min_qty, ing.is_active], ['g', 1.5, 500, true]);
  // typed per unit in the currency, kept in minor units; the form's checkbox left out: inactive
  assert.equal((await post(`/dashboard/ingredients/${ing.id}`, { name: 'Мука в/с', unit: 'g', cost_per_unit: '0.02', min_qty: '0' })).status, 303);
  const ing2 = (await call(shop.token, 'GET', `/api/ingredients/${ing.id}`)).json;
  assert.deepEqual([ing2.name, Number(ing2.cost_per_unit), ing2.min_qty, ing2.is_active], ['Мука в/с', 2, 0, false]);
  // a product: created with its optional fields, then saved with them emptied
  assert.equal((await post('/dashboard/products', { name: 'Круассан', category_id: cat.id, price: '3,50', cost: '1,20',
    sku: 'CR-1', barcode: '4600000000017', sort: '3', is_active: 'on' })).status, 303);
  const prod = (await list('/api/products')).find((p) => p.name === 'Круассан');
  assert.deepEqual([prod.category_id, prod.price, prod.cost, prod.sku, prod.barcode, prod.sort, prod.is_active, prod.currency],
    [cat.id, 350, 120, 'CR-1', '4600000000017', 3, true, 'AZN']);
  assert.equal((await post(`/dashboard/products/${prod.id}`, { name: 'Круассан', category_id: cat.id, price: '3,70',
    cost: '', sku: '', barcode: '', sort: '', is_active: 'on' })).status, 303);
  const prod2 = (await call(shop.token, 'GET', `/api/products/${prod.id}`)).json;
  assert.deepEqual([prod2.price, prod2.cost, prod2.sku, prod2.barcode, prod2.sort, prod2.currency], [370, null, null, null, 0, 'AZN']);
  // a category that does not exist: 404 page, nothing written
  assert.equal((await post('/dashboard/categories/00000000-0000-4000-8000-000000000000', { name: 'X', sort: '1' })).status, 404);
});
