-- The current (gas, hour) slice when the last successful load of that slice read the same source file
-- (sha256) with the same max_cells and its partition is still there: a rerun has nothing to write.
SELECT p.table_name, l.rows_written, l.cells_read, l.cells_skipped, l.cells_flagged
FROM ingest_log l
JOIN obs_partition p ON p.gas_type = l.gas_type AND p.obs_time = l.obs_time
WHERE l.id = (SELECT max(id) FROM ingest_log
              WHERE gas_type = %(gas)s AND obs_time = %(hour)s AND status = 'success')
  AND l.source_sha256 = %(sha256)s
  AND l.max_cells IS NOT DISTINCT FROM %(max_cells)s;
