-- Whether a slice's cells, known by the rectangle of lattice rows and columns they span, all have
-- their polygon and all touch the requested bbox, without reading a polygon per row:
--   * covered: a registered rectangle (grid_extent) holds the span, so every cell's polygon exists,
--     and is its lattice rectangle (grid_cell refuses any change after registration, migration 0010);
--   * corners_inside: lattice cells touching a box form a rectangle of rows x columns, so every cell
--     of the span touches the bbox when its first and last corner cells do.
SELECT
    EXISTS (SELECT 1 FROM grid_extent
            WHERE grid_id = %(grid_id)s
              AND row_min <= %(row_min)s AND row_max >= %(row_max)s
              AND col_min <= %(col_min)s AND col_max >= %(col_max)s)                  AS covered,
    (SELECT count(*) FROM grid_cell
     WHERE cell_id IN ((%(grid_id)s::bigint << 40) | (%(row_min)s::bigint << 20) | %(col_min)s::bigint,
                       (%(grid_id)s::bigint << 40) | (%(row_max)s::bigint << 20) | %(col_max)s::bigint)
       AND ST_Intersects(geom, ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326))) AS corners_inside;
