"""A raster lattice's registration: its `grid_spec` row (the grid id in every cell_id) and the
polygons of its cells (`grid_cell`), written once per extent so slices store only cell ids."""

from __future__ import annotations

import logging
import time
from typing import Any

from aeris_lib.db.sql import load_sql, statements
from aeris_lib.raster import RasterInfo

log = logging.getLogger(__name__)

GRID_LOCK_NAMESPACE = 7_341_003
# Below this many new cells, registering in place is quick enough (and never blocks readers).
BULK_REGISTER_MIN_CELLS = 200_000


def ensure_grid(conn: Any, info: RasterInfo) -> int:
    """Grid id for the raster's lattice, with every cell of its extent present (own transaction)."""
    spec = info.spec
    with conn.cursor() as cur:
        row = None
        while row is None:  # None when a concurrent loader registered the same lattice meanwhile
            cur.execute(load_sql("grid/upsert_grid_spec.sql"), spec.__dict__)
            row = cur.fetchone()
        grid_id = row[0]
        extent = {
            "grid_id": grid_id,
            "row_min": info.row_offset,
            "row_max": info.row_offset + info.out_rows - 1,
            "col_min": info.col_offset,
            "col_max": info.col_offset + info.out_cols - 1,
        }
        cur.execute(load_sql("grid/lock_grid.sql"), {"namespace": GRID_LOCK_NAMESPACE, "grid_id": grid_id})
        cur.execute(load_sql("grid/find_covering_extent.sql"), extent)
        if cur.fetchone() is None:
            register_cells(cur, extent, spec.__dict__)
            cur.execute(load_sql("grid/insert_grid_extent.sql"), extent)
    conn.commit()
    return grid_id


def register_cells(cur: Any, extent: dict[str, int], spec: dict[str, Any]) -> None:
    """Write the polygons of the extent's cells. A rectangle larger than every cell registered so far
    (a lattice's first sight: CONUS is 3.8 M cells) is written with the indexes dropped and rebuilt,
    ~4x faster than maintaining the GiST index row by row; smaller ones are added in place."""
    cells = (extent["row_max"] - extent["row_min"] + 1) * (extent["col_max"] - extent["col_min"] + 1)
    cur.execute(load_sql("grid/grid_cell_estimate.sql"))
    registered = cur.fetchone()[0]
    bulk = cells >= BULK_REGISTER_MIN_CELLS and registered < cells
    started = time.monotonic()
    params = {**extent, **spec}
    for statement in statements("grid/bulk_insert_grid_cells.sql" if bulk else "grid/insert_grid_cells.sql"):
        cur.execute(statement, params if "%(" in statement else None)
    elapsed = time.monotonic() - started
    log.info("Registered %s grid cells in %.1f s (%s cells/s%s)", f"{cells:,}", elapsed,
             f"{cells / max(elapsed, 1e-6):,.0f}", ", indexes rebuilt" if bulk else "")  # fmt: skip
