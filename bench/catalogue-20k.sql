-- 20,000 products in 5 new categories for the demo store (scripts/bench.sh,
-- on the benchmark's throwaway data folder only).  Run as pos_app with
-- psql -v tenant=UUID: one transaction, tenant set the way the workers set it,
-- so row-level security applies.  Every product has a price, cost, sku and
-- barcode; every fourth one links the demo's size group and every eighth the
-- extras group, so api_product() builds modifier_group_ids as for real items.
BEGIN;
SELECT set_config('app.tenant_id', :'tenant', true) \g /dev/null

INSERT INTO categories (tenant_id, id, name, sort)
SELECT :'tenant'::uuid, ('0be00000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
       'Bench category ' || g, 100 + g
FROM generate_series(1, 5) g;

INSERT INTO products (tenant_id, id, category_id, name, price, currency, cost, sku, barcode, sort)
SELECT :'tenant'::uuid, ('0be10000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
       ('0be00000-0000-4000-8000-' || lpad((1 + n % 5)::text, 12, '0'))::uuid,
       'Bench product ' || n, 100 + n % 900, 'AZN', 50 + n % 400, 'BENCH-' || n,
       '4' || lpad(n::text, 12, '0'), n
FROM generate_series(1, 20000) n;

INSERT INTO product_modifier_groups (tenant_id, product_id, group_id, sort)
SELECT :'tenant'::uuid, ('0be10000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
       '0d1d0000-0000-4000-8000-000000000001'::uuid, 1
FROM generate_series(4, 20000, 4) n
UNION ALL
SELECT :'tenant'::uuid, ('0be10000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
       '0d1d0000-0000-4000-8000-000000000002'::uuid, 2
FROM generate_series(8, 20000, 8) n;
COMMIT;
