-- The latest ledger outcome of each (gas, hour) in [start, end), for the AERIS view.
SELECT DISTINCT ON (gas_type, obs_time) gas_type, obs_time, status, coalesce(error_message, '')
FROM ingest_log
WHERE obs_time >= %(start)s AND obs_time < %(end)s AND status <> 'running'
ORDER BY gas_type, obs_time, id DESC;
