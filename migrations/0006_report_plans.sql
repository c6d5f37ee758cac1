-- Report settings: generic plans for the dashboard and the sales report, and
-- no parallel query for this database.
--
-- The dashboard and the sales report keep one plan per statement.
--
-- Both are plpgsql functions whose statements call the inlined rollup readers
-- (report_hourly, report_products, rollup_line_facts): with the default plan
-- cache mode each call planned them again, and planning was most of a
-- dashboard page (bench/RESULTS.md, "Where the time goes": 5.4 ms against
-- 2.4 ms with generic plans). Their parameters are a store and a date range,
-- served by the same index scans whatever the values, so a generic plan loses
-- nothing.
ALTER FUNCTION report_dashboard(uuid) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION report_sales(uuid, date, date, text) SET plan_cache_mode = force_generic_plan;

-- Reports and pages are small queries over rollups and indexes: on a 2-core
-- server parallel workers only added start-up cost (issue 5 measured them
-- slower). Off for every session of this database, whatever the server's
-- postgresql.conf says (the local stack's cluster sets it there too).
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET max_parallel_workers_per_gather = 0', current_database());
END
$$;
