-- Catalogue, stock ledger, orders and sync.
--
-- Catalogue rows carry change_xid, the id of the transaction that last wrote
-- them.  GET /api/sync/pull hands out its own snapshot as the cursor (xmax
-- and the transactions still running); the next pull returns the rows whose
-- change_xid is at or above that xmax or among those running ones — exactly
-- what the last pull could not see — as one indexed range scan per table.
-- A plain sequence cursor would skip rows of transactions that commit late.

CREATE FUNCTION touch_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id();
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TABLE categories (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    sort       integer NOT NULL DEFAULT 0,
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE ingredients (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit          text NOT NULL CHECK (unit IN ('g', 'ml', 'pcs')),
    cost_per_unit numeric(20, 6) NOT NULL DEFAULT 0 CHECK (cost_per_unit >= 0),  -- minor units per unit
    min_qty       bigint NOT NULL DEFAULT 0 CHECK (min_qty >= 0),
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    change_xid    xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE products (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    category_id uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    price       bigint NOT NULL CHECK (price >= 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    cost        bigint CHECK (cost >= 0),
    sku         text CHECK (length(sku) <= 200),
    barcode     text CHECK (length(barcode) <= 200),
    image_url   text CHECK (length(image_url) <= 1000),
    sort        integer NOT NULL DEFAULT 0,
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    change_xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id)
);
CREATE UNIQUE INDEX products_sku_key ON products (tenant_id, sku) WHERE sku IS NOT NULL AND is_active;

CREATE TABLE modifier_groups (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (kind IN ('single', 'multiple')),
    required   boolean NOT NULL DEFAULT false,
    min_select integer NOT NULL DEFAULT 0 CHECK (min_select >= 0),
    max_select integer NOT NULL DEFAULT 1 CHECK (max_select >= 1 AND max_select >= min_select),
    CHECK (kind = 'multiple' OR max_select = 1),   -- a single choice is one
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, id)
);

-- A group's modifiers are part of it: writing one rewrites the group row too,
-- so a pull of the group carries them.
CREATE TABLE modifiers (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    group_id      uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    price_delta   bigint NOT NULL DEFAULT 0,
    ingredient_id uuid,
    qty           bigint CHECK (qty >= 0),
    sort          integer NOT NULL DEFAULT 0,
    is_active     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES modifier_groups (tenant_id, id),
    FOREIGN KEY (tenant_id, ingredient_id) REFERENCES ingredients (tenant_id, id)
);
CREATE INDEX modifiers_group ON modifiers (tenant_id, group_id, sort);

CREATE TABLE product_modifier_groups (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    product_id uuid NOT NULL,
    group_id   uuid NOT NULL,
    sort       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, product_id, group_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES modifier_groups (tenant_id, id)
);

-- Tech cards: one recipe per product, its items in the ingredient's unit.
CREATE TABLE recipes (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    product_id uuid NOT NULL,
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, product_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);

CREATE TABLE recipe_items (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    recipe_id     uuid NOT NULL,
    ingredient_id uuid NOT NULL,
    qty           bigint NOT NULL CHECK (qty > 0),
    PRIMARY KEY (tenant_id, recipe_id, ingredient_id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, ingredient_id) REFERENCES ingredients (tenant_id, id)
);

-- Exchange rates: base-currency units per one unit of currency, per day.
CREATE TABLE rates (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    day        date NOT NULL,
    rate       numeric(20, 10) NOT NULL CHECK (rate > 0),
    source     text NOT NULL DEFAULT 'manual' CHECK (length(source) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, currency, day)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['categories', 'ingredients', 'products', 'modifier_groups', 'recipes', 'rates'] LOOP
        EXECUTE format('CREATE TRIGGER touch_change BEFORE INSERT OR UPDATE ON %I
                        FOR EACH ROW EXECUTE FUNCTION touch_change()', t);
        EXECUTE format('CREATE INDEX %I ON %I (tenant_id, change_xid)', t || '_change', t);
    END LOOP;
END
$$;

-- Stock: a ledger of movements; levels are the running sums, kept in the
-- same transaction as each movement.  An item is an ingredient or, for a
-- product without a recipe, the product itself.
CREATE TABLE stock_movements (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         bigint GENERATED ALWAYS AS IDENTITY,
    item_id    uuid NOT NULL,
    item_kind  text NOT NULL CHECK (item_kind IN ('ingredient', 'product')),
    kind       text NOT NULL CHECK (kind IN ('sale', 'purchase', 'write_off', 'count', 'refund', 'cancel')),
    qty        bigint NOT NULL,           -- signed change
    order_id   uuid,
    note       text CHECK (length(note) <= 1000),
    user_id    uuid,
    device_id  uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX stock_movements_order ON stock_movements (tenant_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX stock_movements_item ON stock_movements (tenant_id, item_id, id);

CREATE TABLE stock_levels (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    item_id   uuid NOT NULL,
    item_kind text NOT NULL CHECK (item_kind IN ('ingredient', 'product')),
    qty       bigint NOT NULL DEFAULT 0,  -- may go negative: an offline sale cannot be refused later
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, item_id)
);

-- Orders: append-only facts keyed by the till's UUID.  The key is unique in
-- the database, not only in code, and per tenant: another tenant reusing an
-- id makes its own row and never touches this one.
CREATE TABLE orders (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    store_id           uuid NOT NULL,
    device_id          uuid,
    cashier_id         uuid,
    number             integer NOT NULL,           -- per store per business day, on receipt
    business_date      date NOT NULL,              -- the store's day when received (numbering)
    created_at         timestamptz NOT NULL,       -- the sale time the till sent
    received_at        timestamptz NOT NULL DEFAULT now(),
    status             text NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'cancelled', 'refunded')),
    status_reason      text CHECK (length(status_reason) <= 1000),
    status_at          timestamptz,
    status_by          uuid,
    kitchen_status     text NOT NULL DEFAULT 'new' CHECK (kitchen_status IN ('new', 'cooking', 'ready', 'served')),
    kitchen_updated_at timestamptz NOT NULL DEFAULT now(),
    currency           text NOT NULL,
    base_currency      text NOT NULL,
    rate               numeric(20, 10) NOT NULL,   -- base units per one order-currency unit
    subtotal           bigint NOT NULL,
    discount           bigint NOT NULL DEFAULT 0,
    total              bigint NOT NULL,
    total_base         bigint NOT NULL,
    note               text CHECK (length(note) <= 1000),
    body_hash          text NOT NULL,              -- of the request as sent: a repeat must match
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
    FOREIGN KEY (tenant_id, cashier_id) REFERENCES users (tenant_id, id),
    CHECK (total = subtotal - discount)
);
CREATE INDEX orders_created ON orders (tenant_id, store_id, created_at);
CREATE INDEX orders_open_kitchen ON orders (tenant_id, store_id, created_at) WHERE kitchen_status <> 'served';

CREATE TABLE order_lines (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    order_id   uuid NOT NULL,
    line_no    integer NOT NULL,
    product_id uuid NOT NULL,
    name       text NOT NULL,               -- the product's name when sold
    qty        integer NOT NULL CHECK (qty >= 1),
    unit_price bigint NOT NULL,             -- charged per unit, modifiers included
    modifiers  jsonb NOT NULL DEFAULT '[]', -- [{id, name, price_delta}]
    note       text CHECK (length(note) <= 1000),
    total      bigint NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);

CREATE TABLE order_payments (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    order_id    uuid NOT NULL,
    n           integer NOT NULL,
    method      text NOT NULL CHECK (method IN ('cash', 'card', 'qr')),
    currency    text NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0),
    amount_base bigint NOT NULL,
    tendered    bigint,
    change      bigint,
    card_last4  text,                       -- AES-256-GCM sealed; at most the last four digits
    PRIMARY KEY (tenant_id, order_id, n),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);

CREATE TABLE order_numbers (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    store_id      uuid NOT NULL,
    business_date date NOT NULL,
    last          integer NOT NULL,
    PRIMARY KEY (tenant_id, store_id, business_date)
);

-- Last-writer-wins merges keep the losing version here, with the winner.
CREATE TABLE sync_conflicts (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id        bigint GENERATED ALWAYS AS IDENTITY,
    entity    text NOT NULL,
    entity_id uuid NOT NULL,
    kept      jsonb NOT NULL,
    lost      jsonb NOT NULL,
    device_id uuid,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['categories', 'ingredients', 'products', 'modifier_groups', 'modifiers',
                             'product_modifier_groups', 'recipes', 'recipe_items', 'rates',
                             'stock_movements', 'stock_levels', 'orders', 'order_lines',
                             'order_payments', 'order_numbers', 'sync_conflicts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- Facts are not deleted: soft delete for the catalogue, status for orders.
REVOKE DELETE ON categories, ingredients, products, modifier_groups, modifiers, recipes, rates,
    stock_movements, stock_levels, orders, order_lines, order_payments, order_numbers, sync_conflicts
    FROM pos_app;
REVOKE UPDATE ON stock_movements, order_lines, order_payments, sync_conflicts FROM pos_app;
-- links and recipe items are replaced wholesale when their owner is saved
GRANT DELETE ON product_modifier_groups, recipe_items TO pos_app;

-- JSON shapes of the API, defined once and used by every handler and by
-- the sync pull (SECURITY INVOKER: row-level security applies inside).
CREATE FUNCTION api_category(c categories) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', c.id, 'name', c.name, 'sort', c.sort, 'is_active', c.is_active,
        'created_at', rfc3339(c.created_at), 'updated_at', rfc3339(c.updated_at))
$$;

CREATE FUNCTION api_ingredient(i ingredients) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', i.id, 'name', i.name, 'unit', i.unit,
        'cost_per_unit', i.cost_per_unit, 'min_qty', i.min_qty, 'is_active', i.is_active,
        'qty', coalesce((SELECT l.qty FROM stock_levels l WHERE l.tenant_id = i.tenant_id AND l.item_id = i.id), 0),
        'created_at', rfc3339(i.created_at), 'updated_at', rfc3339(i.updated_at))
$$;

CREATE FUNCTION api_modifier_group(g modifier_groups) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', g.id, 'name', g.name, 'kind', g.kind, 'required', g.required,
        'min', g.min_select, 'max', g.max_select, 'is_active', g.is_active,
        'modifiers', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id, 'name', m.name,
                'price_delta', m.price_delta, 'ingredient_id', m.ingredient_id, 'qty', m.qty,
                'sort', m.sort, 'is_active', m.is_active) ORDER BY m.sort, m.name, m.id)
            FROM modifiers m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id), '[]'),
        'created_at', rfc3339(g.created_at), 'updated_at', rfc3339(g.updated_at))
