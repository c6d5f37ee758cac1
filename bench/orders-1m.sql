-- A sales history for the dashboard and report benchmarks (scripts/bench.sh,
-- on the benchmark's throwaway data folder only): :n orders (default run:
-- 1,000,000) of the demo café over the :days days before the store's today,
-- with their lines and payments, set-based: one INSERT ... SELECT per table.
--
-- Run as the cluster's superuser with psql -v tenant=UUID -v store=UUID
-- -v device=UUID -v n=N -v days=D, in one transaction; prints one line
-- "load: N orders N lines FIRST_DAY LAST_DAY gen_ms N insert_ms N analyze_ms N".
--
-- What it makes, from a hash of each order's seed (the same every run but the ids):
-- - days: Mon-Thu weight 1.0, Fri 1.1, Sat 1.25, Sun 1.2, each +-5 %; the
--   counts per day add up to :n exactly;
-- - time of sale: the store's opening hours 08:00-22:00 in its time zone
--   (Asia/Baku for the demo), with a morning, lunch and evening peak;
--   numbers 1, 2, 3 ... per store per business day in order of sale time
--   (after any number order_numbers already gave out that day);
-- - 1-4 lines (40/35/17/8 %) of the 7 demo products (coffee most), qty 1-3;
--   drinks of the size group carry a size (S/M/L, price delta 0/50/100) and
--   some an extra (caramel, extra shot, double tapioca), like a till sends
--   them: unit_price = price + deltas, line total = unit_price * qty;
-- - 5 % of orders 10 % off; total = subtotal - discount, base = AZN, rate 1;
-- - payments cash 40 % (tendered rounded up to 5 AZN, change), card 50 %,
--   qr 10 %; 3 % split cash + card; the payments add up to the total;
-- - 0.8 % refunded and 0.3 % cancelled (with their -1 status event, as the
--   trigger would write it); kitchen_status served; 85 % with the demo
--   cashier, the rest sold under the till's token (no cashier).
-- Per-row triggers are off for the load (session_replication_role = replica,
-- as pg_restore --disable-triggers does): no million NOTIFYs to posev, and
-- the foreign keys hold by construction (every id below comes from the
-- rows it references); scripts/bench.sh checks totals and numbers after.
-- Stock movements are not generated: the reports do not read them.
\set ON_ERROR_STOP 1
BEGIN;
SET LOCAL session_replication_role = replica;
SET LOCAL work_mem = '256MB';
SELECT clock_timestamp() AS started \gset

-- a uniform number in [0, 1) from an order's seed and a salt
CREATE FUNCTION pg_temp.u(seed bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended(seed, salt) & 2147483647)::float8 / 2147483648.0 $$;

CREATE TEMP TABLE gen_p ON COMMIT DROP AS
SELECT s.tenant_id AS t, s.id AS store, :'device'::uuid AS device, s.time_zone AS tz, s.base_currency AS cur,
       (now() AT TIME ZONE s.time_zone)::date AS today,
       (SELECT u.id FROM users u WHERE u.tenant_id = s.tenant_id AND u.role = 'cashier' AND u.is_active
        ORDER BY u.created_at LIMIT 1) AS cashier,
       (SELECT u.id FROM users u WHERE u.tenant_id = s.tenant_id AND u.role IN ('manager', 'owner') AND u.is_active
        ORDER BY u.role = 'manager' DESC, u.created_at LIMIT 1) AS manager
FROM stores s WHERE s.tenant_id = :'tenant'::uuid AND s.id = :'store'::uuid;

