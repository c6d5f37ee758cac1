// Catalogue over HTTP (seed 001): CRUD of categories, products, modifier
// groups, ingredients and recipes (manager+), soft deletes, paging, strict
// bodies, ids in paths, tenant isolation, what the till shows
// (/api/pos/categories, /api/pos/items) and the stock ledger (/api/stock,
// /api/stock/movements).  Fresh tenants; every object is built here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, assertError, assertStatus, listAll, UUID_RE, createUser, loginWith2fa, login, newTenant, activate,
} from '../lib/tenancy.mjs';
import { uuid, create, newShop, buildCatalogue, stock } from '../lib/orders.mjs';

const A = {}; // the shop under test
const B = {}; // another tenant

before(async () => {
  Object.assign(A, await newShop());
  Object.assign(B, await newTenant());
  B.dev = await activate(B.device.device_key);
  const mgr = await createUser(A.token, { role: 'manager' });
  A.managerToken = (await loginWith2fa(mgr.email, mgr.password)).access_token;
  const cashier = await createUser(A.token, { role: 'cashier' });
  const l = await login(cashier.email, cashier.password);
  assertStatus(l, 200, 'cashier login');
  A.cashierUserToken = l.json.access_token;
  const cook = await createUser(A.token, { role: 'cook' });
  A.cookToken = (await login(cook.email, cook.password)).json.access_token;
  A.cat = await buildCatalogue(A.managerToken);
  B.cat = await buildCatalogue(B.token);
});

const RESOURCES = ['categories', 'products', 'modifier-groups', 'ingredients', 'recipes'];

// A valid create body for each resource (names unique per call).
function bodyFor(kind, cat = A.cat) {
  const n = uuid().slice(0, 8);
  switch (kind) {
    case 'categories': return { name: `Cat ${n}`, sort: 5 };
    case 'products': return { name: `Prod ${n}`, category_id: cat.drinks.id, price: 123 };
    case 'modifier-groups': return { name: `Grp ${n}`, kind: 'multiple', required: false, min: 0, max: 2, modifiers: [{ name: 'X', price_delta: 10 }] };
    case 'ingredients': return { name: `Ing ${n}`, unit: 'g' };
    case 'recipes': return { product_id: cat.croissant.id, items: [{ ingredient_id: cat.cup.id, qty: 1 }] };
    default: throw new Error(kind);
  }
}

// ---------------------------------------------------------------- categories
test('categories: create 201 with id, read, patch, soft delete (still readable, is_active:false)', async () => {
  const t = A.managerToken;
  const c = await create(t, '/api/categories', { name: 'Чай и кофе', sort: 7 });
  assert.match(c.id, UUID_RE);
  assert.equal(c.name, 'Чай и кофе');
  assert.equal(c.sort, 7);
  assert.equal(c.is_active, true);
  const noSort = await create(t, '/api/categories', { name: 'Без порядка' });
  assert.equal(noSort.name, 'Без порядка', 'sort is optional');

  const g = await call(t, 'GET', `/api/categories/${c.id}`);
  assertStatus(g, 200, 'GET category');
  assert.equal(g.json.id, c.id);
  assert.equal(g.json.name, 'Чай и кофе');

  const p = await call(t, 'PATCH', `/api/categories/${c.id}`, { name: 'Кофе', sort: 3 });
  assertStatus(p, 200, 'PATCH category');
  assert.equal(p.json.name, 'Кофе');
  assert.equal(p.json.sort, 3);
  const p2 = await call(t, 'PATCH', `/api/categories/${c.id}`, { sort: 4 });
  assert.equal(p2.json.name, 'Кофе', 'a PATCH changes only the fields sent');
  assert.equal(p2.json.sort, 4);

  const d = await call(t, 'DELETE', `/api/categories/${c.id}`);
  assertStatus(d, 200, 'DELETE category');
  assert.equal(d.json.id, c.id);
  assert.equal(d.json.is_active, false);
  const after = await call(t, 'GET', `/api/categories/${c.id}`);
  assertStatus(after, 200, 'a soft-deleted category is still readable by id');
  assert.equal(after.json.is_active, false);
  assert.equal(after.json.name, 'Кофе');
});

