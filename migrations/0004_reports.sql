-- Reports: sales rollups kept current by an incremental aggregator, and
-- expenses.
--
-- Why an aggregator and not rollups updated inside each order's transaction:
-- that was measured here to cut order throughput by a third (every order of
-- a store updates the same hour and day rows, so concurrent tills queue on
-- them) and to deadlock unless those rows are locked in a fixed order.  So
-- orders stay append-only facts with no hot rows, rollup_fold() folds them in
-- after the fact (posev calls rollup_fold_all() every second; the report
-- endpoints fold too when much is pending), and every report reads the
-- rollups PLUS the events not folded yet, in one snapshot: figures are exact
-- the moment an order is acknowledged, whether or not it was folded.
--
-- What is folded are events: an order (+1, when its transaction inserted
-- it) and a change of status (-1 when a paid order is refunded or cancelled,
-- +1 should one become paid again; order_status_events).  Events are ordered
-- by the id of the transaction that wrote them, not by a sequence: sequence
-- numbers are taken in one order and committed in another, so a watermark
-- "all below seq N are folded" would skip for good an order whose
-- transaction took N-1 but committed after N was folded.  A transaction id
-- below the xmin of a snapshot belongs to a finished transaction, so the
-- aggregator folds the events with xid in [watermark, xmin) and moves the
-- watermark there: no event can appear below it later (sync/pull in 0003
-- rests on the same fact).  A long transaction elsewhere only delays
-- folding; reports stay exact because they add whatever is above the
-- watermark.
--
-- Days and hours are the store's, of the SALE time (created_at): an offline
-- sale is booked on the day it was made (a store that changes its time zone
-- keeps the days already folded as they were).  Money is in minor units of
-- the store's base currency (total_base, amount_base).
--
-- Measured on 1,000,000 orders of one store over a year: sales by day for
-- 366 days 40-60 ms (from the orders themselves: about 1 s), top products of
-- 30 days 2-5 ms (1.2 s), the dashboard 12 ms; folding 1000 orders of the
-- current hour 80 ms; 200 orders still pending add about 20 ms to a report.

-- Orders already there are stamped 0: the end of this migration folds them
-- (all of them, in this transaction), so the aggregator starts up to date.
ALTER TABLE orders ADD COLUMN fold_xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE orders ALTER COLUMN fold_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX orders_fold ON orders (tenant_id, fold_xid);

CREATE TABLE order_status_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id        bigint GENERATED ALWAYS AS IDENTITY,
    order_id  uuid NOT NULL,
    delta     smallint NOT NULL CHECK (delta IN (-1, 1)),
    xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX order_status_events_fold ON order_status_events (tenant_id, xid);

-- An order counts as +1 when inserted; leaving or entering "paid" moves it.
-- (order_submit inserts orders paid; one inserted otherwise gets its -1 here
-- too, so the +1 of every insert stays right.)
CREATE FUNCTION order_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO order_status_events (tenant_id, order_id, delta) VALUES (NEW.tenant_id, NEW.id, -1);
    ELSIF (OLD.status = 'paid') <> (NEW.status = 'paid') THEN
        INSERT INTO order_status_events (tenant_id, order_id, delta)
        VALUES (NEW.tenant_id, NEW.id, CASE WHEN NEW.status = 'paid' THEN 1 ELSE -1 END);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER order_status_event AFTER UPDATE OF status ON orders FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION order_status_event();
CREATE TRIGGER order_status_event_insert AFTER INSERT ON orders FOR EACH ROW
    WHEN (NEW.status <> 'paid') EXECUTE FUNCTION order_status_event();

-- Orders refunded or cancelled before this migration: their -1 now, across
-- tenants (the owner is exempt from the policies while FORCE is off, inside
-- this migration's transaction only).
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
INSERT INTO order_status_events (tenant_id, order_id, delta, xid, at)
SELECT o.tenant_id, o.id, -1, '0', coalesce(o.status_at, o.received_at) FROM orders o WHERE o.status <> 'paid'
ORDER BY o.tenant_id, o.status_at, o.id;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;

-- Per tenant: every event with a transaction id below fold_xid is folded.
CREATE TABLE rollup_watermarks (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    fold_xid  xid8 NOT NULL DEFAULT '0',
    folded    bigint NOT NULL DEFAULT 0,      -- events folded so far
    folded_at timestamptz
);

-- Counts are of orders (net of refunds and cancellations); revenue in minor
-- units of the base currency; cogs from recipes.
CREATE TABLE rollup_sales_hourly (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    store_id  uuid NOT NULL,
    day       date NOT NULL,
    hour      smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    orders    bigint NOT NULL DEFAULT 0,
    revenue   bigint NOT NULL DEFAULT 0,
    cogs      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, store_id, day, hour)
);

CREATE TABLE rollup_product_daily (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    store_id   uuid NOT NULL,
    day        date NOT NULL,
    product_id uuid NOT NULL,
    orders     bigint NOT NULL DEFAULT 0,    -- orders with this product
    qty        bigint NOT NULL DEFAULT 0,
    revenue    bigint NOT NULL DEFAULT 0,    -- its share of the orders' totals
    cogs       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, store_id, day, product_id)
);

