// The dashboard's lists page by 50 with one pager (pages_pager): the links
// of a counted list (categories: pages, rows shown) and of a list that only
// knows whether another page follows (staff).
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
