-- Closes the ledger row of one load attempt with its outcome and counts.
UPDATE ingest_log
SET status        = %(status)s,
    finished_at   = clock_timestamp(),
    duration_s    = extract(epoch FROM clock_timestamp() - started_at),
    cells_read    = %(cells_read)s,
    cells_skipped = %(cells_skipped)s,
    cells_flagged = %(cells_flagged)s,
    rows_written  = %(rows_written)s,
    error_message = %(error)s,
    -- The slice this row wrote is the published one from now on (success only).
    published_at  = CASE WHEN %(status)s = 'success' THEN clock_timestamp() END
WHERE id = %(id)s;
