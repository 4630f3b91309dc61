-- (gas, hour) slices in a time window that are not gaps: loaded (success, unchanged), or known to have
-- no data (no_scan, no_product). The complement of these among the daytime hours is the gap report.
SELECT DISTINCT gas_type, obs_time
FROM ingest_log
WHERE status IN ('success', 'unchanged', 'no_scan', 'no_product') AND obs_time >= %(start)s AND obs_time < %(end)s;