test('lists page with ?limit= and ?cursor= ({items, next_cursor}); bad limit or cursor is 400', async () => {
  const t = A.managerToken;
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await create(t, '/api/categories', { name: `Page ${i}`, sort: 100 + i })).id);
  const all = await listAll(t, '/api/categories');
  for (const id of made) assert.ok(all.some((x) => x.id === id), `list has ${id}`);

  const first = await call(t, 'GET', '/api/categories?limit=2');
  assertStatus(first, 200);
  assert.equal(first.json.items.length, 2);
  assert.equal(typeof first.json.next_cursor, 'string', 'more pages: a cursor');
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const r = await call(t, 'GET', `/api/categories?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assertStatus(r, 200, 'page');
    assert.ok(r.json.items.length <= 2);
    seen.push(...r.json.items.map((x) => x.id));
    cursor = r.json.next_cursor;
    if (cursor === null) break;
  }
  assert.equal(cursor, null, 'the last page has next_cursor null');
  assert.equal(new Set(seen).size, seen.length, 'no item twice across pages');
  assert.deepEqual([...seen].sort(), all.map((x) => x.id).sort(), 'the pages together are the whole list');

  for (const kind of RESOURCES) {
    const r = await call(t, 'GET', `/api/${kind}`);
    assertStatus(r, 200, `GET /api/${kind}`);
    assert.ok(Array.isArray(r.json.items), `${kind}: items`);
    assert.ok('next_cursor' in r.json, `${kind}: next_cursor`);
    assertError(await call(t, 'GET', `/api/${kind}?limit=0`), 400, 'validation_failed', 'limit');
    assertError(await call(t, 'GET', `/api/${kind}?limit=501`), 400, 'validation_failed', 'limit');
    assertError(await call(t, 'GET', `/api/${kind}?cursor=not-a-cursor`), 400, 'validation_failed', 'cursor');
  }
});

// ---------------------------------------------------------------- products
test('products: defaults to the store currency, keeps optional fields, patch, soft delete', async () => {
  const t = A.managerToken;
  const store = await call(A.token, 'GET', '/api/store');
  assertStatus(store, 200);
  const base = store.json.base_currency;
  assert.equal(base, 'AZN');
  const p = await create(t, '/api/products', {
    name: 'Флэт уайт', category_id: A.cat.drinks.id, price: 520, cost: 170, sku: `FW-${uuid().slice(0, 6)}`,
    barcode: '4600000000017', image_url: 'https://cdn.example.test/fw.png', modifier_group_ids: [A.cat.size.id],
  });
  assert.equal(p.name, 'Флэт уайт');
  assert.equal(p.category_id, A.cat.drinks.id);
  assert.equal(p.price, 520);
  assert.equal(p.currency, base, 'currency defaults to the store base');
  assert.equal(p.cost, 170);
  assert.equal(p.barcode, '4600000000017');
  assert.equal(p.image_url, 'https://cdn.example.test/fw.png');
  assert.deepEqual(p.modifier_group_ids, [A.cat.size.id]);
  assert.equal(p.is_active, true);

  assertError(await call(t, 'POST', '/api/products', { name: 'Same SKU', category_id: A.cat.drinks.id, price: 1, sku: p.sku }), 409, 'conflict');
  const usd = await create(t, '/api/products', { name: 'Import tea', category_id: A.cat.drinks.id, price: 300, currency: 'USD' });
  assert.equal(usd.currency, 'USD', 'an explicit currency is kept');

  const u = await call(t, 'PATCH', `/api/products/${p.id}`, { price: 560, modifier_group_ids: [A.cat.size.id, A.cat.extras.id] });
  assertStatus(u, 200, 'PATCH product');
  assert.equal(u.json.price, 560);
  assert.equal(u.json.name, 'Флэт уайт', 'untouched fields stay');
  assert.deepEqual(u.json.modifier_group_ids, [A.cat.size.id, A.cat.extras.id]);
  const g = await call(t, 'GET', `/api/products/${p.id}`);
  assert.equal(g.json.price, 560);

  const d = await call(t, 'DELETE', `/api/products/${p.id}`);
  assertStatus(d, 200, 'DELETE product');
  assert.equal(d.json.is_active, false);
  const g2 = await call(t, 'GET', `/api/products/${p.id}`);
  assertStatus(g2, 200, 'still readable');
  assert.equal(g2.json.is_active, false);
  assert.equal(g2.json.price, 560);
});

test('products: a category_id that does not exist (or is another tenant’s) is 400 validation_failed category_id', async () => {
  const t = A.managerToken;
  for (const category_id of [uuid(), B.cat.drinks.id]) {
    assertError(await call(t, 'POST', '/api/products', { name: 'Ghost', category_id, price: 100 }), 400, 'validation_failed', 'category_id');
    assertError(await call(t, 'PATCH', `/api/products/${A.cat.croissant.id}`, { category_id }), 400, 'validation_failed', 'category_id');
  }
  assertError(await call(t, 'POST', '/api/products', { name: 'Ghost', category_id: 'not-a-uuid', price: 100 }), 400, 'validation_failed', 'category_id');
  for (const gid of [uuid(), B.cat.size.id]) {
    assertError(await call(t, 'POST', '/api/products', { name: 'Ghost', category_id: A.cat.drinks.id, price: 100, modifier_group_ids: [gid] }), 400, 'validation_failed', 'modifier_group_ids');
  }
  const m = await call(t, 'POST', '/api/modifier-groups', { name: 'G', kind: 'multiple', modifiers: [{ name: 'x', price_delta: 0, ingredient_id: B.cat.milk.id, qty: 5 }] });
  assertError(m, 400, 'validation_failed');
  const g = await call(t, 'GET', `/api/products/${A.cat.croissant.id}`);
  assert.equal(g.json.category_id, A.cat.bakery.id, 'the refused PATCH changed nothing');
});

test('products: missing or invalid fields are 400 validation_failed naming the field', async () => {
  const t = A.managerToken;
  const ok = { name: 'P', category_id: A.cat.drinks.id, price: 100 };
  const cases = [
    [{ category_id: A.cat.drinks.id, price: 100 }, 'name'],
    [{ name: 'P', price: 100 }, 'category_id'],
    [{ name: 'P', category_id: A.cat.drinks.id }, 'price'],
    [{ ...ok, price: -1 }, 'price'],
    [{ ...ok, price: 1.5 }, 'price'],
    [{ ...ok, price: '100' }, 'price'],
    [{ ...ok, name: '' }, 'name'],
    [{ ...ok, name: 'x'.repeat(201) }, 'name'],
    [{ ...ok, currency: 'azn' }, 'currency'],
    [{ ...ok, modifier_group_ids: ['nope'] }, 'modifier_group_ids'],
  ];
  for (const [body, field] of cases) {
    assertError(await call(t, 'POST', '/api/products', body), 400, 'validation_failed', field);
  }
});

// ---------------------------------------------------------------- modifier groups
test('modifier groups: created with their modifiers (ids, price_delta, ingredient, qty); patch; soft delete', async () => {
  const t = A.managerToken;
  const g = await create(t, '/api/modifier-groups', {
    name: 'Сиропы', kind: 'multiple', required: false, min: 0, max: 2,
    modifiers: [
      { name: 'Ваниль', price_delta: 60, ingredient_id: A.cat.milk.id, qty: 20 },
      { name: 'Без сахара', price_delta: -10 },
    ],
  });
  assert.equal(g.name, 'Сиропы');
  assert.equal(g.kind, 'multiple');
  assert.equal(g.required, false);
  assert.equal(g.min, 0);
  assert.equal(g.max, 2);
  assert.equal(g.modifiers.length, 2);
  const van = g.modifiers.find((m) => m.name === 'Ваниль');
  assert.match(van.id, UUID_RE);
  assert.equal(van.price_delta, 60);
  assert.equal(van.ingredient_id, A.cat.milk.id);
  assert.equal(van.qty, 20);
  const nos = g.modifiers.find((m) => m.name === 'Без сахара');
  assert.equal(nos.price_delta, -10, 'a negative price delta is allowed');

  const single = await create(t, '/api/modifier-groups', {
    name: 'Молоко', kind: 'single', required: true, min: 1, max: 1, modifiers: [{ name: 'Овсяное', price_delta: 80 }],
  });
  assert.equal(single.kind, 'single');
  assert.equal(single.required, true);

  const p = await call(t, 'PATCH', `/api/modifier-groups/${g.id}`, { name: 'Сиропы и добавки', max: 3 });
  assertStatus(p, 200, 'PATCH group');
  assert.equal(p.json.name, 'Сиропы и добавки');
  assert.equal(p.json.max, 3);
  assert.equal(p.json.modifiers.filter((m) => m.is_active !== false).length, 2, 'modifiers untouched');

  const d = await call(t, 'DELETE', `/api/modifier-groups/${g.id}`);
  assertStatus(d, 200, 'DELETE group');
  assert.equal(d.json.is_active, false);
  const r = await call(t, 'GET', `/api/modifier-groups/${g.id}`);
  assertStatus(r, 200);
  assert.equal(r.json.is_active, false);
});

test('modifier groups: a bad kind or a bad or unknown modifier field is 400 validation_failed', async () => {
  const t = A.managerToken;
  const ok = { name: 'G', kind: 'multiple', required: false, min: 0, max: 2, modifiers: [{ name: 'a', price_delta: 1 }] };
  assertError(await call(t, 'POST', '/api/modifier-groups', { ...ok, kind: 'several' }), 400, 'validation_failed', 'kind');
  assertError(await call(t, 'POST', '/api/modifier-groups', { ...ok, kind: undefined }), 400, 'validation_failed', 'kind');
  const r = await call(t, 'POST', '/api/modifier-groups', { ...ok, modifiers: [{ name: 'a', price_delta: 1, colour: 'red' }] });
  assertError(r, 400, 'validation_failed');
  assert.match(r.json.error.field, /colour/, 'the unknown modifier field is named');
  const r2 = await call(t, 'POST', '/api/modifier-groups', { ...ok, modifiers: [{ name: 'a' }] });
  assertError(r2, 400, 'validation_failed');
  assert.match(r2.json.error.field, /price_delta/);
  assertError(await call(t, 'POST', '/api/modifier-groups', { ...ok, min: 3, max: 2 }), 400, 'validation_failed');
});

// ---------------------------------------------------------------- ingredients
test('ingredients: units g/ml/pcs, cost_per_unit and min_qty; patch; soft delete', async () => {
  const t = A.managerToken;
  const i = await create(t, '/api/ingredients', { name: 'Сахар', unit: 'g', cost_per_unit: 0.5, min_qty: 2000 });
  assert.equal(i.name, 'Сахар');
  assert.equal(i.unit, 'g');
  assert.equal(Number(i.cost_per_unit), 0.5);
  assert.equal(i.min_qty, 2000);
  assert.equal((await create(t, '/api/ingredients', { name: 'Сливки', unit: 'ml' })).unit, 'ml');
  assert.equal((await create(t, '/api/ingredients', { name: 'Крышка', unit: 'pcs' })).unit, 'pcs');
  assertError(await call(t, 'POST', '/api/ingredients', { name: 'Мука', unit: 'kg' }), 400, 'validation_failed', 'unit');
  assertError(await call(t, 'POST', '/api/ingredients', { name: 'Мука' }), 400, 'validation_failed', 'unit');
  assertError(await call(t, 'POST', '/api/ingredients', { name: 'Мука', unit: 'g', min_qty: -1 }), 400, 'validation_failed', 'min_qty');

  const p = await call(t, 'PATCH', `/api/ingredients/${i.id}`, { min_qty: 500 });
  assertStatus(p, 200);
  assert.equal(p.json.min_qty, 500);
  assert.equal(p.json.unit, 'g');
  const d = await call(t, 'DELETE', `/api/ingredients/${i.id}`);
  assertStatus(d, 200);
  assert.equal(d.json.is_active, false);
  const g = await call(t, 'GET', `/api/ingredients/${i.id}`);
  assertStatus(g, 200);
  assert.equal(g.json.is_active, false);
});

// ---------------------------------------------------------------- recipes
test('recipes: one per product; POST again replaces it; patch; soft delete', async () => {
  const t = A.managerToken;
  const prod = await create(t, '/api/products', { name: 'Раф', category_id: A.cat.drinks.id, price: 600 });
  const r1 = await create(t, '/api/recipes', {
    product_id: prod.id, items: [{ ingredient_id: A.cat.coffee.id, qty: 18 }, { ingredient_id: A.cat.milk.id, qty: 200 }],
  });
  assert.equal(r1.product_id, prod.id);
  const items = (r) => Object.fromEntries(r.items.map((x) => [x.ingredient_id, x.qty]));
  assert.deepEqual(items(r1), { [A.cat.coffee.id]: 18, [A.cat.milk.id]: 200 });

  const r2 = await create(t, '/api/recipes', { product_id: prod.id, items: [{ ingredient_id: A.cat.coffee.id, qty: 20 }, { ingredient_id: A.cat.cup.id, qty: 1 }] });
  assert.deepEqual(items(r2), { [A.cat.coffee.id]: 20, [A.cat.cup.id]: 1 }, 'the second POST replaced the items');
  const mine = (await listAll(t, '/api/recipes')).filter((x) => x.product_id === prod.id);
  assert.equal(mine.length, 1, 'still one recipe for the product');
  assert.deepEqual(items(mine[0]), items(r2));

  const g = await call(t, 'GET', `/api/recipes/${mine[0].id}`);
  assertStatus(g, 200);
  assert.deepEqual(items(g.json), items(r2));

  const p = await call(t, 'PATCH', `/api/recipes/${mine[0].id}`, { items: [{ ingredient_id: A.cat.milk.id, qty: 300 }] });
  assertStatus(p, 200, 'PATCH recipe');
  assert.deepEqual(items(p.json), { [A.cat.milk.id]: 300 });

  const d = await call(t, 'DELETE', `/api/recipes/${mine[0].id}`);
  assertStatus(d, 200);
  assert.equal(d.json.is_active, false);
  const g2 = await call(t, 'GET', `/api/recipes/${mine[0].id}`);
  assertStatus(g2, 200);
  assert.equal(g2.json.is_active, false);
});

test('recipes: unknown or other tenants’ product and bad items are 400 validation_failed', async () => {
  const t = A.managerToken;
  for (const product_id of [uuid(), B.cat.latte.id]) {
    assertError(await call(t, 'POST', '/api/recipes', { product_id, items: [{ ingredient_id: A.cat.cup.id, qty: 1 }] }), 400, 'validation_failed', 'product_id');
  }
  const bad = await call(t, 'POST', '/api/recipes', { product_id: A.cat.croissant.id, items: [{ ingredient_id: A.cat.cup.id, qty: 0 }] });
  assertError(bad, 400, 'validation_failed');
  assert.match(bad.json.error.field, /qty/);
  const other = await call(t, 'POST', '/api/recipes', { product_id: A.cat.croissant.id, items: [{ ingredient_id: B.cat.cup.id, qty: 1 }] });
  assertError(other, 400, 'validation_failed');
  assertError(await call(t, 'POST', '/api/recipes', { items: [] }), 400, 'validation_failed', 'product_id');
});

// ---------------------------------------------------------------- strictness, ids, tenancy, roles
test('unknown fields are refused on create and patch: 400 validation_failed naming the field', async () => {
  const t = A.managerToken;
  const ids = {
    categories: A.cat.drinks.id, products: A.cat.latte.id, 'modifier-groups': A.cat.size.id,
    ingredients: A.cat.milk.id, recipes: A.cat.recipe.id,
  };
  for (const kind of RESOURCES) {
    assertError(await call(t, 'POST', `/api/${kind}`, { ...bodyFor(kind), colour: 'red' }), 400, 'validation_failed', 'colour');
    assertError(await call(t, 'PATCH', `/api/${kind}/${ids[kind]}`, { shade: 'blue' }), 400, 'validation_failed', 'shade');
  }
  assertError(await call(t, 'POST', '/api/stock/movements', { ingredient_id: A.cat.milk.id, kind: 'purchase', qty: 1, vendor: 'x' }), 400, 'validation_failed', 'vendor');
});

test('ids in paths: non-UUIDs and unknown UUIDs are 404 for GET, PATCH and DELETE', async () => {
  const t = A.managerToken;
  for (const kind of RESOURCES) {
    for (const id of ['abc', '123', 'null', `${uuid()}x`, uuid()]) {
      assertError(await call(t, 'GET', `/api/${kind}/${id}`), 404, 'not_found');
      assertError(await call(t, 'PATCH', `/api/${kind}/${id}`, {}), 404, 'not_found');
      assertError(await call(t, 'DELETE', `/api/${kind}/${id}`), 404, 'not_found');
    }
  }
});

test('another tenant’s objects are 404 (read, patch, delete) and stay untouched; its lists never show them', async () => {
  const t = A.managerToken;
  const theirs = {
    categories: B.cat.drinks.id, products: B.cat.latte.id, 'modifier-groups': B.cat.size.id,
    ingredients: B.cat.milk.id, recipes: B.cat.recipe.id,
  };
  const patch = {
    categories: { name: 'hacked' }, products: { price: 1 }, 'modifier-groups': { name: 'hacked' },
    ingredients: { name: 'hacked' }, recipes: { items: [] },
  };
  for (const kind of RESOURCES) {
    const id = theirs[kind];
    assertError(await call(t, 'GET', `/api/${kind}/${id}`), 404, 'not_found');
    assertError(await call(t, 'PATCH', `/api/${kind}/${id}`, patch[kind]), 404, 'not_found');
    assertError(await call(t, 'DELETE', `/api/${kind}/${id}`), 404, 'not_found');
    const own = await call(B.token, 'GET', `/api/${kind}/${id}`);
    assertStatus(own, 200, `B reads its ${kind}`);
    assert.notEqual(own.json.is_active, false, `B's ${kind} still active`);
    if (own.json.name !== undefined) assert.notEqual(own.json.name, 'hacked');
    const list = JSON.stringify(await listAll(t, `/api/${kind}`));
    assert.ok(!list.includes(id), `A's ${kind} list has B's ${id}`);
  }
  assert.equal((await call(B.token, 'GET', `/api/products/${B.cat.latte.id}`)).json.price, 500);
  assert.equal((await call(B.token, 'GET', `/api/recipes/${B.cat.recipe.id}`)).json.items.length, 3);
});

