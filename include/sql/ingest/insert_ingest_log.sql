-- Opens the ledger row of one load attempt (committed on its own, so a crash still leaves a trace).
INSERT INTO ingest_log (gas_type, obs_time, status, source_sha256, harmony_job_id, max_cells, granules,
                        product_line, upgraded_from, short_name, version, granule_revisions, listed_at,
                        request_shape, bytes_moved, line_reason, request_bbox)
VALUES (%(gas)s, %(hour)s, 'running', %(sha256)s, %(job_id)s, %(max_cells)s, %(granules)s,
        %(product_line)s, %(upgraded_from)s, %(short_name)s, %(version)s, %(granule_revisions)s, %(listed_at)s,
        %(request_shape)s, %(bytes_moved)s, %(line_reason)s, %(request_bbox)s)
RETURNING id;