$$;

-- A product's JSON from its row and its modifier group ids.  A single
-- expression, so PostgreSQL inlines it: the pull of a large catalogue joins
-- the ids in and pays no function call per row.
CREATE FUNCTION api_product_row(p products, group_ids jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', p.id, 'name', p.name, 'category_id', p.category_id,
        'price', p.price, 'currency', p.currency, 'cost', p.cost, 'sku', p.sku, 'barcode', p.barcode,
        'image_url', p.image_url, 'sort', p.sort, 'is_active', p.is_active,
        'modifier_group_ids', coalesce(group_ids, '[]'),
        'created_at', rfc3339(p.created_at), 'updated_at', rfc3339(p.updated_at))
$$;

CREATE FUNCTION api_product(p products) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT api_product_row(p, (SELECT jsonb_agg(pm.group_id ORDER BY pm.sort, pm.group_id)
        FROM product_modifier_groups pm WHERE pm.tenant_id = p.tenant_id AND pm.product_id = p.id))
$$;

-- A recipe with its computed cost (minor units, half away from zero).
CREATE FUNCTION api_recipe(r recipes) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', r.id, 'product_id', r.product_id, 'is_active', r.is_active,
        'items', coalesce(jsonb_agg(jsonb_build_object('ingredient_id', ri.ingredient_id, 'qty', ri.qty,
            'name', i.name, 'unit', i.unit) ORDER BY i.name, ri.ingredient_id) FILTER (WHERE ri.ingredient_id IS NOT NULL), '[]'),
        'cost', coalesce(round(sum(ri.qty * i.cost_per_unit)), 0)::bigint,
        'created_at', rfc3339(r.created_at), 'updated_at', rfc3339(r.updated_at))
    FROM recipes r2
    LEFT JOIN recipe_items ri ON ri.tenant_id = r2.tenant_id AND ri.recipe_id = r2.id
    LEFT JOIN ingredients i ON i.tenant_id = ri.tenant_id AND i.id = ri.ingredient_id
    WHERE r2.tenant_id = r.tenant_id AND r2.id = r.id