-- orders per day: cumulative rounding, so the days add up to :n
CREATE TEMP TABLE gen_days ON COMMIT DROP AS
WITH d AS (
    SELECT p.today - i AS day,
           (CASE extract(isodow FROM p.today - i) WHEN 5 THEN 1.10 WHEN 6 THEN 1.25 WHEN 7 THEN 1.20 ELSE 1.0 END)
           * (0.95 + 0.10 * pg_temp.u(i, 1)) AS w
    FROM gen_p p, generate_series(1, :days) i
), c AS (
    SELECT day, w, sum(w) OVER (ORDER BY day) AS cw, sum(w) OVER () AS tw FROM d
)
SELECT c.day, (round(:n * c.cw / c.tw) - round(:n * (c.cw - c.w) / c.tw))::integer AS cnt,
       coalesce((SELECT o.last FROM order_numbers o, gen_p p
                 WHERE o.tenant_id = p.t AND o.store_id = p.store AND o.business_date = c.day), 0) AS first_number
FROM c;

-- opening hours: hour h takes the share [lo, hi) of a day's orders
CREATE TEMP TABLE gen_hours ON COMMIT DROP AS
SELECT h, (sum(w) OVER (ORDER BY h) - w) / 100.0 AS lo, sum(w) OVER (ORDER BY h) / 100.0 AS hi
FROM (VALUES (8, 6), (9, 9), (10, 8), (11, 7), (12, 10), (13, 10), (14, 7), (15, 6), (16, 6), (17, 7),
             (18, 8), (19, 7), (20, 5), (21, 4)) v(h, w);

CREATE TEMP TABLE gen_orders ON COMMIT DROP AS
WITH o AS (
    SELECT gen_random_uuid() AS id, x.seed, x.day, x.first_number,
           x.day + make_interval(hours => h.h) + make_interval(secs => floor(3600 * pg_temp.u(x.seed, 3))) AS local_at
    FROM (SELECT d.day, d.first_number, (d.day - date '2000-01-01')::bigint * 1000000 + k AS seed
          FROM gen_days d, generate_series(1, d.cnt) k) x
    JOIN gen_hours h ON pg_temp.u(x.seed, 2) >= h.lo AND pg_temp.u(x.seed, 2) < h.hi
)
SELECT o.id, o.seed, o.day, o.local_at AT TIME ZONE p.tz AS created_at,
       o.first_number + row_number() OVER (PARTITION BY o.day ORDER BY o.local_at, o.id) AS number,
       CASE WHEN pg_temp.u(o.seed, 4) < 0.40 THEN 1 WHEN pg_temp.u(o.seed, 4) < 0.75 THEN 2
            WHEN pg_temp.u(o.seed, 4) < 0.92 THEN 3 ELSE 4 END AS nlines,
       pg_temp.u(o.seed, 5) < 0.05 AS discounted,
       pg_temp.u(o.seed, 6) AS pay,
       CASE WHEN pg_temp.u(o.seed, 7) < 0.008 THEN 'refunded' WHEN pg_temp.u(o.seed, 7) < 0.011 THEN 'cancelled'
            ELSE 'paid' END AS status,
       CASE WHEN pg_temp.u(o.seed, 8) < 0.85 THEN p.cashier END AS cashier
FROM o, gen_p p;

-- what a line can be: products by popularity, sizes, extras
CREATE TEMP TABLE gen_products ON COMMIT DROP AS
SELECT p.id, p.name, p.price, v.lo, v.hi,
       EXISTS (SELECT FROM product_modifier_groups g WHERE g.tenant_id = p.tenant_id AND g.product_id = p.id
               AND g.group_id = '0d1d0000-0000-4000-8000-000000000001') AS sized
FROM products p, gen_p x, (VALUES
    ('0d1c0000-0000-4000-8000-000000000001'::uuid, 0.00, 0.14),   -- Эспрессо
    ('0d1c0000-0000-4000-8000-000000000002', 0.14, 0.36),         -- Капучино
    ('0d1c0000-0000-4000-8000-000000000003', 0.36, 0.58),         -- Латте
    ('0d1c0000-0000-4000-8000-000000000004', 0.58, 0.70),         -- Классический бабл-ти
    ('0d1c0000-0000-4000-8000-000000000005', 0.70, 0.78),         -- Молочный улун
    ('0d1c0000-0000-4000-8000-000000000006', 0.78, 0.88),         -- Чизкейк
    ('0d1c0000-0000-4000-8000-000000000007', 0.88, 1.00)) v(id, lo, hi)   -- Круассан
