-- Data-quality figures of one slice table ({table}: a candidate before it is attached, or a published
-- partition), in one pass over its rows; aeris_lib/quality.py turns them into named checks. Expected
-- severity recomputes each value's level from the thresholds passed in (float32-rounded, as the loader
-- compares TEMPO's values). The bounds of the cell ids (lattice, rows, columns) let the polygon checks
-- be answered from the lattice (slice_cells_on_lattice.sql) instead of from every row's polygon.
SELECT
    count(*)                                                                            AS row_count,
    count(*) FILTER (WHERE value IN ('NaN', 'Infinity', '-Infinity'))                   AS non_finite_values,
    count(*) FILTER (WHERE severity NOT BETWEEN 0 AND 4
                        OR severity <> (value >= %(t1)s)::int + (value >= %(t2)s)::int
                                     + (value >= %(t3)s)::int + (value >= %(t4)s)::int) AS wrong_severity,
    count(*) - count(DISTINCT cell_id)                                                  AS duplicate_cells,
    min(cell_id >> 40)                                                                  AS grid_min,
    max(cell_id >> 40)                                                                  AS grid_max,
    min((cell_id >> 20) & 1048575)                                                      AS row_min,
    max((cell_id >> 20) & 1048575)                                                      AS row_max,
    min(cell_id & 1048575)                                                              AS col_min,
    max(cell_id & 1048575)                                                              AS col_max
FROM {table};
