COPY {table} (cell_id, value, severity, quality_flag) FROM STDIN WITH (FORMAT binary)