WHERE p.tenant_id = x.t AND p.id = v.id;

CREATE TEMP TABLE gen_mods ON COMMIT DROP AS
SELECT v.kind, v.product_id, m.id, m.name, m.price_delta, v.lo, v.hi
FROM modifiers m, gen_p x, (VALUES
    ('size', NULL::uuid, '0d1e0000-0000-4000-8000-000000000001'::uuid, 0.00, 0.45),   -- S
    ('size', NULL, '0d1e0000-0000-4000-8000-000000000002', 0.45, 0.85),              -- M
    ('size', NULL, '0d1e0000-0000-4000-8000-000000000003', 0.85, 1.00),              -- L
    ('extra', '0d1c0000-0000-4000-8000-000000000002', '0d1e0000-0000-4000-8000-000000000004', 0.00, 0.08),
    ('extra', '0d1c0000-0000-4000-8000-000000000002', '0d1e0000-0000-4000-8000-000000000006', 0.08, 0.13),
    ('extra', '0d1c0000-0000-4000-8000-000000000003', '0d1e0000-0000-4000-8000-000000000004', 0.00, 0.10),
    ('extra', '0d1c0000-0000-4000-8000-000000000003', '0d1e0000-0000-4000-8000-000000000006', 0.10, 0.14),
    ('extra', '0d1c0000-0000-4000-8000-000000000004', '0d1e0000-0000-4000-8000-000000000005', 0.00, 0.12),
    ('extra', '0d1c0000-0000-4000-8000-000000000004', '0d1e0000-0000-4000-8000-000000000004', 0.12, 0.16))
    v(kind, product_id, id, lo, hi)
WHERE m.tenant_id = x.t AND m.id = v.id;

CREATE TEMP TABLE gen_lines ON COMMIT DROP AS
SELECT o.id AS order_id, k AS line_no, p.id AS product_id, p.name,
       CASE WHEN pg_temp.u(o.seed, 200 + k) < 0.85 THEN 1 WHEN pg_temp.u(o.seed, 200 + k) < 0.97 THEN 2 ELSE 3 END AS qty,
       p.price + coalesce(s.price_delta, 0) + coalesce(e.price_delta, 0) AS unit_price,
       CASE WHEN s.id IS NULL THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_build_object('id', s.id, 'price_delta', s.price_delta, 'name', s.name)) END
       || CASE WHEN e.id IS NULL THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_build_object('id', e.id, 'price_delta', e.price_delta, 'name', e.name)) END
       AS modifiers
FROM gen_orders o
CROSS JOIN LATERAL generate_series(1, o.nlines) k
JOIN gen_products p ON pg_temp.u(o.seed, 100 + k) >= p.lo AND pg_temp.u(o.seed, 100 + k) < p.hi
LEFT JOIN gen_mods s ON s.kind = 'size' AND p.sized
     AND pg_temp.u(o.seed, 300 + k) >= s.lo AND pg_temp.u(o.seed, 300 + k) < s.hi
LEFT JOIN gen_mods e ON e.kind = 'extra' AND e.product_id = p.id
     AND pg_temp.u(o.seed, 400 + k) >= e.lo AND pg_temp.u(o.seed, 400 + k) < e.hi;

SELECT clock_timestamp() AS gen_done \gset

-- ---- the tables themselves: one INSERT ... SELECT each

INSERT INTO orders (tenant_id, id, store_id, device_id, cashier_id, number, business_date, created_at,
                    received_at, status, status_reason, status_at, status_by, kitchen_status, kitchen_updated_at,
                    currency, base_currency, rate, subtotal, discount, total, total_base, note, body_hash)
