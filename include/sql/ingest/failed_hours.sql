-- (gas, hour) slices in a time window with a failed attempt. A load was tried, so CMR listed data for
-- the hour: it is a gap unless loaded since, even where no scan is expected by daylight (the day's
-- last scan runs past sunset over the bbox, and the hourly run loads what it lists).
SELECT DISTINCT gas_type, obs_time
FROM ingest_log
WHERE status IN ('failed', 'harmony_failed', 'quality_failed', 'not_published', 'circuit_open', 'wrong_version')
  AND obs_time >= %(start)s AND obs_time < %(end)s;