$$;

CREATE FUNCTION api_rate(x rates) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('currency', x.currency, 'date', x.day, 'rate', x.rate::text,
        'source', x.source, 'updated_at', rfc3339(x.updated_at))
$$;

-- card_last4 comes out sealed; the workers open it before replying.
CREATE FUNCTION api_order(o orders) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', o.id, 'number', o.number, 'store_id', o.store_id,
        'device_id', o.device_id, 'cashier_id', o.cashier_id,
        'created_at', rfc3339(o.created_at), 'received_at', rfc3339(o.received_at),
        'status', o.status, 'status_reason', o.status_reason,
        'kitchen_status', o.kitchen_status, 'kitchen_updated_at', rfc3339(o.kitchen_updated_at),
        'lines', coalesce((SELECT jsonb_agg(jsonb_build_object('product_id', l.product_id, 'name', l.name,
                'qty', l.qty, 'unit_price', l.unit_price, 'modifiers', l.modifiers, 'note', l.note,
                'total', l.total) ORDER BY l.line_no)
            FROM order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id), '[]'),
        'payments', coalesce((SELECT jsonb_agg(jsonb_build_object('method', p.method, 'currency', p.currency,
                'amount', p.amount, 'amount_base', p.amount_base, 'tendered', p.tendered, 'change', p.change,
                'card_last4', p.card_last4) ORDER BY p.n)
            FROM order_payments p WHERE p.tenant_id = o.tenant_id AND p.order_id = o.id), '[]'),
        'subtotal', o.subtotal, 'discount', o.discount, 'total', o.total, 'currency', o.currency,
        'total_base', o.total_base, 'base_currency', o.base_currency, 'rate', o.rate::text, 'note', o.note)
$$;