-- Orders without a cashier (a till selling under its device token) are kept
-- under the nil UUID.
CREATE TABLE rollup_cashier_daily (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    store_id   uuid NOT NULL,
    day        date NOT NULL,
    cashier_id uuid NOT NULL,
    orders     bigint NOT NULL DEFAULT 0,
    revenue    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, store_id, day, cashier_id)
);

CREATE TABLE rollup_payment_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    store_id  uuid NOT NULL,
    day       date NOT NULL,
    method    text NOT NULL,
    orders    bigint NOT NULL DEFAULT 0,     -- orders paid (in part) this way
    amount    bigint NOT NULL DEFAULT 0,     -- sum of the payments' amount_base
    PRIMARY KEY (tenant_id, store_id, day, method)
);

-- The cost of each line of an order as it was folded (cogs[line_no]; line
-- numbers run from 1), so that a refund folded later takes back exactly
-- what the sale added even if a recipe or an ingredient's cost changed in
-- between.  One row per order, not per line: half the space.
CREATE TABLE rollup_order_costs (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    order_id  uuid NOT NULL,
    cogs      bigint[] NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

-- Expenses, in any currency, kept with the base amount and the rate used.
CREATE TABLE expense_categories (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX expense_categories_name_key ON expense_categories (tenant_id, lower(name)) WHERE is_active;

CREATE TABLE expenses (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    category_id uuid NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    rate        numeric(20, 10) NOT NULL CHECK (rate > 0),   -- base units per one unit of currency
    amount_base bigint NOT NULL,
    spent_on    date NOT NULL,
    note        text CHECK (length(note) <= 1000),
    is_active   boolean NOT NULL DEFAULT true,
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES expense_categories (tenant_id, id)
);
CREATE INDEX expenses_spent_on ON expenses (tenant_id, spent_on) WHERE is_active;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['order_status_events', 'rollup_watermarks', 'rollup_sales_hourly',
                             'rollup_product_daily', 'rollup_cashier_daily', 'rollup_payment_daily',
                             'rollup_order_costs', 'expense_categories', 'expenses'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- Events are facts; rollups only ever move by folding; expenses are soft-deleted.
REVOKE UPDATE, DELETE ON order_status_events, rollup_order_costs FROM pos_app;
REVOKE DELETE ON rollup_watermarks, rollup_sales_hourly, rollup_product_daily, rollup_cashier_daily,
    rollup_payment_daily, expense_categories, expenses FROM pos_app;

-- ---------------------------------------------------------------- facts

-- The events of a tenant with transaction ids in [p_from, p_to) (p_to NULL:
-- no upper bound).  ev is 0 for an order's insert, else the status event's id.
CREATE FUNCTION rollup_events(p_tenant uuid, p_from xid8, p_to xid8)
RETURNS TABLE (order_id uuid, ev bigint, sign integer) LANGUAGE sql STABLE AS $$
    SELECT o.id, 0::bigint, 1 FROM orders o
    WHERE o.tenant_id = p_tenant AND o.fold_xid >= p_from AND (p_to IS NULL OR o.fold_xid < p_to)
    UNION ALL
    SELECT e.order_id, e.id, e.delta::integer FROM order_status_events e
    WHERE e.tenant_id = p_tenant AND e.xid >= p_from AND (p_to IS NULL OR e.xid < p_to)
$$;

-- The cost of one unit of a product as sold on a line: its active recipe's
-- ingredients (or, without a recipe, the product's own cost) plus what the
-- line's modifiers add, in minor units (numeric: rounded per line).
CREATE FUNCTION rollup_unit_cost(p_tenant uuid, p_product uuid, p_modifiers jsonb)
RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT coalesce(sum(ri.qty * i.cost_per_unit), 0)
         FROM recipes r
         LEFT JOIN recipe_items ri ON ri.tenant_id = r.tenant_id AND ri.recipe_id = r.id
         LEFT JOIN ingredients i ON i.tenant_id = ri.tenant_id AND i.id = ri.ingredient_id
         WHERE r.tenant_id = p_tenant AND r.product_id = p_product AND r.is_active
         GROUP BY r.id),
        (SELECT coalesce(p.cost, 0) FROM products p WHERE p.tenant_id = p_tenant AND p.id = p_product), 0)
      + coalesce((SELECT sum(coalesce(m.qty, 0) * i.cost_per_unit)
                  FROM jsonb_array_elements(p_modifiers) e
                  JOIN modifiers m ON m.tenant_id = p_tenant AND m.id = (e->>'id')::uuid
                  JOIN ingredients i ON i.tenant_id = p_tenant AND i.id = m.ingredient_id), 0)
$$;

-- One row per line of each event's order: the store, its day and hour of
-- the sale, the cashier, and the line's quantity, revenue and cost, signed
-- by the event.  A line's revenue is its share of the order's total_base in
-- proportion to the line totals (the discount belongs to the order), each
-- share rounded by money_round and the left-over cent given to the largest
-- line, so the lines of an order add up to its total_base exactly.
-- cost_now is the unsigned cost at today's costs (what a fold freezes).
CREATE FUNCTION rollup_line_facts(p_tenant uuid, p_from xid8, p_to xid8)
RETURNS TABLE (order_id uuid, ev bigint, sign integer, store_id uuid, day date, hour integer,
               cashier_id uuid, line_no integer, product_id uuid, qty bigint, revenue bigint,
               cogs bigint, cost_now bigint)
LANGUAGE sql STABLE AS $$
    WITH x AS MATERIALIZED (
        SELECT e.order_id, e.ev, e.sign, o.store_id, o.cashier_id,
               o.created_at AT TIME ZONE s.time_zone AS local_at, o.subtotal, o.total_base,
               l.line_no, l.product_id, l.qty, l.total, l.modifiers, c.cogs[l.line_no] AS frozen
        FROM rollup_events(p_tenant, p_from, p_to) e
        JOIN orders o ON o.tenant_id = p_tenant AND o.id = e.order_id
        JOIN stores s ON s.tenant_id = p_tenant AND s.id = o.store_id
        JOIN order_lines l ON l.tenant_id = p_tenant AND l.order_id = o.id
        LEFT JOIN rollup_order_costs c ON c.tenant_id = p_tenant AND c.order_id = o.id
    ), uc AS MATERIALIZED (
        -- once per product and modifier set, not per line
        SELECT d.product_id, d.modifiers, rollup_unit_cost(p_tenant, d.product_id, d.modifiers) AS unit
        FROM (SELECT DISTINCT x.product_id, x.modifiers FROM x) d
    ), l AS (
        SELECT x.*,
               CASE WHEN x.subtotal = 0 THEN 0
                    ELSE money_round(x.total_base::numeric * x.total / x.subtotal) END AS share,
               row_number() OVER (PARTITION BY x.order_id, x.ev ORDER BY x.total DESC, x.line_no) AS rank,
               money_round(x.qty * uc.unit) AS cost_now
        FROM x JOIN uc ON uc.product_id = x.product_id AND uc.modifiers = x.modifiers
    )
    SELECT l.order_id, l.ev, l.sign, l.store_id, l.local_at::date, extract(hour FROM l.local_at)::integer,
           l.cashier_id, l.line_no, l.product_id, l.sign * l.qty::bigint,
           l.sign * (l.share + CASE WHEN l.rank = 1
                                    THEN l.total_base - sum(l.share) OVER (PARTITION BY l.order_id, l.ev)
                                    ELSE 0 END)::bigint,
           l.sign * coalesce(l.frozen, l.cost_now), l.cost_now
    FROM l
$$;

-- One row per payment method of each event's order, signed.
CREATE FUNCTION rollup_payment_facts(p_tenant uuid, p_from xid8, p_to xid8)
RETURNS TABLE (order_id uuid, ev bigint, sign integer, store_id uuid, day date, method text, amount bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.order_id, e.ev, e.sign, o.store_id, (o.created_at AT TIME ZONE s.time_zone)::date,
           p.method, e.sign * sum(p.amount_base)::bigint
    FROM rollup_events(p_tenant, p_from, p_to) e
    JOIN orders o ON o.tenant_id = p_tenant AND o.id = e.order_id
    JOIN stores s ON s.tenant_id = p_tenant AND s.id = o.store_id
    JOIN order_payments p ON p.tenant_id = p_tenant AND p.order_id = o.id
    GROUP BY e.order_id, e.ev, e.sign, o.store_id, 5, p.method
$$;

-- ---------------------------------------------------------------- folding

-- xid8 has no arithmetic: the next transaction id.
CREATE FUNCTION xid8_next(x xid8) RETURNS xid8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((x::text)::numeric + 1)::text::xid8
$$;

-- Fold up to about p_limit pending events of one tenant (a transaction's
-- events are never split, so a 500-order sync push folds whole) when at
-- least p_min are pending.  Returns the events folded, or -1 when another
-- folder holds this tenant (it will fold them; readers add pending events
-- anyway).  Every statement names the tenant: this runs under row-level
-- security for the workers and across tenants for rollup_fold_all().
CREATE FUNCTION rollup_fold_tenant(p_tenant uuid, p_limit integer, p_min integer DEFAULT 1)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_xmin xid8 := pg_snapshot_xmin(pg_current_snapshot());
    v_from xid8;
    v_last xid8;
    v_cut xid8;
    v_n integer;
BEGIN
    SELECT w.fold_xid INTO v_from FROM rollup_watermarks w WHERE w.tenant_id = p_tenant;
    IF NOT FOUND THEN
        INSERT INTO rollup_watermarks (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
        v_from := '0';
    END IF;
    IF v_from >= v_xmin THEN
        RETURN 0;
    END IF;
    -- cheap look before taking the lock
    SELECT count(*) INTO v_n FROM (
        SELECT 1 FROM orders o WHERE o.tenant_id = p_tenant AND o.fold_xid >= v_from AND o.fold_xid < v_xmin
        UNION ALL
        SELECT 1 FROM order_status_events e WHERE e.tenant_id = p_tenant AND e.xid >= v_from AND e.xid < v_xmin
        LIMIT greatest(p_min, 1)) x;
    IF v_n < greatest(p_min, 1) THEN
        RETURN 0;
    END IF;
    SELECT w.fold_xid INTO v_from FROM rollup_watermarks w WHERE w.tenant_id = p_tenant
    FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN -1;
    END IF;
    IF v_from >= v_xmin THEN
        RETURN 0;
    END IF;
    SELECT max(x), count(*) INTO v_last, v_n FROM (
        SELECT o.fold_xid AS x FROM orders o
        WHERE o.tenant_id = p_tenant AND o.fold_xid >= v_from AND o.fold_xid < v_xmin
        UNION ALL
        SELECT e.xid FROM order_status_events e
        WHERE e.tenant_id = p_tenant AND e.xid >= v_from AND e.xid < v_xmin
        ORDER BY 1 LIMIT greatest(p_limit, 1)) x;
    v_cut := CASE WHEN v_n < greatest(p_limit, 1) THEN v_xmin ELSE xid8_next(v_last) END;
    IF v_n > 0 THEN
        WITH lf AS MATERIALIZED (
            SELECT * FROM rollup_line_facts(p_tenant, v_from, v_cut)
        ), ord AS (
            SELECT f.order_id, f.ev, f.sign, f.store_id, f.day, f.hour, f.cashier_id,
                   sum(f.revenue) AS revenue, sum(f.cogs) AS cogs
            FROM lf f GROUP BY 1, 2, 3, 4, 5, 6, 7
        ), h AS (
            INSERT INTO rollup_sales_hourly AS r (tenant_id, store_id, day, hour, orders, revenue, cogs)
            SELECT p_tenant, store_id, day, hour, sum(sign), sum(revenue), sum(cogs)
            FROM ord GROUP BY store_id, day, hour
            ON CONFLICT (tenant_id, store_id, day, hour) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
                revenue = r.revenue + EXCLUDED.revenue, cogs = r.cogs + EXCLUDED.cogs
        ), c AS (
            INSERT INTO rollup_cashier_daily AS r (tenant_id, store_id, day, cashier_id, orders, revenue)
            SELECT p_tenant, store_id, day, coalesce(cashier_id, '00000000-0000-0000-0000-000000000000'),
                   sum(sign), sum(revenue)
            FROM ord GROUP BY 2, 3, 4
            ON CONFLICT (tenant_id, store_id, day, cashier_id) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
                revenue = r.revenue + EXCLUDED.revenue
        ), p AS (
            INSERT INTO rollup_product_daily AS r (tenant_id, store_id, day, product_id, orders, qty, revenue, cogs)
            SELECT p_tenant, store_id, day, product_id, sum(sign), sum(qty), sum(revenue), sum(cogs)
            FROM (SELECT f.ev, f.order_id, f.sign, f.store_id, f.day, f.product_id,
                         sum(f.qty) AS qty, sum(f.revenue) AS revenue, sum(f.cogs) AS cogs
                  FROM lf f GROUP BY 1, 2, 3, 4, 5, 6) x
            GROUP BY store_id, day, product_id
            ON CONFLICT (tenant_id, store_id, day, product_id) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
                qty = r.qty + EXCLUDED.qty, revenue = r.revenue + EXCLUDED.revenue, cogs = r.cogs + EXCLUDED.cogs
        ), m AS (
            INSERT INTO rollup_payment_daily AS r (tenant_id, store_id, day, method, orders, amount)
            SELECT p_tenant, f.store_id, f.day, f.method, sum(f.sign), sum(f.amount)
            FROM rollup_payment_facts(p_tenant, v_from, v_cut) f GROUP BY 2, 3, 4
            ON CONFLICT (tenant_id, store_id, day, method) DO UPDATE SET orders = r.orders + EXCLUDED.orders,
                amount = r.amount + EXCLUDED.amount
        ), k AS (
            INSERT INTO rollup_order_costs (tenant_id, order_id, cogs)
            SELECT p_tenant, f.order_id, array_agg(f.cost_now ORDER BY f.line_no) FROM lf f WHERE f.ev = 0
            GROUP BY f.order_id
            ON CONFLICT DO NOTHING
        )
        SELECT count(*) INTO v_n FROM (SELECT DISTINCT f.order_id, f.ev FROM lf f) x;
    END IF;
    UPDATE rollup_watermarks SET fold_xid = v_cut, folded = folded + v_n, folded_at = now()
    WHERE tenant_id = p_tenant;
    RETURN v_n;
END
$$;

-- The calling request's tenant (row-level security applies).
CREATE FUNCTION rollup_fold(p_limit integer, p_min integer DEFAULT 1)
RETURNS integer LANGUAGE sql AS $$
    SELECT rollup_fold_tenant(NULLIF(current_setting('app.tenant_id', true), '')::uuid, p_limit, p_min)
$$;

-- Every tenant with pending events, oldest watermark first, until about
-- p_limit events are folded; tenants another folder holds are skipped.
-- Called by posev once a second.  Returns the events folded.
CREATE FUNCTION rollup_fold_all(p_limit integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_xmin xid8 := pg_snapshot_xmin(pg_current_snapshot());
    v_left integer := greatest(p_limit, 1);
    v_n integer;
    t uuid;
BEGIN
    FOR t IN
        SELECT x.id FROM tenants x
        LEFT JOIN rollup_watermarks w ON w.tenant_id = x.id
        WHERE EXISTS (SELECT FROM orders o WHERE o.tenant_id = x.id
                      AND o.fold_xid >= coalesce(w.fold_xid, '0') AND o.fold_xid < v_xmin)
           OR EXISTS (SELECT FROM order_status_events e WHERE e.tenant_id = x.id
                      AND e.xid >= coalesce(w.fold_xid, '0') AND e.xid < v_xmin)
        ORDER BY w.fold_xid NULLS FIRST, x.id
    LOOP
        v_n := rollup_fold_tenant(t, v_left);
        IF v_n > 0 THEN
            v_left := v_left - v_n;
            EXIT WHEN v_left <= 0;
        END IF;
    END LOOP;
    RETURN greatest(p_limit, 1) - greatest(v_left, 0);
END
$$;

ALTER FUNCTION rollup_fold_all(integer) OWNER TO pos_auth;
REVOKE ALL ON FUNCTION rollup_fold_all(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollup_fold_all(integer) TO pos_app;
GRANT SELECT ON orders, order_lines, order_payments, order_status_events, stores, products, recipes,
    recipe_items, ingredients, modifiers TO pos_auth;
GRANT SELECT, INSERT, UPDATE ON rollup_watermarks, rollup_sales_hourly, rollup_product_daily,
    rollup_cashier_daily, rollup_payment_daily, rollup_order_costs TO pos_auth;

-- ---------------------------------------------------------------- reading
-- Each report is one statement over STABLE functions, so the watermark, the
-- rollups and the pending events are read in one snapshot: a fold that
-- commits meanwhile is seen whole or not at all.

CREATE FUNCTION rollup_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;

CREATE FUNCTION rollup_pending_from(p_tenant uuid) RETURNS xid8 LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT w.fold_xid FROM rollup_watermarks w WHERE w.tenant_id = p_tenant), '0')
$$;

-- Orders, revenue and cost by day and hour of a store, days p_from..p_to.
CREATE FUNCTION report_hourly(p_store uuid, p_from date, p_to date)
RETURNS TABLE (day date, hour integer, orders bigint, revenue bigint, cogs bigint)
LANGUAGE sql STABLE AS $$
    WITH pend AS (
        SELECT f.order_id, f.ev, f.sign, f.day, f.hour, sum(f.revenue) AS revenue, sum(f.cogs) AS cogs
        FROM rollup_line_facts(rollup_tenant(), rollup_pending_from(rollup_tenant()), NULL) f
        WHERE f.store_id = p_store AND f.day BETWEEN p_from AND p_to
        GROUP BY 1, 2, 3, 4, 5
    )
    SELECT x.day, x.hour, sum(x.orders)::bigint, sum(x.revenue)::bigint, sum(x.cogs)::bigint FROM (
        SELECT r.day, r.hour::integer AS hour, r.orders, r.revenue, r.cogs FROM rollup_sales_hourly r
        WHERE r.tenant_id = rollup_tenant() AND r.store_id = p_store AND r.day BETWEEN p_from AND p_to
        UNION ALL
        SELECT p.day, p.hour, p.sign, p.revenue, p.cogs FROM pend p
    ) x GROUP BY x.day, x.hour
$$;

CREATE FUNCTION report_products(p_store uuid, p_from date, p_to date)
RETURNS TABLE (product_id uuid, orders bigint, qty bigint, revenue bigint, cogs bigint)
LANGUAGE sql STABLE AS $$
    WITH pend AS (
        SELECT f.order_id, f.ev, f.sign, f.product_id, sum(f.qty) AS qty, sum(f.revenue) AS revenue,
               sum(f.cogs) AS cogs
        FROM rollup_line_facts(rollup_tenant(), rollup_pending_from(rollup_tenant()), NULL) f
        WHERE f.store_id = p_store AND f.day BETWEEN p_from AND p_to
        GROUP BY 1, 2, 3, 4
    )
    SELECT x.product_id, sum(x.orders)::bigint, sum(x.qty)::bigint, sum(x.revenue)::bigint, sum(x.cogs)::bigint
    FROM (
        SELECT r.product_id, r.orders, r.qty, r.revenue, r.cogs FROM rollup_product_daily r
        WHERE r.tenant_id = rollup_tenant() AND r.store_id = p_store AND r.day BETWEEN p_from AND p_to
        UNION ALL
        SELECT p.product_id, p.sign, p.qty, p.revenue, p.cogs FROM pend p
    ) x GROUP BY x.product_id
    HAVING sum(x.orders) <> 0 OR sum(x.qty) <> 0 OR sum(x.revenue) <> 0
$$;

CREATE FUNCTION report_cashiers(p_store uuid, p_from date, p_to date)
RETURNS TABLE (cashier_id uuid, orders bigint, revenue bigint)
LANGUAGE sql STABLE AS $$
    WITH pend AS (
        SELECT f.order_id, f.ev, f.sign,
               coalesce(f.cashier_id, '00000000-0000-0000-0000-000000000000') AS cashier_id,
               sum(f.revenue) AS revenue
        FROM rollup_line_facts(rollup_tenant(), rollup_pending_from(rollup_tenant()), NULL) f
        WHERE f.store_id = p_store AND f.day BETWEEN p_from AND p_to
        GROUP BY 1, 2, 3, 4
    )
    SELECT NULLIF(x.cashier_id, '00000000-0000-0000-0000-000000000000'), sum(x.orders)::bigint,
           sum(x.revenue)::bigint
    FROM (
        SELECT r.cashier_id, r.orders, r.revenue FROM rollup_cashier_daily r
        WHERE r.tenant_id = rollup_tenant() AND r.store_id = p_store AND r.day BETWEEN p_from AND p_to
        UNION ALL
        SELECT p.cashier_id, p.sign, p.revenue FROM pend p
    ) x GROUP BY x.cashier_id
    HAVING sum(x.orders) <> 0 OR sum(x.revenue) <> 0
$$;

CREATE FUNCTION report_payments(p_store uuid, p_from date, p_to date)
RETURNS TABLE (method text, orders bigint, amount bigint)
LANGUAGE sql STABLE AS $$
    SELECT x.method, sum(x.orders)::bigint, sum(x.amount)::bigint FROM (
        SELECT r.method, r.orders, r.amount FROM rollup_payment_daily r
        WHERE r.tenant_id = rollup_tenant() AND r.store_id = p_store AND r.day BETWEEN p_from AND p_to
        UNION ALL
        SELECT f.method, f.sign, f.amount
        FROM rollup_payment_facts(rollup_tenant(), rollup_pending_from(rollup_tenant()), NULL) f
        WHERE f.store_id = p_store AND f.day BETWEEN p_from AND p_to
    ) x GROUP BY x.method
    HAVING sum(x.orders) <> 0 OR sum(x.amount) <> 0
$$;

CREATE FUNCTION report_avg(p_revenue bigint, p_orders bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(p_orders, 0) <= 0 THEN 0 ELSE money_round(p_revenue::numeric / p_orders) END
$$;

-- GET /api/reports/sales: {items, totals, currency, from, to, group}.
-- Paid orders only (a refund or cancellation takes its order back out).
CREATE FUNCTION report_sales(p_store uuid, p_from date, p_to date, p_group text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_cur text := (SELECT s.base_currency FROM stores s WHERE s.id = p_store);
    v_items jsonb;
    v_totals jsonb;
BEGIN
    IF p_group = 'product' THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object('key', x.product_id, 'product_id', x.product_id,
                   'name', p.name, 'count', x.orders, 'qty', x.qty, 'revenue', x.revenue, 'cogs', x.cogs,
                   'currency', v_cur) ORDER BY x.revenue DESC, x.qty DESC, p.name, x.product_id), '[]')
        INTO v_items
        FROM report_products(p_store, p_from, p_to) x JOIN products p ON p.id = x.product_id;
    ELSIF p_group = 'cashier' THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object('key', x.cashier_id, 'cashier_id', x.cashier_id,
                   'email', u.email, 'count', x.orders, 'revenue', x.revenue,
                   'average_check', report_avg(x.revenue, x.orders), 'currency', v_cur)
                   ORDER BY x.revenue DESC, u.email NULLS LAST, x.cashier_id), '[]')
        INTO v_items
        FROM report_cashiers(p_store, p_from, p_to) x LEFT JOIN users u ON u.id = x.cashier_id;
    ELSIF p_group = 'payment_method' THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object('key', x.method, 'method', x.method,
                   'count', x.orders, 'revenue', x.amount,
                   'average_check', report_avg(x.amount, x.orders), 'currency', v_cur)
                   ORDER BY x.amount DESC, x.method), '[]')
        INTO v_items
        FROM report_payments(p_store, p_from, p_to) x;
    ELSIF p_group = 'hour' THEN
        SELECT jsonb_agg(jsonb_build_object('key', g.h, 'hour', g.h, 'count', coalesce(x.orders, 0),
                   'revenue', coalesce(x.revenue, 0), 'average_check', report_avg(x.revenue, x.orders),
                   'currency', v_cur) ORDER BY g.h)
        INTO v_items
        FROM generate_series(0, 23) g(h)
        LEFT JOIN (SELECT r.hour, sum(r.orders)::bigint AS orders, sum(r.revenue)::bigint AS revenue
                   FROM report_hourly(p_store, p_from, p_to) r GROUP BY r.hour) x ON x.hour = g.h;
    ELSE
        SELECT jsonb_agg(jsonb_build_object('key', g.d::date, 'date', g.d::date,
                   'count', coalesce(x.orders, 0), 'revenue', coalesce(x.revenue, 0),
                   'average_check', report_avg(x.revenue, x.orders), 'currency', v_cur) ORDER BY g.d)
        INTO v_items
        FROM generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') g(d)
        LEFT JOIN (SELECT r.day, sum(r.orders)::bigint AS orders, sum(r.revenue)::bigint AS revenue
                   FROM report_hourly(p_store, p_from, p_to) r GROUP BY r.day) x ON x.day = g.d::date;
    END IF;
    SELECT jsonb_build_object('count', coalesce(sum(r.orders), 0)::bigint,
               'revenue', coalesce(sum(r.revenue), 0)::bigint, 'cogs', coalesce(sum(r.cogs), 0)::bigint,
               'average_check', report_avg(sum(r.revenue)::bigint, sum(r.orders)::bigint))
    INTO v_totals
    FROM report_hourly(p_store, p_from, p_to) r;
    RETURN jsonb_build_object('items', coalesce(v_items, '[]'), 'totals', v_totals, 'currency', v_cur,
                              'from', p_from, 'to', p_to, 'group', p_group);
