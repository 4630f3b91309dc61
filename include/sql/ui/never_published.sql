-- Hours in [start, end) that TEMPO scanned and nothing published by the deadline (gaps), per gas.
SELECT DISTINCT gas_type, obs_time
FROM ingest_log
WHERE status = 'not_published' AND obs_time >= %(start)s AND obs_time < %(end)s
ORDER BY obs_time, gas_type;