-- Half away from zero to the minor unit: the one rounding rule for money.
CREATE FUNCTION money_round(x numeric) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (sign(x) * floor(abs(x) + 0.5))::bigint
$$;

-- Stock changes of an order (sale: negative), from its lines, their recipes
-- (or the product itself without one) and the modifiers' ingredients.
CREATE FUNCTION order_stock_delta(p_order uuid)
RETURNS TABLE (item_id uuid, item_kind text, qty bigint) LANGUAGE sql STABLE AS $$
    WITH l AS (
        SELECT * FROM order_lines WHERE order_id = p_order
    ), need AS (
        SELECT ri.ingredient_id AS item_id, 'ingredient' AS item_kind, ri.qty * l.qty AS q
        FROM l JOIN recipes r ON r.tenant_id = l.tenant_id AND r.product_id = l.product_id AND r.is_active
        JOIN recipe_items ri ON ri.tenant_id = r.tenant_id AND ri.recipe_id = r.id
        UNION ALL
        SELECT l.product_id, 'product', l.qty FROM l
        WHERE NOT EXISTS (SELECT FROM recipes r WHERE r.tenant_id = l.tenant_id AND r.product_id = l.product_id AND r.is_active)
        UNION ALL
        SELECT m.ingredient_id, 'ingredient', coalesce(m.qty, 0) * l.qty
        FROM l CROSS JOIN LATERAL jsonb_array_elements(l.modifiers) e
        JOIN modifiers m ON m.tenant_id = l.tenant_id AND m.id = (e->>'id')::uuid
        WHERE m.ingredient_id IS NOT NULL
    )
    SELECT item_id, item_kind, -sum(q)::bigint FROM need GROUP BY item_id, item_kind
$$;

-- Record movements and move the levels; rows are locked in id order so that
-- concurrent orders never deadlock on the levels.
CREATE FUNCTION stock_apply(p_order uuid, p_kind text, p_user uuid, p_device uuid)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
BEGIN
    IF p_kind = 'sale' THEN
        WITH d AS (SELECT * FROM order_stock_delta(p_order) WHERE qty <> 0),
        m AS (INSERT INTO stock_movements (tenant_id, item_id, item_kind, kind, qty, order_id, user_id, device_id)
              SELECT t, d.item_id, d.item_kind, p_kind, d.qty, p_order, p_user, p_device FROM d)
        INSERT INTO stock_levels (tenant_id, item_id, item_kind, qty)
        SELECT t, d.item_id, d.item_kind, d.qty FROM d ORDER BY d.item_id
        ON CONFLICT (tenant_id, item_id) DO UPDATE SET qty = stock_levels.qty + EXCLUDED.qty, updated_at = now();
    ELSE
        -- refunds and cancellations return exactly what the sale took
        WITH d AS (SELECT m.item_id, m.item_kind, -sum(m.qty)::bigint AS qty FROM stock_movements m
                   WHERE m.order_id = p_order GROUP BY 1, 2 HAVING sum(m.qty) <> 0),
        m AS (INSERT INTO stock_movements (tenant_id, item_id, item_kind, kind, qty, order_id, user_id, device_id)
              SELECT t, d.item_id, d.item_kind, p_kind, d.qty, p_order, p_user, p_device FROM d)
        INSERT INTO stock_levels (tenant_id, item_id, item_kind, qty)
        SELECT t, d.item_id, d.item_kind, d.qty FROM d ORDER BY d.item_id
        ON CONFLICT (tenant_id, item_id) DO UPDATE SET qty = stock_levels.qty + EXCLUDED.qty, updated_at = now();
    END IF;
END
$$;