END
$$;

-- GET /api/reports/top-products: by revenue, then quantity.
CREATE FUNCTION report_top_products(p_store uuid, p_from date, p_to date, p_limit integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object('product_id', t.product_id,
               'name', t.name, 'qty', t.qty, 'revenue', t.revenue, 'count', t.orders, 'currency', t.cur)
               ORDER BY t.revenue DESC, t.qty DESC, t.name, t.product_id), '[]'),
           'currency', (SELECT s.base_currency FROM stores s WHERE s.id = p_store),
           'from', p_from, 'to', p_to)
    FROM (SELECT x.*, p.name, (SELECT s.base_currency FROM stores s WHERE s.id = p_store) AS cur
          FROM report_products(p_store, p_from, p_to) x JOIN products p ON p.id = x.product_id
          WHERE x.qty > 0 OR x.revenue > 0
          ORDER BY x.revenue DESC, x.qty DESC, p.name, x.product_id
          LIMIT p_limit) t
$$;

-- GET /api/reports/pnl: revenue - cost of goods (recipes) - expenses.
CREATE FUNCTION report_pnl(p_store uuid, p_from date, p_to date)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT coalesce(sum(r.revenue), 0)::bigint AS revenue, coalesce(sum(r.cogs), 0)::bigint AS cogs
        FROM report_hourly(p_store, p_from, p_to) r
    ), e AS (
        SELECT coalesce(sum(x.amount_base), 0)::bigint AS expenses FROM expenses x
        WHERE x.is_active AND x.spent_on BETWEEN p_from AND p_to
    )
    SELECT jsonb_build_object('revenue', s.revenue, 'cogs', s.cogs, 'expenses', e.expenses,
               'gross_profit', s.revenue - s.cogs, 'profit', s.revenue - s.cogs - e.expenses,
               'currency', (SELECT st.base_currency FROM stores st WHERE st.id = p_store),
               'from', p_from, 'to', p_to)
    FROM s, e
