-- Roles (docs/security.md): the triggerer writes "Waiting now" through `aeris_waits`, which may insert,
-- update and delete rows of `publication_wait` and nothing else; it owns nothing. Roles are made by
-- `python -m aeris_lib.db.roles` (a superuser); when `aeris_waits` does not exist (a database whose DBA
-- manages roles), the grant waits for it: run this file's GRANTs once it does.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aeris_waits') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO aeris_waits', current_database());
        GRANT USAGE ON SCHEMA public TO aeris_waits;
        GRANT INSERT, UPDATE, DELETE ON publication_wait TO aeris_waits;
        -- ON CONFLICT (gas_type, obs_time) reads the conflict target: those two columns only.
        GRANT SELECT (gas_type, obs_time) ON publication_wait TO aeris_waits;
    ELSE
        RAISE NOTICE 'aeris_waits does not exist: the triggerer has no grant on publication_wait yet';
    END IF;
END
$$;
