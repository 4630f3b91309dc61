-- Creates the polygon of every cell in a rectangle of a lattice; cells already present are kept.
INSERT INTO grid_cell (cell_id, geom)
SELECT (%(grid_id)s::bigint << 40) | (r::bigint << 20) | c::bigint,
       ST_MakeEnvelope(%(x_origin)s + c * %(dx)s, %(y_origin)s - (r + 1) * %(dy)s,
                       %(x_origin)s + (c + 1) * %(dx)s, %(y_origin)s - r * %(dy)s, 4326)
FROM generate_series(%(row_min)s::int, %(row_max)s::int) AS r,
     generate_series(%(col_min)s::int, %(col_max)s::int) AS c
ON CONFLICT (cell_id) DO NOTHING;
