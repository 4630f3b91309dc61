-- Published slices of these gases since a time, oldest first: product line and version, and the CMR
-- revisions of the granules their last load read (success or unchanged).
SELECT p.gas_type, p.obs_time, p.product_line, p.version,
       (SELECT l.granule_revisions FROM ingest_log l
        WHERE l.gas_type = p.gas_type AND l.obs_time = p.obs_time AND l.status IN ('success', 'unchanged')
          AND l.rows_written IS NOT NULL  -- a load, not the reconcile's `unchanged` row (nothing read)
        ORDER BY l.id DESC LIMIT 1) AS granule_revisions
FROM obs_partition p
WHERE p.gas_type = ANY(%(gases)s) AND p.obs_time >= %(since)s
ORDER BY p.obs_time, p.gas_type;
