-- Closes earlier attempts at the same slice still marked 'running': the caller holds the slice lock, so
-- they are not loading any more (their connection died or their process was killed mid-load).
UPDATE ingest_log
SET status = 'failed', finished_at = clock_timestamp(),
    error_message = 'attempt abandoned: the loader lost its database connection or was killed'
WHERE gas_type = %(gas)s AND obs_time = %(hour)s AND status = 'running' AND id < %(id)s;
