-- Records that every cell of this rectangle of the lattice exists in grid_cell.
INSERT INTO grid_extent (grid_id, row_min, row_max, col_min, col_max)
VALUES (%(grid_id)s, %(row_min)s, %(row_max)s, %(col_min)s, %(col_max)s)
ON CONFLICT DO NOTHING;
