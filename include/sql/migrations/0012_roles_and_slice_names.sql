-- Roles (README "Security"): the AERIS view reads the ledger through `aeris_view`, which may SELECT
-- that table and nothing else; the pipeline owns everything here and is not a superuser. Roles are
-- made by `python -m aeris_lib.db.roles` (a superuser); when `aeris_view` does not exist (a database
-- whose DBA manages roles), the grant waits for it: run this file's GRANT once it does.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aeris_view') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO aeris_view', current_database());
        GRANT USAGE ON SCHEMA public TO aeris_view;
        GRANT SELECT ON ingest_log TO aeris_view;
    ELSE
        RAISE NOTICE 'aeris_view does not exist: the AERIS view has no read grant yet';
    END IF;
END
$$;

-- Slice tables are dropped and analysed by name: only a name the loader makes can be stored, so no
-- other table can ever be named there (aeris_lib.db.sql.SLICE_TABLE; `_l`: rewritten by 0008).
ALTER TABLE obs_partition ADD CONSTRAINT obs_partition_table_name_check
    CHECK (table_name ~ '^pobs_[a-z0-9]{1,8}_[0-9]{10}_[0-9a-f]{8}(_l)?$');
ALTER TABLE rejected_slice ADD CONSTRAINT rejected_slice_table_name_check
    CHECK (table_name ~ '^pobs_[a-z0-9]{1,8}_[0-9]{10}_[0-9a-f]{8}(_l)?$');
