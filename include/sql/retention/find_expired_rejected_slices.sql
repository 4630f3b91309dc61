-- Slice tables rejected by the data-quality checks whose hour is older than the gas's retention cutoff.
SELECT r.gas_type, r.obs_time, r.table_name,
       coalesce((SELECT c.reltuples::bigint FROM pg_class c WHERE c.oid = to_regclass(r.table_name)), 0),
       coalesce(pg_total_relation_size(to_regclass(r.table_name)), 0)
FROM rejected_slice r
WHERE r.gas_type = %(gas)s AND r.obs_time < %(cutoff)s
ORDER BY r.obs_time;
