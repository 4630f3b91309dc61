-- Returns the grid_id of a raster lattice, registering it on first sight.
WITH inserted AS (
    INSERT INTO grid_spec (dx, dy, x_origin, y_origin)
    VALUES (%(dx)s, %(dy)s, %(x_origin)s, %(y_origin)s)
    ON CONFLICT (dx, dy, x_origin, y_origin) DO NOTHING
    RETURNING grid_id
)
SELECT grid_id FROM inserted
UNION ALL
SELECT grid_id FROM grid_spec
WHERE dx = %(dx)s AND dy = %(dy)s AND x_origin = %(x_origin)s AND y_origin = %(y_origin)s
LIMIT 1;