-- One order from a till, exactly once.  p_order is the request as sent
-- (checked by the workers), p_hash its canonical hash, p_cards the sealed
-- card fragments by payment index.  Returns {status, order} with status
-- created | duplicate | conflict, or {status: invalid, field}.
CREATE FUNCTION order_submit(p_order jsonb, p_hash text, p_store uuid, p_device uuid,
                             p_cashier uuid, p_cards jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    v_id uuid := (p_order->>'id')::uuid;
    v_old orders;
    v_store stores;
    v_cur text;
    v_rate numeric;
    v_num integer;
    v_day date;
    v_sub bigint;
    v_disc bigint := coalesce((p_order->>'discount')::bigint, 0);
    v_created timestamptz := (p_order->>'created_at')::timestamptz;
    v_row orders;
BEGIN
    SELECT * INTO v_old FROM orders WHERE id = v_id;
    IF NOT FOUND THEN
        -- the same id may be arriving on another connection right now: wait
        -- for it, then look again, so a duplicate never takes an order number
        PERFORM pg_advisory_xact_lock(hashtextextended(t::text || v_id::text, 727));
        SELECT * INTO v_old FROM orders WHERE id = v_id;
    END IF;
    IF FOUND THEN
        RETURN jsonb_build_object('status', CASE WHEN v_old.body_hash = p_hash THEN 'duplicate' ELSE 'conflict' END,
                                  'order', api_order(v_old));
    END IF;
    SELECT * INTO v_store FROM stores WHERE id = p_store;
    v_cur := coalesce(p_order->>'currency', v_store.base_currency);
    -- what the lines name must exist (inactive is fine: an offline till may
    -- have sold it before it was switched off)
    IF EXISTS (SELECT FROM jsonb_array_elements(p_order->'lines') l
               WHERE NOT EXISTS (SELECT FROM products p WHERE p.tenant_id = t AND p.id = (l->>'product_id')::uuid)) THEN
        RETURN jsonb_build_object('status', 'invalid', 'field', 'lines.product_id');
    END IF;
    IF EXISTS (SELECT FROM jsonb_array_elements(p_order->'lines') l,
                      jsonb_array_elements(coalesce(l->'modifiers', '[]')) m
               WHERE NOT EXISTS (SELECT FROM modifiers x WHERE x.tenant_id = t AND x.id = (m->>'id')::uuid)) THEN
        RETURN jsonb_build_object('status', 'invalid', 'field', 'lines.modifiers.id');
    END IF;
    IF EXISTS (SELECT FROM jsonb_array_elements(p_order->'payments') p WHERE p->>'currency' <> v_cur) THEN
        RETURN jsonb_build_object('status', 'invalid', 'field', 'payments.currency');
    END IF;
    IF p_cashier IS NOT NULL AND NOT EXISTS (SELECT FROM users u WHERE u.id = p_cashier) THEN
        RETURN jsonb_build_object('status', 'invalid', 'field', 'cashier_id');
    END IF;
    IF v_cur = v_store.base_currency THEN
        v_rate := 1;
    ELSE
        SELECT rate INTO v_rate FROM rates
        WHERE currency = v_cur AND day <= (v_created AT TIME ZONE v_store.time_zone)::date
        ORDER BY day DESC LIMIT 1;
        IF v_rate IS NULL THEN
            RETURN jsonb_build_object('status', 'invalid', 'field', 'currency');
        END IF;
    END IF;
    SELECT sum((l->>'unit_price')::bigint * (l->>'qty')::bigint) INTO v_sub
    FROM jsonb_array_elements(p_order->'lines') l;
    v_day := (now() AT TIME ZONE v_store.time_zone)::date;
    INSERT INTO order_numbers (tenant_id, store_id, business_date, last) VALUES (t, p_store, v_day, 1)
    ON CONFLICT (tenant_id, store_id, business_date) DO UPDATE SET last = order_numbers.last + 1
    RETURNING last INTO v_num;
    INSERT INTO orders (tenant_id, id, store_id, device_id, cashier_id, number, business_date, created_at,
                        currency, base_currency, rate, subtotal, discount, total, total_base, note, body_hash)
    VALUES (t, v_id, p_store, p_device, p_cashier, v_num, v_day, v_created, v_cur, v_store.base_currency,
            v_rate, v_sub, v_disc, v_sub - v_disc, money_round((v_sub - v_disc) * v_rate),
            p_order->>'note', p_hash)
    ON CONFLICT (tenant_id, id) DO NOTHING
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        -- the same id arrived on another connection meanwhile
        SELECT * INTO v_old FROM orders WHERE id = v_id;
        RETURN jsonb_build_object('status', CASE WHEN v_old.body_hash = p_hash THEN 'duplicate' ELSE 'conflict' END,
                                  'order', api_order(v_old));
    END IF;
    INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, name, qty, unit_price, modifiers, note, total)
    SELECT t, v_id, x.n, (x.l->>'product_id')::uuid, p.name, (x.l->>'qty')::integer,
           (x.l->>'unit_price')::bigint,
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', (m->>'id')::uuid, 'price_delta', (m->>'price_delta')::bigint,
                        'name', coalesce(md.name, m->>'name')) ORDER BY mo.k)
                     FROM jsonb_array_elements(x.l->'modifiers') WITH ORDINALITY mo(m, k)
                     LEFT JOIN modifiers md ON md.tenant_id = t AND md.id = (m->>'id')::uuid), '[]'),
           x.l->>'note', (x.l->>'unit_price')::bigint * (x.l->>'qty')::bigint
    FROM jsonb_array_elements(p_order->'lines') WITH ORDINALITY x(l, n)
    LEFT JOIN products p ON p.tenant_id = t AND p.id = (x.l->>'product_id')::uuid;
    INSERT INTO order_payments (tenant_id, order_id, n, method, currency, amount, amount_base, tendered, change, card_last4)
    SELECT t, v_id, x.n, x.p->>'method', x.p->>'currency', (x.p->>'amount')::bigint,
           money_round((x.p->>'amount')::bigint * v_rate),
           (x.p->>'tendered')::bigint, (x.p->>'tendered')::bigint - (x.p->>'amount')::bigint,
           p_cards->>((x.n - 1)::integer)
    FROM jsonb_array_elements(p_order->'payments') WITH ORDINALITY x(p, n);
    PERFORM stock_apply(v_id, 'sale', p_cashier, p_device);
    RETURN jsonb_build_object('status', 'created', 'order', api_order(v_row));
