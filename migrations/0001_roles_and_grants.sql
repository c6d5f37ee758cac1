-- Privileges of the roles the cluster set-up creates (scripts/db-roles.sql):
--   pos_owner  owns the schema and runs migrations (this file runs as it);
--   pos_app    the workers: data rights only, no DDL, no BYPASSRLS, so
--              row-level security applies to every query they make;
--   pos_backup dumps the database; BYPASSRLS so a dump holds every tenant.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO pos_app, pos_backup;

-- The workers check at start that no landed migration was edited.
GRANT SELECT ON schema_migrations TO pos_app;
GRANT SELECT ON schema_migrations TO pos_backup;

ALTER DEFAULT PRIVILEGES FOR ROLE pos_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pos_app;
ALTER DEFAULT PRIVILEGES FOR ROLE pos_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO pos_app;
ALTER DEFAULT PRIVILEGES FOR ROLE pos_owner IN SCHEMA public
    GRANT SELECT ON TABLES TO pos_backup;
ALTER DEFAULT PRIVILEGES FOR ROLE pos_owner IN SCHEMA public
    GRANT SELECT ON SEQUENCES TO pos_backup;
