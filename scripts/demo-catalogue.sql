-- The demo café's catalogue, loaded by `posctl seed-demo` inside the demo
-- tenant's transaction (app.tenant_id is set, so every insert is scoped).
-- Prices in qəpik (1/100 AZN); ingredient quantities in g, ml or pcs.
WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO categories (tenant_id, id, name, sort)
SELECT t.id, c.id::uuid, c.name, c.sort FROM t, (VALUES
    ('0d1a0000-0000-4000-8000-000000000001', 'Кофе', 1),
    ('0d1a0000-0000-4000-8000-000000000002', 'Бабл-ти', 2),
    ('0d1a0000-0000-4000-8000-000000000003', 'Десерты', 3)) AS c(id, name, sort);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO ingredients (tenant_id, id, name, unit, cost_per_unit, min_qty)
SELECT t.id, i.id::uuid, i.name, i.unit, i.cost, i.min FROM t, (VALUES
    ('0d1b0000-0000-4000-8000-000000000001', 'Кофе в зёрнах', 'g', 4.0, 1000),
    ('0d1b0000-0000-4000-8000-000000000002', 'Молоко', 'ml', 0.3, 5000),
    ('0d1b0000-0000-4000-8000-000000000003', 'Стакан 400 мл', 'pcs', 12.0, 100),
    ('0d1b0000-0000-4000-8000-000000000004', 'Тапиока', 'g', 1.5, 1000),
    ('0d1b0000-0000-4000-8000-000000000005', 'Чёрный чай', 'ml', 0.1, 3000),
    ('0d1b0000-0000-4000-8000-000000000006', 'Сироп карамель', 'ml', 1.2, 500),
    ('0d1b0000-0000-4000-8000-000000000007', 'Чизкейк (порция)', 'pcs', 150.0, 5)) AS i(id, name, unit, cost, min);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO products (tenant_id, id, category_id, name, price, currency, cost, sku, sort)
SELECT t.id, p.id::uuid, p.cat::uuid, p.name, p.price, 'AZN', p.cost, p.sku, p.sort FROM t, (VALUES
    ('0d1c0000-0000-4000-8000-000000000001', '0d1a0000-0000-4000-8000-000000000001', 'Эспрессо', 300, 80, 'ESP', 1),
    ('0d1c0000-0000-4000-8000-000000000002', '0d1a0000-0000-4000-8000-000000000001', 'Капучино', 450, 140, 'CAP', 2),
    ('0d1c0000-0000-4000-8000-000000000003', '0d1a0000-0000-4000-8000-000000000001', 'Латте', 500, 160, 'LAT', 3),
    ('0d1c0000-0000-4000-8000-000000000004', '0d1a0000-0000-4000-8000-000000000002', 'Классический бабл-ти', 650, 180, 'BBT', 1),
    ('0d1c0000-0000-4000-8000-000000000005', '0d1a0000-0000-4000-8000-000000000002', 'Молочный улун', 700, 200, 'OOL', 2),
    ('0d1c0000-0000-4000-8000-000000000006', '0d1a0000-0000-4000-8000-000000000003', 'Чизкейк', 550, 150, 'CHK', 1),
    ('0d1c0000-0000-4000-8000-000000000007', '0d1a0000-0000-4000-8000-000000000003', 'Круассан', 350, 90, 'CRO', 2)) AS p(id, cat, name, price, cost, sku, sort);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO modifier_groups (tenant_id, id, name, kind, required, min_select, max_select)
SELECT t.id, g.id::uuid, g.name, g.kind, g.req, g.mn, g.mx FROM t, (VALUES
    ('0d1d0000-0000-4000-8000-000000000001', 'Размер', 'single', true, 1, 1),
    ('0d1d0000-0000-4000-8000-000000000002', 'Добавки', 'multiple', false, 0, 3)) AS g(id, name, kind, req, mn, mx);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO modifiers (tenant_id, id, group_id, name, price_delta, ingredient_id, qty, sort)
SELECT t.id, m.id::uuid, m.g::uuid, m.name, m.delta, m.ing::uuid, m.qty, m.sort FROM t, (VALUES
    ('0d1e0000-0000-4000-8000-000000000001', '0d1d0000-0000-4000-8000-000000000001', 'S (300 мл)', 0, NULL, NULL, 1),
    ('0d1e0000-0000-4000-8000-000000000002', '0d1d0000-0000-4000-8000-000000000001', 'M (400 мл)', 50, '0d1b0000-0000-4000-8000-000000000002', 50, 2),
    ('0d1e0000-0000-4000-8000-000000000003', '0d1d0000-0000-4000-8000-000000000001', 'L (500 мл)', 100, '0d1b0000-0000-4000-8000-000000000002', 100, 3),
    ('0d1e0000-0000-4000-8000-000000000004', '0d1d0000-0000-4000-8000-000000000002', 'Карамельный сироп', 60, '0d1b0000-0000-4000-8000-000000000006', 20, 1),
    ('0d1e0000-0000-4000-8000-000000000005', '0d1d0000-0000-4000-8000-000000000002', 'Двойная тапиока', 80, '0d1b0000-0000-4000-8000-000000000004', 40, 2),
    ('0d1e0000-0000-4000-8000-000000000006', '0d1d0000-0000-4000-8000-000000000002', 'Доп. шот эспрессо', 100, '0d1b0000-0000-4000-8000-000000000001', 9, 3)) AS m(id, g, name, delta, ing, qty, sort);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO product_modifier_groups (tenant_id, product_id, group_id, sort)
