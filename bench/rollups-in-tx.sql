-- Benchmark only (scripts/bench.sh, run 7b), on the benchmark's throwaway
-- database, as the superuser: the other way to keep the report rollups, the
-- one the aggregator replaced. Every order updates the rollups inside its own
-- transaction, at COMMIT (a deferred trigger, so its lines and payments are
-- there), with the aggregator's own statements (rollup_line_facts,
-- rollup_payment_facts, the same upserts) restricted to that order, rows
-- taken in key order so that two orders never deadlock. It writes shadow
-- tables shaped like the rollups (same keys and indexes), so the rollups the
-- aggregator keeps, and the checks of later runs, stay exact.
-- Undone by bench/rollups-in-tx-drop.sql.
\set ON_ERROR_STOP 1
BEGIN;
CREATE TABLE bench_tx_sales_hourly (LIKE rollup_sales_hourly INCLUDING ALL);
CREATE TABLE bench_tx_product_daily (LIKE rollup_product_daily INCLUDING ALL);
CREATE TABLE bench_tx_cashier_daily (LIKE rollup_cashier_daily INCLUDING ALL);
CREATE TABLE bench_tx_payment_daily (LIKE rollup_payment_daily INCLUDING ALL);
CREATE TABLE bench_tx_order_costs (LIKE rollup_order_costs INCLUDING ALL);

CREATE FUNCTION bench_tx_rollup() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    x xid8 := pg_current_xact_id();
    t uuid := NEW.tenant_id;
    v_n integer;
BEGIN
    WITH lf AS MATERIALIZED (
        SELECT * FROM rollup_line_facts(t, x, xid8_next(x)) f WHERE f.order_id = NEW.id
    ), ord AS (
        SELECT f.order_id, f.ev, f.sign, f.store_id, f.day, f.hour, f.cashier_id,
               sum(f.revenue) AS revenue, sum(f.cogs) AS cogs
        FROM lf f GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), h AS (
        INSERT INTO bench_tx_sales_hourly AS r (tenant_id, store_id, day, hour, orders, revenue, cogs)
        SELECT t, store_id, day, hour, sum(sign), sum(revenue), sum(cogs)
        FROM ord GROUP BY store_id, day, hour ORDER BY store_id, day, hour
        ON CONFLICT (tenant_id, store_id, day, hour) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
            revenue = r.revenue + EXCLUDED.revenue, cogs = r.cogs + EXCLUDED.cogs
    ), c AS (
        INSERT INTO bench_tx_cashier_daily AS r (tenant_id, store_id, day, cashier_id, orders, revenue)
        SELECT t, store_id, day, coalesce(cashier_id, '00000000-0000-0000-0000-000000000000'),
               sum(sign), sum(revenue)
        FROM ord GROUP BY 2, 3, 4 ORDER BY 2, 3, 4
        ON CONFLICT (tenant_id, store_id, day, cashier_id) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
            revenue = r.revenue + EXCLUDED.revenue
    ), p AS (
        INSERT INTO bench_tx_product_daily AS r (tenant_id, store_id, day, product_id, orders, qty, revenue, cogs)
        SELECT t, store_id, day, product_id, sum(sign), sum(qty), sum(revenue), sum(cogs)
        FROM (SELECT f.ev, f.order_id, f.sign, f.store_id, f.day, f.product_id,
                     sum(f.qty) AS qty, sum(f.revenue) AS revenue, sum(f.cogs) AS cogs
              FROM lf f GROUP BY 1, 2, 3, 4, 5, 6) y
        GROUP BY store_id, day, product_id ORDER BY store_id, day, product_id
        ON CONFLICT (tenant_id, store_id, day, product_id) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
            qty = r.qty + EXCLUDED.qty, revenue = r.revenue + EXCLUDED.revenue, cogs = r.cogs + EXCLUDED.cogs
    ), m AS (
        INSERT INTO bench_tx_payment_daily AS r (tenant_id, store_id, day, method, orders, amount)
        SELECT t, f.store_id, f.day, f.method, sum(f.sign), sum(f.amount)
        FROM rollup_payment_facts(t, x, xid8_next(x)) f WHERE f.order_id = NEW.id
        GROUP BY 2, 3, 4 ORDER BY 2, 3, 4
        ON CONFLICT (tenant_id, store_id, day, method) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
            amount = r.amount + EXCLUDED.amount
    ), k AS (
        INSERT INTO bench_tx_order_costs (tenant_id, order_id, cogs)
        SELECT t, f.order_id, array_agg(f.cost_now ORDER BY f.line_no) FROM lf f WHERE f.ev = 0
        GROUP BY f.order_id
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) INTO v_n FROM lf;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER bench_tx_rollup AFTER INSERT ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_tx_rollup();
COMMIT;
