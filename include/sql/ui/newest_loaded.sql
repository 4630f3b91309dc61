-- The newest hour of each gas with a published slice at or before %(until)s (its map is the newest).
SELECT gas_type, max(obs_time) FROM ingest_log
WHERE status IN ('success', 'unchanged', 'kept_standard') AND obs_time <= %(until)s
GROUP BY gas_type;
