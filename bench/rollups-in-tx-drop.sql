-- Undoes bench/rollups-in-tx.sql (scripts/bench.sh, after run 7b).
\set ON_ERROR_STOP 1
BEGIN;
DROP TRIGGER bench_tx_rollup ON orders;
DROP FUNCTION bench_tx_rollup();
DROP TABLE bench_tx_sales_hourly, bench_tx_product_daily, bench_tx_cashier_daily,
    bench_tx_payment_daily, bench_tx_order_costs;
COMMIT;
