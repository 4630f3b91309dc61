-- Finds a registered extent of the grid that already covers the requested rectangle of cells.
SELECT 1
FROM grid_extent
WHERE grid_id = %(grid_id)s
  AND row_min <= %(row_min)s AND row_max >= %(row_max)s
  AND col_min <= %(col_min)s AND col_max >= %(col_max)s
LIMIT 1;