test('roles: manager+ only; a cashier or cook is 403, a till or no token is 401', async () => {
  for (const kind of RESOURCES) {
    for (const tok of [A.cashierUserToken, A.cookToken]) {
      assertError(await call(tok, 'GET', `/api/${kind}`), 403, 'forbidden');
      assertError(await call(tok, 'POST', `/api/${kind}`, bodyFor(kind)), 403, 'forbidden');
    }
    assertError(await call(A.deviceToken, 'POST', `/api/${kind}`, bodyFor(kind)), [401, 403]);
    assertError(await call(null, 'GET', `/api/${kind}`), 401, 'unauthorized');
  }
  // the owner is manager+ too
  await create(A.token, '/api/categories', { name: 'By the owner' });
  assertError(await call(A.cashierUserToken, 'GET', '/api/stock'), 403, 'forbidden');
  assertError(await call(A.cashierUserToken, 'POST', '/api/stock/movements', { ingredient_id: A.cat.milk.id, kind: 'purchase', qty: 1 }), 403, 'forbidden');
});

// ---------------------------------------------------------------- what the till shows
test('GET /api/pos/categories and /api/pos/items: active only, with price, category and full modifier groups', async () => {
  const t = A.managerToken;
  const offCat = await create(t, '/api/categories', { name: 'Hidden category' });
  await call(t, 'DELETE', `/api/categories/${offCat.id}`);
  const offProd = await create(t, '/api/products', { name: 'Hidden product', category_id: A.cat.drinks.id, price: 1 });
  await call(t, 'DELETE', `/api/products/${offProd.id}`);

  for (const tok of [A.deviceToken, A.managerToken, A.token, A.cashierToken]) {
    const c = await call(tok, 'GET', '/api/pos/categories');
    assertStatus(c, 200, 'GET /api/pos/categories');
    const cats = c.json.items;
    assert.ok(Array.isArray(cats));
    assert.ok(cats.some((x) => x.id === A.cat.drinks.id), 'an active category is shown');
    assert.ok(!cats.some((x) => x.id === offCat.id), 'a deleted category is not');
    assert.ok(cats.every((x) => x.is_active !== false));
    assert.ok(!JSON.stringify(cats).includes(B.cat.drinks.id), 'never another tenant’s');

    const i = await call(tok, 'GET', '/api/pos/items');
    assertStatus(i, 200, 'GET /api/pos/items');
    const items = i.json.items;
    assert.ok(Array.isArray(items));
    assert.ok(!items.some((x) => x.id === offProd.id), 'a deleted product is not shown');
    assert.ok(items.every((x) => x.is_active !== false));
    assert.ok(!JSON.stringify(items).includes(B.cat.latte.id), 'never another tenant’s');
    const latte = items.find((x) => x.id === A.cat.latte.id);
    assert.ok(latte, 'Latte is on the till');
    assert.equal(latte.price, 500);
    assert.equal(latte.currency, 'AZN');
    assert.equal(latte.category_id, A.cat.drinks.id);
    assert.deepEqual(latte.modifier_groups.map((g) => g.id), [A.cat.size.id, A.cat.extras.id]);
    const size = latte.modifier_groups[0];
    assert.equal(size.kind, 'single');
    assert.equal(size.required, true);
    assert.equal(size.min, 1);
    assert.equal(size.max, 1);
    const m = size.modifiers.find((x) => x.id === A.cat.M.id);
    assert.equal(m.name, 'M');
    assert.equal(m.price_delta, 50);
    const croissant = items.find((x) => x.id === A.cat.croissant.id);
    assert.deepEqual(croissant.modifier_groups, []);
  }
  assertError(await call(A.cookToken, 'GET', '/api/pos/items'), 403, 'forbidden');
  assertError(await call(null, 'GET', '/api/pos/items'), 401, 'unauthorized');
});