END
$$;

-- A batch from a till's outbox, set-based: one statement per table for the
-- whole batch, so 500 orders cost little more than one.  Each order still
-- stands alone: duplicates, conflicts and invalid orders are sorted out
-- first and answered one by one, and should the set-based insert fail for a
-- reason no check foresaw, the batch falls back to one subtransaction per
-- order (order_submit), so one bad order never blocks the rest.
-- p_items: [{order, hash, cards}].  Returns [{id, status, number?, field?}].
CREATE FUNCTION order_submit_many(p_items jsonb, p_store uuid, p_device uuid, p_cashier uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    v_store stores;
    v_day date;
    v_new integer;
    v_last integer;
    res jsonb;
    rec record;
    one jsonb;
BEGIN
    SELECT * INTO v_store FROM stores WHERE id = p_store;
    v_day := (now() AT TIME ZONE v_store.time_zone)::date;
    DROP TABLE IF EXISTS _batch;
    CREATE TEMP TABLE _batch ON COMMIT DROP AS
    SELECT x.n, (x.it->'order'->>'id')::uuid AS id, x.it->'order' AS o, x.it->>'hash' AS h,
           coalesce(x.it->'cards', '[]') AS cards,
           coalesce((x.it->'order'->>'cashier_id')::uuid, p_cashier) AS cashier,
           coalesce(x.it->'order'->>'currency', v_store.base_currency) AS cur,
           NULL::text AS status, NULL::text AS field, NULL::integer AS number, NULL::numeric AS rate
    FROM jsonb_array_elements(p_items) WITH ORDINALITY x(it, n);

    -- the same id arriving on another connection: wait for it (ids in a
    -- fixed order, so two batches never wait on each other in a circle)
    PERFORM pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(t::text || id::text, 727) AS k
                                          FROM _batch ORDER BY 1) s;
    UPDATE _batch b SET status = CASE WHEN o.body_hash = b.h THEN 'duplicate' ELSE 'conflict' END,
                        number = o.number
    FROM orders o WHERE o.id = b.id;
    -- a repeat inside the batch answers like a repeat of the first
    UPDATE _batch b SET status = CASE WHEN f.first_h = b.h THEN 'duplicate' ELSE 'conflict' END
    FROM (SELECT n, first_value(h) OVER w AS first_h, row_number() OVER w AS k
          FROM _batch WINDOW w AS (PARTITION BY id ORDER BY n)) f
    WHERE f.n = b.n AND f.k > 1 AND b.status IS NULL;

    -- what the lines and payments name must exist (see order_submit)
    UPDATE _batch b SET status = 'invalid', field = 'lines.product_id' WHERE b.status IS NULL AND EXISTS (
        SELECT FROM jsonb_array_elements(b.o->'lines') l
        WHERE NOT EXISTS (SELECT FROM products p WHERE p.tenant_id = t AND p.id = (l->>'product_id')::uuid));
    UPDATE _batch b SET status = 'invalid', field = 'lines.modifiers.id' WHERE b.status IS NULL AND EXISTS (
        SELECT FROM jsonb_array_elements(b.o->'lines') l, jsonb_array_elements(coalesce(l->'modifiers', '[]')) m
        WHERE NOT EXISTS (SELECT FROM modifiers x WHERE x.tenant_id = t AND x.id = (m->>'id')::uuid));
    UPDATE _batch b SET status = 'invalid', field = 'payments.currency' WHERE b.status IS NULL AND EXISTS (
        SELECT FROM jsonb_array_elements(b.o->'payments') p WHERE p->>'currency' <> b.cur);
    UPDATE _batch b SET status = 'invalid', field = 'cashier_id' WHERE b.status IS NULL AND b.cashier IS NOT NULL
        AND NOT EXISTS (SELECT FROM users u WHERE u.id = b.cashier);
    UPDATE _batch b SET rate = CASE WHEN b.cur = v_store.base_currency THEN 1 ELSE (
        SELECT x.rate FROM rates x WHERE x.currency = b.cur
          AND x.day <= ((b.o->>'created_at')::timestamptz AT TIME ZONE v_store.time_zone)::date
        ORDER BY x.day DESC LIMIT 1) END
    WHERE b.status IS NULL;
    UPDATE _batch b SET status = 'invalid', field = 'currency' WHERE b.status IS NULL AND b.rate IS NULL;

    ANALYZE _batch;	-- a temporary table has no statistics until asked: plan the inserts right
    SELECT count(*) INTO v_new FROM _batch WHERE status IS NULL;
    IF v_new > 0 THEN
        BEGIN
            INSERT INTO order_numbers (tenant_id, store_id, business_date, last) VALUES (t, p_store, v_day, v_new)
            ON CONFLICT (tenant_id, store_id, business_date) DO UPDATE SET last = order_numbers.last + v_new
            RETURNING last INTO v_last;
            UPDATE _batch b SET number = v_last - v_new + s.k, status = 'created'
            FROM (SELECT n, row_number() OVER (ORDER BY n) AS k FROM _batch WHERE status IS NULL) s
            WHERE s.n = b.n;
            INSERT INTO orders (tenant_id, id, store_id, device_id, cashier_id, number, business_date, created_at,
                                currency, base_currency, rate, subtotal, discount, total, total_base, note, body_hash)
            SELECT t, b.id, p_store, p_device, b.cashier, b.number, v_day, (b.o->>'created_at')::timestamptz,
                   b.cur, v_store.base_currency, b.rate, s.sub, coalesce((b.o->>'discount')::bigint, 0),
                   s.sub - coalesce((b.o->>'discount')::bigint, 0),
                   money_round((s.sub - coalesce((b.o->>'discount')::bigint, 0)) * b.rate), b.o->>'note', b.h
            FROM _batch b CROSS JOIN LATERAL (
                SELECT sum((l->>'unit_price')::bigint * (l->>'qty')::bigint) AS sub
                FROM jsonb_array_elements(b.o->'lines') l) s
            WHERE b.status = 'created';
            INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, name, qty, unit_price, modifiers, note, total)
            SELECT t, b.id, x.k, (x.l->>'product_id')::uuid,
                   (SELECT p.name FROM products p WHERE p.tenant_id = t AND p.id = (x.l->>'product_id')::uuid),
                   (x.l->>'qty')::integer, (x.l->>'unit_price')::bigint,
                   coalesce((SELECT jsonb_agg(jsonb_build_object('id', (m->>'id')::uuid,
                                 'price_delta', (m->>'price_delta')::bigint,
                                 'name', coalesce((SELECT md.name FROM modifiers md WHERE md.tenant_id = t AND md.id = (m->>'id')::uuid),
                                                  m->>'name'))
                                 ORDER BY mo.j)
                             FROM jsonb_array_elements(coalesce(x.l->'modifiers', '[]')) WITH ORDINALITY mo(m, j)), '[]'),
                   x.l->>'note', (x.l->>'unit_price')::bigint * (x.l->>'qty')::bigint
            FROM _batch b CROSS JOIN LATERAL jsonb_array_elements(b.o->'lines') WITH ORDINALITY x(l, k)
            WHERE b.status = 'created';
            INSERT INTO order_payments (tenant_id, order_id, n, method, currency, amount, amount_base, tendered, change, card_last4)
            SELECT t, b.id, x.k, x.p->>'method', x.p->>'currency', (x.p->>'amount')::bigint,
                   money_round((x.p->>'amount')::bigint * b.rate), (x.p->>'tendered')::bigint,
                   (x.p->>'tendered')::bigint - (x.p->>'amount')::bigint, b.cards->>((x.k - 1)::integer)
            FROM _batch b CROSS JOIN LATERAL jsonb_array_elements(b.o->'payments') WITH ORDINALITY x(p, k)
            WHERE b.status = 'created';
            -- stock for the whole batch: movements per order, levels per item
            -- (locked in item order)
            WITH l AS (
                SELECT ol.* FROM order_lines ol JOIN _batch b ON b.id = ol.order_id AND b.status = 'created'
            ), need AS (
                SELECT l.order_id, ri.ingredient_id AS item_id, 'ingredient' AS item_kind, ri.qty * l.qty AS q
                FROM l JOIN recipes r ON r.tenant_id = l.tenant_id AND r.product_id = l.product_id AND r.is_active
                JOIN recipe_items ri ON ri.tenant_id = r.tenant_id AND ri.recipe_id = r.id
                UNION ALL
                SELECT l.order_id, l.product_id, 'product', l.qty FROM l
                WHERE NOT EXISTS (SELECT FROM recipes r WHERE r.tenant_id = l.tenant_id AND r.product_id = l.product_id AND r.is_active)
                UNION ALL
                SELECT l.order_id, m.ingredient_id, 'ingredient', coalesce(m.qty, 0) * l.qty
                FROM l CROSS JOIN LATERAL jsonb_array_elements(l.modifiers) e
                JOIN modifiers m ON m.tenant_id = l.tenant_id AND m.id = (e->>'id')::uuid
                WHERE m.ingredient_id IS NOT NULL
            ), d AS (
                SELECT order_id, item_id, item_kind, -sum(q)::bigint AS qty FROM need
                GROUP BY order_id, item_id, item_kind HAVING sum(q) <> 0
            ), mv AS (
                INSERT INTO stock_movements (tenant_id, item_id, item_kind, kind, qty, order_id, user_id, device_id)
                SELECT t, d.item_id, d.item_kind, 'sale', d.qty, d.order_id, b.cashier, p_device
                FROM d JOIN _batch b ON b.id = d.order_id
            )
            INSERT INTO stock_levels (tenant_id, item_id, item_kind, qty)
            SELECT t, item_id, item_kind, sum(qty) FROM d GROUP BY item_id, item_kind ORDER BY item_id
            ON CONFLICT (tenant_id, item_id) DO UPDATE SET qty = stock_levels.qty + EXCLUDED.qty, updated_at = now();
        EXCEPTION WHEN OTHERS THEN
            -- something no check foresaw: one subtransaction per order instead
            RAISE WARNING 'order_submit_many: set-based insert failed (% %), one by one', SQLSTATE, SQLERRM;
            UPDATE _batch SET status = NULL, number = NULL WHERE status = 'created';
            FOR rec IN SELECT * FROM _batch WHERE status IS NULL ORDER BY n LOOP
                BEGIN
                    one := order_submit(rec.o, rec.h, p_store, p_device, rec.cashier, rec.cards);
                    UPDATE _batch SET status = one->>'status', field = one->>'field',
                                      number = (one->'order'->>'number')::integer
                    WHERE n = rec.n;
                EXCEPTION WHEN OTHERS THEN
                    UPDATE _batch SET status = 'error', field = SQLSTATE WHERE n = rec.n;
                END;
            END LOOP;
        END;
    END IF;
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', b.id, 'status', b.status, 'number', b.number,
               'field', CASE WHEN b.status = 'invalid' THEN b.field END,
               'sqlstate', CASE WHEN b.status = 'error' THEN b.field END)) ORDER BY b.n)
    INTO res FROM _batch b;
    DROP TABLE _batch;
    RETURN coalesce(res, '[]');