SELECT t.id, x.p::uuid, x.g::uuid, x.sort FROM t, (VALUES
    ('0d1c0000-0000-4000-8000-000000000002', '0d1d0000-0000-4000-8000-000000000001', 1),
    ('0d1c0000-0000-4000-8000-000000000002', '0d1d0000-0000-4000-8000-000000000002', 2),
    ('0d1c0000-0000-4000-8000-000000000003', '0d1d0000-0000-4000-8000-000000000001', 1),
    ('0d1c0000-0000-4000-8000-000000000003', '0d1d0000-0000-4000-8000-000000000002', 2),
    ('0d1c0000-0000-4000-8000-000000000004', '0d1d0000-0000-4000-8000-000000000001', 1),
    ('0d1c0000-0000-4000-8000-000000000004', '0d1d0000-0000-4000-8000-000000000002', 2),
    ('0d1c0000-0000-4000-8000-000000000005', '0d1d0000-0000-4000-8000-000000000001', 1)) AS x(p, g, sort);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO recipes (tenant_id, id, product_id)
SELECT t.id, r.id::uuid, r.p::uuid FROM t, (VALUES
    ('0d1f0000-0000-4000-8000-000000000001', '0d1c0000-0000-4000-8000-000000000001'),
    ('0d1f0000-0000-4000-8000-000000000002', '0d1c0000-0000-4000-8000-000000000002'),
    ('0d1f0000-0000-4000-8000-000000000003', '0d1c0000-0000-4000-8000-000000000003'),
    ('0d1f0000-0000-4000-8000-000000000004', '0d1c0000-0000-4000-8000-000000000004'),
    ('0d1f0000-0000-4000-8000-000000000005', '0d1c0000-0000-4000-8000-000000000005'),
    ('0d1f0000-0000-4000-8000-000000000006', '0d1c0000-0000-4000-8000-000000000006')) AS r(id, p);

WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id)
INSERT INTO recipe_items (tenant_id, recipe_id, ingredient_id, qty)
SELECT t.id, x.r::uuid, x.i::uuid, x.qty FROM t, (VALUES
    ('0d1f0000-0000-4000-8000-000000000001', '0d1b0000-0000-4000-8000-000000000001', 9),
    ('0d1f0000-0000-4000-8000-000000000002', '0d1b0000-0000-4000-8000-000000000001', 18),
    ('0d1f0000-0000-4000-8000-000000000002', '0d1b0000-0000-4000-8000-000000000002', 150),
    ('0d1f0000-0000-4000-8000-000000000002', '0d1b0000-0000-4000-8000-000000000003', 1),
    ('0d1f0000-0000-4000-8000-000000000003', '0d1b0000-0000-4000-8000-000000000001', 18),
    ('0d1f0000-0000-4000-8000-000000000003', '0d1b0000-0000-4000-8000-000000000002', 250),
    ('0d1f0000-0000-4000-8000-000000000003', '0d1b0000-0000-4000-8000-000000000003', 1),
    ('0d1f0000-0000-4000-8000-000000000004', '0d1b0000-0000-4000-8000-000000000004', 60),
    ('0d1f0000-0000-4000-8000-000000000004', '0d1b0000-0000-4000-8000-000000000005', 250),
    ('0d1f0000-0000-4000-8000-000000000004', '0d1b0000-0000-4000-8000-000000000002', 80),
    ('0d1f0000-0000-4000-8000-000000000004', '0d1b0000-0000-4000-8000-000000000003', 1),
    ('0d1f0000-0000-4000-8000-000000000005', '0d1b0000-0000-4000-8000-000000000005', 250),
    ('0d1f0000-0000-4000-8000-000000000005', '0d1b0000-0000-4000-8000-000000000002', 100),
    ('0d1f0000-0000-4000-8000-000000000005', '0d1b0000-0000-4000-8000-000000000003', 1),
    ('0d1f0000-0000-4000-8000-000000000006', '0d1b0000-0000-4000-8000-000000000007', 1)) AS x(r, i, qty);

-- opening stock, as a purchase
WITH t AS (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid AS id),
s AS (SELECT i.id, CASE i.unit WHEN 'pcs' THEN 200 ELSE 20000 END AS qty FROM ingredients i),
m AS (INSERT INTO stock_movements (tenant_id, item_id, item_kind, kind, qty, note)
      SELECT t.id, s.id, 'ingredient', 'purchase', s.qty, 'opening stock' FROM t, s)
INSERT INTO stock_levels (tenant_id, item_id, item_kind, qty)
SELECT t.id, s.id, 'ingredient', s.qty FROM t, s;