// ---------------------------------------------------------------- stock
test('stock: levels per ingredient; purchase adds, write_off takes, count sets; low below min_qty', async () => {
  const t = A.managerToken;
  const ing = await create(t, '/api/ingredients', { name: 'Какао', unit: 'g', min_qty: 300 });
  let s = (await stock(t)).get(ing.id);
  assert.deepEqual(
    { ingredient_id: s.ingredient_id, name: s.name, unit: s.unit, qty: s.qty, min_qty: s.min_qty, low: s.low },
    { ingredient_id: ing.id, name: 'Какао', unit: 'g', qty: 0, min_qty: 300, low: true },
  );
  const mv = async (body, status = 201) => {
    const r = await call(t, 'POST', '/api/stock/movements', body);
    assertStatus(r, status, `movement ${JSON.stringify(body)}`);
    return r;
  };
  await mv({ ingredient_id: ing.id, kind: 'purchase', qty: 1000, note: 'поставка №17' });
  s = (await stock(t)).get(ing.id);
  assert.equal(s.qty, 1000);
  assert.equal(s.low, false);
  await mv({ ingredient_id: ing.id, kind: 'write_off', qty: 150, note: 'просыпали' });
  assert.equal((await stock(t)).get(ing.id).qty, 850);
  await mv({ ingredient_id: ing.id, kind: 'count', qty: 200 });
  s = (await stock(t)).get(ing.id);
  assert.equal(s.qty, 200, 'a count sets the level');
  assert.equal(s.low, true, '200 < 300 is low');
  await mv({ ingredient_id: ing.id, kind: 'write_off', qty: 500 });
  s = (await stock(t)).get(ing.id);
  assert.equal(s.qty, -300, 'stock may go negative');
  assert.equal(s.low, true);
  await mv({ ingredient_id: ing.id, kind: 'count', qty: 0 });
  assert.equal((await stock(t)).get(ing.id).qty, 0, 'a count of zero');
  const g = await call(t, 'GET', `/api/ingredients/${ing.id}`);
  assert.equal(g.json.qty ?? 0, 0);
});

