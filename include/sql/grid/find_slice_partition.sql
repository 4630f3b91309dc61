-- Locks and returns the table currently holding a (gas, hour) slice and its row count, if any.
SELECT table_name, row_count FROM obs_partition
WHERE gas_type = %(gas)s AND obs_time = %(start)s
FOR UPDATE;
