-- The table holding the published (gas, hour) slice, with the valid-cell count of its last good load.
SELECT p.table_name,
       (SELECT coalesce(cells_read - cells_skipped, 0) FROM ingest_log
         WHERE gas_type = p.gas_type AND obs_time = p.obs_time AND status IN ('success', 'unchanged')
           AND rows_written IS NOT NULL  -- a load, not the reconcile's `unchanged` row (nothing read)
         ORDER BY id DESC LIMIT 1)
FROM obs_partition p
WHERE p.gas_type = %(gas)s AND p.obs_time = %(hour)s;