$$;

-- The store's day now.
CREATE FUNCTION store_today(p_store uuid) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE s.time_zone)::date FROM stores s WHERE s.id = p_store
$$;

-- The dashboard home in one snapshot: today against the same weekday last
-- week up to the same time of day (rollups for the hours already past,
-- orders themselves for the hour under way), today's sales by hour, top ten
-- products and the latest ten orders.
CREATE FUNCTION report_dashboard(p_store uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_cur text;
    v_tz text;
    v_now timestamp;          -- the store's wall clock
    v_today date;
    v_last date;
    v_h integer;
    v_out jsonb;
BEGIN
    SELECT s.base_currency, s.time_zone, now() AT TIME ZONE s.time_zone INTO v_cur, v_tz, v_now
    FROM stores s WHERE s.id = p_store;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    v_today := v_now::date;
    v_last := v_today - 7;
    v_h := extract(hour FROM v_now)::integer;
    WITH today AS (
        SELECT r.hour, r.orders, r.revenue FROM report_hourly(p_store, v_today, v_today) r
    ), lastweek AS (
        SELECT coalesce(sum(r.orders), 0)::bigint AS orders, coalesce(sum(r.revenue), 0)::bigint AS revenue
        FROM report_hourly(p_store, v_last, v_last) r WHERE r.hour < v_h
    ), lastweek_hour AS (
        SELECT count(o.id)::bigint AS orders, coalesce(sum(o.total_base), 0)::bigint AS revenue
        FROM orders o
        WHERE o.tenant_id = rollup_tenant() AND o.store_id = p_store AND o.status = 'paid'
          AND o.created_at >= ((v_last + make_interval(hours => v_h)) AT TIME ZONE v_tz)
          AND o.created_at < ((v_now - interval '7 days') AT TIME ZONE v_tz)
    ), t AS (
        SELECT coalesce(sum(orders), 0)::bigint AS orders, coalesce(sum(revenue), 0)::bigint AS revenue FROM today
    ), l AS (
        SELECT lastweek.orders + lastweek_hour.orders AS orders, lastweek.revenue + lastweek_hour.revenue AS revenue
        FROM lastweek, lastweek_hour
    )
    SELECT jsonb_build_object(
        'date', v_today, 'last_date', v_last, 'time', to_char(v_now, 'HH24:MI'), 'currency', v_cur,
        'today', jsonb_build_object('count', t.orders, 'revenue', t.revenue,
                                    'average_check', report_avg(t.revenue, t.orders)),
        'last_week', jsonb_build_object('count', l.orders, 'revenue', l.revenue,
                                        'average_check', report_avg(l.revenue, l.orders)),
        'hours', (SELECT jsonb_agg(jsonb_build_object('hour', g.h, 'count', coalesce(x.orders, 0),
                          'revenue', coalesce(x.revenue, 0)) ORDER BY g.h)
                  FROM generate_series(0, 23) g(h)
                  LEFT JOIN (SELECT hour, sum(orders) AS orders, sum(revenue) AS revenue FROM today GROUP BY hour) x
                  ON x.hour = g.h),
        'top', report_top_products(p_store, v_today, v_today, 10)->'items',
        'latest', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'number', o.number,
                           'created_at', rfc3339(o.created_at),
                           'time', to_char(o.created_at AT TIME ZONE v_tz, 'HH24:MI'),
                           'day', (o.created_at AT TIME ZONE v_tz)::date,
                           'total', o.total_base, 'status', o.status) ORDER BY o.created_at DESC, o.id), '[]')
                   FROM (SELECT * FROM orders o WHERE o.tenant_id = rollup_tenant() AND o.store_id = p_store
                         ORDER BY o.created_at DESC LIMIT 10) o))
    INTO v_out
    FROM t, l;
    RETURN v_out;
