-- pgbench script for scripts/bench.sh: the same order as bench/orders.lua,
-- stored by the SQL function the workers call for POST /api/orders
-- (order_submit; order_submit_many is the set-based batch of the sync push),
-- in one transaction per order, as pos_app with the tenant set the way the
-- workers set it.  Variables (pgbench -D): tenant, store, device.  A fresh id
-- per transaction (gen_random_uuid()); the body hash is the SHA-256 of the
-- order as the workers hash theirs; no cashier; no card, so the sealed-cards
-- array is [null].  created_at is now() as jsonb (RFC 3339); the statements
-- hold no other colon, since pgbench reads a colon and a name as a variable.
BEGIN;
SELECT set_config('app.tenant_id', :tenant, true);
SELECT order_submit(o, encode(sha256(convert_to(o::text, 'UTF8')), 'hex'),
       :store::uuid, :device::uuid, NULL, '[null]'::jsonb)
FROM (SELECT jsonb_build_object(
        'id', gen_random_uuid(),
        'created_at', now(),
        'lines', jsonb_build_array(
            jsonb_build_object('product_id', '0d1c0000-0000-4000-8000-000000000003', 'qty', 1, 'unit_price', 500),
            jsonb_build_object('product_id', '0d1c0000-0000-4000-8000-000000000002', 'qty', 2, 'unit_price', 450),
            jsonb_build_object('product_id', '0d1c0000-0000-4000-8000-000000000001', 'qty', 1, 'unit_price', 300)),
        'discount', 100,
        'payments', jsonb_build_array(
            jsonb_build_object('method', 'cash', 'currency', 'AZN', 'amount', 1600, 'tendered', 2000))) AS o) s;
COMMIT;
