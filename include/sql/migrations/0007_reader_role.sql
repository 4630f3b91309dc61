-- The app's read-only role: SELECT on the read contract (the pollution_grid view, route exposure and
-- the saved routes' scores), nothing else; the pipeline's own role owns and writes storage.
-- Created only when the migrating role may create roles (a managed database may not allow it: the
-- DBA then runs the same statements once, see README "Roles").
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aeris_reader')
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolcreaterole OR rolsuper)) THEN
        CREATE ROLE aeris_reader NOLOGIN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aeris_reader') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO aeris_reader', current_database());
        GRANT USAGE ON SCHEMA public TO aeris_reader;
        GRANT SELECT ON pollution_grid, route_exposure, saved_routes TO aeris_reader;
    ELSE
        RAISE NOTICE 'aeris_reader not created: % may not create roles', current_user;
    END IF;
END
$$;
