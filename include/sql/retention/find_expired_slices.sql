-- (gas, hour) slices of one gas older than the cutoff, with their rows, on-disk size and the saved
-- routes' exposure rows computed from them (which go with the slice).
SELECT p.gas_type, p.obs_time, p.table_name, p.row_count,
       pg_total_relation_size(to_regclass(p.table_name)) AS bytes,
       (SELECT count(*) FROM route_exposure e
         WHERE e.gas_type = p.gas_type AND e."timestamp" = p.obs_time) AS exposure_rows
FROM obs_partition p
WHERE p.gas_type = %(gas)s AND p.obs_time < %(cutoff)s
ORDER BY p.obs_time;
