-- Keeps a slice table that failed a data-quality check (unattached) for inspection until retention drops it.
INSERT INTO rejected_slice (table_name, gas_type, obs_time, ingest_log_id, failed_checks)
VALUES (%(table)s, %(gas)s, %(hour)s, %(log_id)s, %(failed)s);
