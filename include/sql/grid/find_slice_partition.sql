-- Locks and returns the table currently holding a (gas, hour) slice, its row count and product line, if any.
SELECT table_name, row_count, product_line FROM obs_partition
WHERE gas_type = %(gas)s AND obs_time = %(start)s
FOR UPDATE;
