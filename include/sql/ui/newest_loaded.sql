-- The newest hour of each gas with a published slice in [start, end) (its map is the newest shown).
SELECT gas_type, max(obs_time) FROM ingest_log
WHERE status IN ('success', 'unchanged', 'kept_standard') AND obs_time >= %(start)s AND obs_time < %(end)s
GROUP BY gas_type;
