-- Registers a large rectangle of cells at bulk speed (a lattice's first sight): the indexes are dropped,
-- the rectangle's rows written (replacing any already there: a cell's polygon depends only on its id),
-- and the indexes rebuilt. One transaction: readers of grid_cell wait the few seconds until it commits.
-- The registration is the one writer grid_cell's guard lets delete (migration 0010).
SET LOCAL aeris.registering_cells = 'on';
ALTER TABLE grid_cell DROP CONSTRAINT grid_cell_pkey;
DROP INDEX grid_cell_geom_gist;
DELETE FROM grid_cell
WHERE cell_id >> 40 = %(grid_id)s
  AND ((cell_id >> 20) & 1048575) BETWEEN %(row_min)s AND %(row_max)s
  AND (cell_id & 1048575) BETWEEN %(col_min)s AND %(col_max)s;
INSERT INTO grid_cell (cell_id, geom)
SELECT (%(grid_id)s::bigint << 40) | (r::bigint << 20) | c::bigint,
       ST_MakeEnvelope(%(x_origin)s + c * %(dx)s, %(y_origin)s - (r + 1) * %(dy)s,
                       %(x_origin)s + (c + 1) * %(dx)s, %(y_origin)s - r * %(dy)s, 4326)
FROM generate_series(%(row_min)s::int, %(row_max)s::int) AS r,
     generate_series(%(col_min)s::int, %(col_max)s::int) AS c;
SET LOCAL aeris.registering_cells = 'off';
ALTER TABLE grid_cell ADD CONSTRAINT grid_cell_pkey PRIMARY KEY (cell_id);
CREATE INDEX grid_cell_geom_gist ON grid_cell USING gist (geom);
ANALYZE grid_cell;