END
$$;

-- Refund or cancel a paid order (manager+), returning its stock.
CREATE FUNCTION order_set_status(p_id uuid, p_status text, p_reason text, p_user uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v orders;
BEGIN
    SELECT * INTO v FROM orders WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'not_found');
    END IF;
    IF v.status <> 'paid' THEN
        RETURN jsonb_build_object('status', 'conflict', 'order', api_order(v));
    END IF;
    UPDATE orders SET status = p_status, status_reason = p_reason, status_at = now(), status_by = p_user
    WHERE tenant_id = v.tenant_id AND id = p_id RETURNING * INTO v;
    PERFORM stock_apply(p_id, CASE p_status WHEN 'refunded' THEN 'refund' ELSE 'cancel' END, p_user, NULL);
    RETURN jsonb_build_object('status', 'ok', 'order', api_order(v));
END
$$;

-- Kitchen status changed on a till while offline: last writer wins by the
-- time of the change; the losing version goes to sync_conflicts.
CREATE FUNCTION kitchen_merge(p_id uuid, p_value text, p_at timestamptz, p_device uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v orders;
    mine jsonb := jsonb_build_object('value', p_value, 'updated_at', rfc3339(p_at), 'device_id', p_device);
    theirs jsonb;
BEGIN
    SELECT * INTO v FROM orders WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'not_found');
    END IF;
    theirs := jsonb_build_object('value', v.kitchen_status, 'updated_at', rfc3339(v.kitchen_updated_at));
    IF v.kitchen_status = p_value THEN
        RETURN jsonb_build_object('status', 'same');
    END IF;
    -- nobody changed it here since it arrived: the till's change is no conflict
    IF v.kitchen_status = 'new' AND v.kitchen_updated_at <= v.received_at AND p_at > v.kitchen_updated_at THEN
        UPDATE orders SET kitchen_status = p_value, kitchen_updated_at = p_at
        WHERE tenant_id = v.tenant_id AND id = p_id;
        RETURN jsonb_build_object('status', 'applied');
    END IF;
    IF p_at > v.kitchen_updated_at THEN
        UPDATE orders SET kitchen_status = p_value, kitchen_updated_at = p_at
        WHERE tenant_id = v.tenant_id AND id = p_id;
        INSERT INTO sync_conflicts (tenant_id, entity, entity_id, kept, lost, device_id)
        VALUES (v.tenant_id, 'kitchen_status', p_id, mine, theirs, p_device);
        RETURN jsonb_build_object('status', 'applied', 'entity', 'kitchen_status', 'id', p_id, 'kept', mine, 'lost', theirs);
    END IF;
    INSERT INTO sync_conflicts (tenant_id, entity, entity_id, kept, lost, device_id)
    VALUES (v.tenant_id, 'kitchen_status', p_id, theirs, mine, p_device);
    RETURN jsonb_build_object('status', 'kept', 'entity', 'kitchen_status', 'id', p_id, 'kept', theirs, 'lost', mine);
END
$$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO pos_app;