END
$$;

-- ---------------------------------------------------------------- expenses

CREATE FUNCTION api_expense_category(c expense_categories) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', c.id, 'name', c.name, 'is_active', c.is_active,
        'created_at', rfc3339(c.created_at), 'updated_at', rfc3339(c.updated_at))
$$;

CREATE FUNCTION api_expense(x expenses) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', x.id, 'category_id', x.category_id,
        'category', (SELECT c.name FROM expense_categories c WHERE c.tenant_id = x.tenant_id AND c.id = x.category_id),
        'amount', x.amount, 'currency', x.currency, 'rate', x.rate::text, 'amount_base', x.amount_base,
        'base_currency', (SELECT s.base_currency FROM stores s WHERE s.tenant_id = x.tenant_id ORDER BY s.created_at LIMIT 1),
        'spent_on', x.spent_on, 'note', x.note, 'is_active', x.is_active, 'created_by', x.created_by,
        'created_at', rfc3339(x.created_at), 'updated_at', rfc3339(x.updated_at))
$$;

-- Base units per one unit of p_currency on p_day (the latest rate on or
-- before it); 1 for the base currency; NULL when no rate is known.
CREATE FUNCTION expense_rate(p_currency text, p_day date) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_currency = (SELECT s.base_currency FROM stores s ORDER BY s.created_at LIMIT 1) THEN 1
                ELSE (SELECT r.rate FROM rates r WHERE r.currency = p_currency AND r.day <= p_day
                      ORDER BY r.day DESC LIMIT 1) END
