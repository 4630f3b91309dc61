-- What the published (gas, hour) slice was loaded from: the last load (success or unchanged) of it, while
-- its partition is still there; the reconcile's own `unchanged` rows read nothing, so they are not loads.
SELECT l.id, l.status, l.granule_revisions, l.product_line, l.short_name, l.version, l.max_cells, l.request_bbox
FROM ingest_log l
JOIN obs_partition p ON p.gas_type = l.gas_type AND p.obs_time = l.obs_time
WHERE l.id = (SELECT max(id) FROM ingest_log
              WHERE gas_type = %(gas)s AND obs_time = %(hour)s AND status IN ('success', 'unchanged')
                AND rows_written IS NOT NULL);
