-- Locks and returns the table currently holding a (gas, hour) slice, if any.
SELECT table_name FROM obs_partition
WHERE gas_type = %(gas)s AND obs_time = %(start)s
FOR UPDATE;
