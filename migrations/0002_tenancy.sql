-- Tenants, stores, users, devices, licence codes, sessions and the audit log.
-- Every tenant-owned table leads its keys with tenant_id and is scoped by a
-- row-level security policy on app.tenant_id, which each request sets with
-- set_config(..., true) inside its own transaction.  FORCE makes the policy
-- apply to the table owner too; an unset setting reads back as '' (NULLIF),
-- so a request that set no tenant sees nothing.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    max_devices integer NOT NULL DEFAULT 1 CHECK (max_devices BETWEEN 0 AND 10000),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The platform (superadmin) is a tenant of its own with a reserved id, so its
-- user, sessions and licence codes fall under the same policies.
INSERT INTO tenants (id, name, max_devices)
VALUES ('00000000-0000-0000-0000-000000000000', 'platform', 0);

CREATE TABLE stores (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL UNIQUE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone     text NOT NULL DEFAULT 'Asia/Baku',
    language      text NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'az', 'uz', 'en')),
    base_currency text NOT NULL DEFAULT 'AZN' CHECK (base_currency ~ '^[A-Z]{3}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL UNIQUE,
    email             text NOT NULL CHECK (length(email) BETWEEN 3 AND 200),
    password_hash     text NOT NULL,
    role              text NOT NULL CHECK (role IN ('superadmin', 'owner', 'admin', 'manager', 'cashier', 'cook')),
    pin_hmac          text,          -- HMAC-SHA256(pin.key, tenant || pin): unique per tenant
    language          text CHECK (language IN ('ru', 'az', 'uz', 'en')),
    totp_secret       text,          -- AES-256-GCM sealed, bound to tenant/table/column/row
    totp_enabled      boolean NOT NULL DEFAULT false,
    totp_last_counter bigint NOT NULL DEFAULT -1,   -- a code once used is refused again
    failed_logins     integer NOT NULL DEFAULT 0,
    locked_until      timestamptz,
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK ((role = 'superadmin') = (tenant_id = '00000000-0000-0000-0000-000000000000'))
);
-- logins name no tenant, so an email is unique across the platform
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_pin_key ON users (tenant_id, pin_hmac) WHERE pin_hmac IS NOT NULL AND is_active;

CREATE TABLE devices (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL UNIQUE,
    store_id         uuid NOT NULL,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    key_hash         text,           -- sha256 of the one-time key; NULL once used
    token_version    integer NOT NULL DEFAULT 1,   -- bumped on revoke/reset: old tokens die
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'revoked')),
    pin_failures     integer NOT NULL DEFAULT 0,
    pin_locked_until timestamptz,
    activated_at     timestamptz,
    last_seen_at     timestamptz,
    last_sync_at     timestamptz,
    revoked_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX devices_key_hash_key ON devices (key_hash) WHERE key_hash IS NOT NULL;

-- Issued by the superadmin (platform tenant), spent by a bootstrap.
CREATE TABLE licence_codes (
    tenant_id      uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000' REFERENCES tenants (id),
    id             uuid NOT NULL UNIQUE,
    code_hash      text NOT NULL UNIQUE,
    note           text CHECK (length(note) <= 1000),
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    used_at        timestamptz,
    used_by_tenant uuid,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE sessions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL UNIQUE,
    user_id      uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('web', 'api')),
    state        text NOT NULL CHECK (state IN ('mfa', 'full')),
    token_hash   text UNIQUE,        -- web: sha256 of the cookie's secret part
    csrf         text,
    ip           text,
    user_agent   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE audit_log (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    device_id   uuid,
    action      text NOT NULL,
    object_type text,
    object_id   uuid,
    detail      jsonb,
    ip          text,
    request_id  text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stores', 'users', 'devices', 'licence_codes', 'sessions', 'audit_log'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Cross-tenant look-ups, each as narrow as it can be, owned by pos_auth
-- (BYPASSRLS, cannot log in).  Everything else runs under the policies.
GRANT USAGE, CREATE ON SCHEMA public TO pos_auth;
GRANT SELECT ON users, devices, tenants, audit_log TO pos_auth;
GRANT SELECT, UPDATE ON licence_codes TO pos_auth;

-- Login: which tenant an email belongs to.
CREATE FUNCTION auth_find_email(p_email text)
RETURNS TABLE (tenant_id uuid, user_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.tenant_id, u.id FROM users u WHERE lower(u.email) = lower(p_email)
$$;

-- Device activation: which tenant a one-time key belongs to.
CREATE FUNCTION auth_find_device_key(p_hash text)
RETURNS TABLE (tenant_id uuid, device_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT d.tenant_id, d.id FROM devices d WHERE d.key_hash = p_hash AND d.status <> 'revoked'
$$;

-- Bootstrap with a licence code: spend it exactly once.
CREATE FUNCTION licence_spend(p_hash text, p_tenant uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH spent AS (
        UPDATE licence_codes SET used_at = now(), used_by_tenant = p_tenant
        WHERE code_hash = p_hash AND used_at IS NULL
        RETURNING 1)
    SELECT EXISTS (SELECT FROM spent)
$$;

-- The superadmin's view of all tenants with their device counts.
CREATE FUNCTION platform_tenants()
RETURNS TABLE (id uuid, name text, max_devices integer, is_active boolean, created_at timestamptz,
               devices_total bigint, devices_active bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.id, t.name, t.max_devices, t.is_active, t.created_at,
           count(d.id), count(d.id) FILTER (WHERE d.status <> 'revoked')
    FROM tenants t LEFT JOIN devices d ON d.tenant_id = t.id
    WHERE t.id <> '00000000-0000-0000-0000-000000000000'
    GROUP BY t.id ORDER BY t.created_at, t.id
$$;

-- The superadmin's audit view across tenants, newest first, keyset-paged.
CREATE FUNCTION platform_audit(p_before bigint, p_limit integer)
RETURNS SETOF audit_log
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT * FROM audit_log WHERE p_before IS NULL OR id < p_before
    ORDER BY id DESC LIMIT least(greatest(p_limit, 1), 500)
$$;

DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['auth_find_email(text)', 'auth_find_device_key(text)',
                             'licence_spend(text, uuid)', 'platform_tenants()',
                             'platform_audit(bigint, integer)'] LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO pos_auth', f);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pos_app', f);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON tenants, stores, users, devices, licence_codes, sessions TO pos_app;
GRANT SELECT, INSERT ON audit_log TO pos_app;
REVOKE UPDATE, DELETE ON audit_log FROM pos_app;
REVOKE DELETE ON tenants, stores, users, devices, licence_codes FROM pos_app;

-- API times: RFC 3339 UTC with milliseconds, as JavaScript's toISOString().
CREATE FUNCTION rfc3339(timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