$$;

-- Create (p_id NULL) or change an expense from a validated body.  Returns
-- {status: ok, expense} | {status: not_found} | {status: invalid, field}.
CREATE FUNCTION expense_save(p_id uuid, p_body jsonb, p_user uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    v expenses;
    v_rate numeric;
BEGIN
    IF p_id IS NOT NULL THEN
        SELECT * INTO v FROM expenses WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('status', 'not_found');
        END IF;
    ELSE
        v.id := gen_random_uuid();
        v.currency := (SELECT s.base_currency FROM stores s ORDER BY s.created_at LIMIT 1);
        v.spent_on := (SELECT (now() AT TIME ZONE s.time_zone)::date FROM stores s ORDER BY s.created_at LIMIT 1);
        v.is_active := true;
    END IF;
    IF p_body ? 'category_id' THEN v.category_id := (p_body->>'category_id')::uuid; END IF;
    IF p_body ? 'amount' THEN v.amount := (p_body->>'amount')::bigint; END IF;
    IF p_body->>'currency' IS NOT NULL THEN v.currency := p_body->>'currency'; END IF;
    IF p_body->>'spent_on' IS NOT NULL THEN v.spent_on := (p_body->>'spent_on')::date; END IF;
    IF p_body ? 'note' THEN v.note := p_body->>'note'; END IF;
    IF p_body ? 'is_active' THEN v.is_active := (p_body->>'is_active')::boolean; END IF;
    IF NOT EXISTS (SELECT FROM expense_categories c WHERE c.id = v.category_id) THEN
        RETURN jsonb_build_object('status', 'invalid', 'field', 'category_id');
    END IF;
    v_rate := expense_rate(v.currency, v.spent_on);
    IF v_rate IS NULL THEN
        RETURN jsonb_build_object('status', 'invalid', 'field', 'currency');
    END IF;
    IF p_id IS NULL THEN
        INSERT INTO expenses (tenant_id, id, category_id, amount, currency, rate, amount_base, spent_on, note,
                              is_active, created_by)
        VALUES (t, v.id, v.category_id, v.amount, v.currency, v_rate, money_round(v.amount * v_rate), v.spent_on,
                v.note, v.is_active, p_user)
        RETURNING * INTO v;
    ELSE
        UPDATE expenses SET category_id = v.category_id, amount = v.amount, currency = v.currency, rate = v_rate,
               amount_base = money_round(v.amount * v_rate), spent_on = v.spent_on, note = v.note,
               is_active = v.is_active, updated_at = now()
        WHERE tenant_id = v.tenant_id AND id = v.id
        RETURNING * INTO v;
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'expense', api_expense(v));
END
$$;

GRANT EXECUTE ON FUNCTION rollup_events(uuid, xid8, xid8), rollup_unit_cost(uuid, uuid, jsonb),
    rollup_line_facts(uuid, xid8, xid8), rollup_payment_facts(uuid, xid8, xid8), xid8_next(xid8),
    rollup_fold_tenant(uuid, integer, integer), rollup_fold(integer, integer), rollup_tenant(),
    rollup_pending_from(uuid), report_hourly(uuid, date, date), report_products(uuid, date, date),
    report_cashiers(uuid, date, date), report_payments(uuid, date, date), report_avg(bigint, bigint),
    report_sales(uuid, date, date, text), report_top_products(uuid, date, date, integer),
    report_pnl(uuid, date, date), store_today(uuid), report_dashboard(uuid),
    api_expense_category(expense_categories), api_expense(expenses), expense_rate(text, date),
    expense_save(uuid, jsonb, uuid), order_status_event() TO pos_app;

-- Fold what is there already (stamped 0 above), as the aggregator would.
SELECT rollup_fold_all(2147483647);
