-- Data-quality figures of one slice table ({table}: a candidate before it is attached, or a published
-- partition); aeris_lib/quality.py turns them into named checks. expected severity recomputes each
-- value's level from the thresholds passed in (float32-rounded, as the loader compares TEMPO's values).
WITH slice AS (
    SELECT o.cell_id, o.value, o.severity, c.geom
    FROM {table} o
    LEFT JOIN grid_cell c ON c.cell_id = o.cell_id
)
SELECT
    (SELECT count(*) FROM slice)                                                        AS row_count,
    (SELECT count(*) FROM slice WHERE value IN ('NaN', 'Infinity', '-Infinity'))        AS non_finite_values,
    (SELECT count(*) FROM slice
      WHERE severity NOT BETWEEN 0 AND 4
         OR severity <> (value >= %(t1)s)::int + (value >= %(t2)s)::int
                         + (value >= %(t3)s)::int + (value >= %(t4)s)::int)              AS wrong_severity,
    (SELECT count(*) FROM slice WHERE geom IS NULL OR NOT ST_IsValid(geom))             AS invalid_geometries,
    (SELECT count(*) FROM slice
      WHERE NOT ST_Intersects(geom, ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326))) AS outside_bbox,
    (SELECT count(*) - count(DISTINCT cell_id) FROM slice)                              AS duplicate_cells;
