-- (gas, hour) slices with a successful (or unchanged) load in a time window: the complement is the gaps.
SELECT DISTINCT gas_type, obs_time
FROM ingest_log
WHERE status IN ('success', 'unchanged') AND obs_time >= %(start)s AND obs_time < %(end)s;
