ANALYZE {table}
