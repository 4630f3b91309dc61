-- Records the table that now holds a (gas, hour) slice, and the product (line, short name, version) it came from.
INSERT INTO obs_partition (gas_type, obs_time, table_name, row_count, product_line, short_name, version)
VALUES (%(gas)s, %(start)s, %(table)s, %(rows)s, %(product_line)s, %(short_name)s, %(version)s)
ON CONFLICT (gas_type, obs_time) DO UPDATE
    SET table_name = EXCLUDED.table_name, row_count = EXCLUDED.row_count,
        product_line = EXCLUDED.product_line, short_name = EXCLUDED.short_name,
        version = EXCLUDED.version, loaded_at = now();