SELECT p.t, o.id, p.store, p.device, o.cashier, o.number, o.day, o.created_at,
       o.created_at + make_interval(secs => 1 + o.seed % 3),
       o.status, CASE WHEN o.status <> 'paid' THEN 'bench: returned' END,
       CASE WHEN o.status <> 'paid' THEN o.created_at + interval '10 minutes' END,
       CASE WHEN o.status <> 'paid' THEN p.manager END,
       'served', o.created_at + interval '4 minutes',
       p.cur, p.cur, 1, s.sub, x.disc, s.sub - x.disc, s.sub - x.disc, NULL,
       md5(o.id::text) || md5(o.seed::text)
FROM gen_orders o
JOIN (SELECT l.order_id, sum(l.unit_price * l.qty)::bigint AS sub FROM gen_lines l GROUP BY l.order_id) s
  ON s.order_id = o.id
CROSS JOIN gen_p p
CROSS JOIN LATERAL (SELECT CASE WHEN o.discounted THEN s.sub / 10 ELSE 0 END AS disc) x;

INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, name, qty, unit_price, modifiers, note, total)
SELECT p.t, l.order_id, l.line_no, l.product_id, l.name, l.qty, l.unit_price, l.modifiers, NULL, l.unit_price * l.qty
FROM gen_lines l, gen_p p;

-- cash part of a split: whole AZN, half the total; the card pays the rest
INSERT INTO order_payments (tenant_id, order_id, n, method, currency, amount, amount_base, tendered, change)
SELECT p.t, o.id, v.n, v.method, p.cur, v.amount, v.amount,
       CASE WHEN v.method = 'cash' THEN (v.amount + 499) / 500 * 500 END,
       CASE WHEN v.method = 'cash' THEN (v.amount + 499) / 500 * 500 - v.amount END
FROM gen_orders g
JOIN orders o ON o.tenant_id = (SELECT t FROM gen_p) AND o.id = g.id
CROSS JOIN gen_p p
CROSS JOIN LATERAL (SELECT g.pay >= 0.97 AND o.total >= 200 AS split, o.total / 200 * 100 AS cash_part) s
CROSS JOIN LATERAL (VALUES
    (1, CASE WHEN s.split OR g.pay < 0.40 THEN 'cash' WHEN g.pay < 0.90 THEN 'card' ELSE 'qr' END,
        CASE WHEN s.split THEN s.cash_part ELSE o.total END),
    (2, 'card', o.total - s.cash_part)) v(n, method, amount)
WHERE v.n = 1 OR s.split;

INSERT INTO order_status_events (tenant_id, order_id, delta, at)
SELECT p.t, o.id, -1, o.created_at + interval '10 minutes'
FROM gen_orders o, gen_p p WHERE o.status <> 'paid'
ORDER BY o.created_at;

INSERT INTO order_numbers (tenant_id, store_id, business_date, last)
SELECT p.t, p.store, o.day, max(o.number) FROM gen_orders o, gen_p p GROUP BY p.t, p.store, o.day
ON CONFLICT (tenant_id, store_id, business_date) DO UPDATE SET last = greatest(order_numbers.last, EXCLUDED.last);

SELECT clock_timestamp() AS ins_done \gset
-- statistics before the aggregator plans its fold over these rows (ANALYZE
-- in the loading transaction sees its own rows)
ANALYZE orders, order_lines, order_payments, order_status_events, order_numbers;

SELECT count(*) AS orders, (SELECT count(*) FROM gen_lines) AS lines, min(day) AS first_day, max(day) AS last_day,
       round(extract(epoch FROM :'gen_done'::timestamptz - :'started'::timestamptz) * 1000) AS gen_ms,
       round(extract(epoch FROM :'ins_done'::timestamptz - :'gen_done'::timestamptz) * 1000) AS insert_ms,
       round(extract(epoch FROM clock_timestamp() - :'ins_done'::timestamptz) * 1000) AS analyze_ms
FROM gen_orders \gset load_
\echo load: :load_orders orders :load_lines lines :load_first_day :load_last_day gen_ms :load_gen_ms insert_ms :load_insert_ms analyze_ms :load_analyze_ms
COMMIT;
