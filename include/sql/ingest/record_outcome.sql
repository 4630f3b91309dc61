-- Records an outcome of a (gas, hour) attempt that wrote no slice (no scan, not published, Harmony failed ...).
INSERT INTO ingest_log (gas_type, obs_time, status, started_at, finished_at, duration_s, harmony_job_id, granules,
                        error_message, product_line, short_name, version, line_reason)
VALUES (%(gas)s, %(hour)s, %(status)s, clock_timestamp(), clock_timestamp(), 0, %(job_id)s, %(granules)s,
        %(reason)s, %(product_line)s, %(short_name)s, %(version)s, %(line_reason)s)
RETURNING id;
