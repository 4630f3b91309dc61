-- The polygon figures of a slice row by row, for a slice the lattice cannot vouch for (cells outside
-- every registered rectangle, or beyond the requested bbox): exact counts for the failure message.
SELECT
    count(*) FILTER (WHERE c.geom IS NULL OR NOT ST_IsValid(c.geom))                             AS invalid_geometries,
    count(*) FILTER (WHERE NOT ST_Intersects(c.geom, ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326))) AS outside_bbox
FROM {table} o
LEFT JOIN grid_cell c ON c.cell_id = o.cell_id;
