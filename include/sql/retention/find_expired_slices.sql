-- (gas, hour) slices of one gas older than the cutoff, with their rows and on-disk size.
SELECT gas_type, obs_time, table_name, row_count, pg_total_relation_size(to_regclass(table_name)) AS bytes
FROM obs_partition
WHERE gas_type = %(gas)s AND obs_time < %(cutoff)s
ORDER BY obs_time;