test('stock movements: bad kind, qty or ingredient is 400; another tenant’s ingredient is never touched', async () => {
  const t = A.managerToken;
  const id = A.cat.cup.id;
  const before = (await stock(t)).get(id).qty;
  const cases = [
    [{ ingredient_id: id, kind: 'sale', qty: 1 }, 'kind'],
    [{ ingredient_id: id, kind: 'purchase', qty: -5 }, 'qty'],
    [{ ingredient_id: id, kind: 'purchase', qty: 0 }, 'qty'],
    [{ ingredient_id: id, kind: 'purchase', qty: 1.5 }, 'qty'],
    [{ ingredient_id: id, kind: 'purchase' }, 'qty'],
    [{ kind: 'purchase', qty: 1 }, 'ingredient_id'],
    [{ ingredient_id: 'cup', kind: 'purchase', qty: 1 }, 'ingredient_id'],
    [{ ingredient_id: uuid(), kind: 'purchase', qty: 1 }, 'ingredient_id'],
    [{ ingredient_id: id, kind: 'purchase', qty: 1, note: 'x'.repeat(1001) }, 'note'],
  ];
  for (const [body, field] of cases) {
    assertError(await call(t, 'POST', '/api/stock/movements', body), 400, 'validation_failed', field);
  }
  const bBefore = (await stock(B.token)).get(B.cat.cup.id).qty;
  const r = await call(t, 'POST', '/api/stock/movements', { ingredient_id: B.cat.cup.id, kind: 'purchase', qty: 50 });
  assertError(r, [400, 404]);
  assert.equal((await stock(B.token)).get(B.cat.cup.id).qty, bBefore, 'B’s stock unchanged');
  assert.equal((await stock(t)).get(id).qty, before, 'nothing recorded by the refused movements');
  const list = JSON.stringify((await call(t, 'GET', '/api/stock')).json);
  assert.ok(!list.includes(B.cat.cup.id), 'A’s stock never lists B’s ingredients');
});
