-- Records the table that now holds a (gas, hour) slice.
INSERT INTO obs_partition (gas_type, obs_time, table_name, row_count)
VALUES (%(gas)s, %(start)s, %(table)s, %(rows)s)
ON CONFLICT (gas_type, obs_time) DO UPDATE
    SET table_name = EXCLUDED.table_name, row_count = EXCLUDED.row_count, loaded_at = now();
