-- Roles and database, run once as the cluster's superuser (scripts/lib.sh does
-- it for the local cluster; on a real server: psql -U postgres -f this file).
-- Idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pos_owner') THEN
        CREATE ROLE pos_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pos_app') THEN
        CREATE ROLE pos_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    -- owns the few SECURITY DEFINER functions that must look across tenants
    -- (login by email, device activation by key, spending a licence code,
    -- the superadmin's tenant list); cannot log in
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pos_auth') THEN
        CREATE ROLE pos_auth NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pos_backup') THEN
        CREATE ROLE pos_backup LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
    END IF;
END
$$;
ALTER ROLE pos_app NOBYPASSRLS;
-- the migrator hands those functions to pos_auth
GRANT pos_auth TO pos_owner;
SELECT 'CREATE DATABASE pos OWNER pos_owner ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'pos')\gexec
ALTER DATABASE pos OWNER TO pos_owner;
REVOKE ALL ON DATABASE pos FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE pos TO pos_app, pos_backup;
\connect pos
ALTER SCHEMA public OWNER TO pos_owner;
