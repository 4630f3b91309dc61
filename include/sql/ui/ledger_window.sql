-- The latest ledger outcome of each (gas, hour) in [start, end), with its product and, for a load, where
-- it came from (line, granules, request shape, bytes moved), for the AERIS view.
SELECT DISTINCT ON (gas_type, obs_time) gas_type, obs_time, status, coalesce(error_message, ''),
       trim(coalesce(short_name, '') || ' ' || coalesce(version, '')),
       coalesce(product_line, ''), coalesce(granules, '{}'), coalesce(request_shape, ''), bytes_moved
FROM ingest_log
WHERE obs_time >= %(start)s AND obs_time < %(end)s AND status <> 'running'
ORDER BY gas_type, obs_time, id DESC;
