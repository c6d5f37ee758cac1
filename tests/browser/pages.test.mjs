// The first pages as a person sees them: the home page with the design
// system, the language switch, and the API description at /docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shot } from '../lib/browser.mjs';
import { BASE } from '../lib/stack.mjs';

let ctx;
let page;
const consoleErrors = [];

before(async () => {
  ctx = await launch();
  page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});
after(async () => { await ctx?.close(); });

test('home page renders in Russian by default with the teal design', async () => {
  const res = await page.goto(BASE + '/', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
  for (const href of ['/pos/', '/dashboard', '/kitchen', '/docs']) assert.ok(links.includes(href), href);
  // the stylesheet loaded (CSP allows it) and the primary colour is the seed's teal
  const primary = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--primary').trim());
  assert.equal(primary.toLowerCase(), '#1f6b7a');
  await shot(page, 'home-ru');
});

test('the language switch changes the page and remembers the choice', async () => {
  await page.goto(BASE + '/', { waitUntil: 'load' });
  const ruTitle = await page.textContent('h1');
  await page.click('a[href="?lang=en"]');
  await page.waitForLoadState('load');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  const enTitle = await page.textContent('h1');
  assert.notEqual(enTitle, ruTitle);
  await page.goto(BASE + '/docs', { waitUntil: 'load' });
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'cookie keeps the language');
  await shot(page, 'docs-en');
  await page.click('a[href="?lang=az"]');
  await page.waitForLoadState('load');
  assert.equal(await page.getAttribute('html', 'lang'), 'az');
});

test('/docs shows the API operations with a link to the raw document', async () => {
  await page.goto(BASE + '/docs', { waitUntil: 'load' });
  const text = await page.textContent('main');
  assert.ok(text.includes('/healthz'));
  assert.ok(text.includes('/api/openapi.json'));
  const raw = await page.$('a[href="/api/openapi.json"]');
  assert.ok(raw, 'link to the raw document');
});

test('phone-sized screen: the page still fits without horizontal scroll', async () => {
  const phone = await ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(BASE + '/', { waitUntil: 'load' });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `horizontal overflow ${overflow}px`);
  await shot(phone, 'home-phone');
  await phone.close();
});

test('no console errors or CSP violations on the pages', () => {
  assert.deepEqual(consoleErrors, []);
});
