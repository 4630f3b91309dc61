"""Data-quality checks of a (gas, hour) slice, each with a name and the numbers behind it.

The loader runs them on the new slice table *before* it is swapped in (write, audit, publish): a
failed check leaves the published slice as it was. One SQL pass over the slice gathers the figures
(include/sql/quality/slice_figures.sql); the polygon checks are answered from the lattice when it
covers the slice, else row by row. A failed check says which check and how many rows are wrong, so
the task log alone explains the failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from aeris_lib.db.sql import load_sql, slice_table
from aeris_lib.thresholds import POLLUTION_THRESHOLDS


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


def check_table(
    cur: Any,
    table: str,
    gas: str,
    bbox: tuple[float, float, float, float],
    *,
    valid_in_source: int,
    published_rows: int | None = None,
) -> list[CheckResult]:
    """Checks of the slice in `table` (a generated name, never user input).

    :param valid_in_source: non-fill cells the source file had.
    :param published_rows: rows of the slice users see now, when `table` would replace it: a new
        slice with no rows must not wipe a published one (an all-fill file after a good one).
    """
    edges = [float(np.float32(v)) for v in POLLUTION_THRESHOLDS[gas].values()]
    west, south, east, north = bbox
    box = {"west": west, "south": south, "east": east, "north": north}
    cur.execute(
        load_sql("quality/slice_figures.sql").format(table=slice_table(cur, table)),
        {f"t{i}": edge for i, edge in enumerate(edges, start=1)},
    )
    rows, non_finite, wrong_severity, duplicates, *span = cur.fetchone()
    invalid, outside = _polygon_figures(cur, table, rows, span, box)
    results = [
        CheckResult(
            "rows_loaded",
            rows > 0 or valid_in_source == 0,
            f"{rows:,} rows; the source had {valid_in_source:,} valid (non-fill) cells",
        ),
        CheckResult("values_finite", non_finite == 0, f"{non_finite:,} NaN/inf values"),
        CheckResult(
            "severity_matches_thresholds",
            wrong_severity == 0,
            f"{wrong_severity:,} rows with a severity outside 0-4 or not matching its value",
        ),
        CheckResult("geometries_valid", invalid == 0, f"{invalid:,} missing or invalid cell polygons"),
        CheckResult(
            "inside_requested_bbox",
            outside == 0,
            f"{outside:,} cells outside the requested bbox {list(bbox)}",
        ),
        CheckResult("no_duplicate_cells", duplicates == 0, f"{duplicates:,} duplicated cells"),
    ]
    if published_rows is not None:
        results.append(
            CheckResult(
                "keeps_published_rows",
                rows > 0 or published_rows == 0,
                f"{rows:,} new rows would replace the {published_rows:,} rows published for this hour",
            )
        )
    return results


def _polygon_figures(cur: Any, table: str, rows: int, span: list, box: dict) -> tuple[int, int]:
    """(cells with a missing or invalid polygon, cells outside the bbox). From the lattice when it can
    vouch for the whole slice (a few index lookups); else row by row (~4 s per native CONUS slice),
    which also gives the exact numbers a failed check reports."""
    if rows == 0:
        return 0, 0
    grid_min, grid_max, row_min, row_max, col_min, col_max = span
    if grid_min == grid_max:
        lattice = {"grid_id": grid_min, "row_min": row_min, "row_max": row_max,
                   "col_min": col_min, "col_max": col_max, **box}  # fmt: skip
        cur.execute(load_sql("quality/slice_cells_on_lattice.sql"), lattice)
        covered, corners_inside = cur.fetchone()
        corners = 1 if (row_min, col_min) == (row_max, col_max) else 2
        if covered and corners_inside == corners:
            return 0, 0
    cur.execute(load_sql("quality/slice_cells_exact.sql").format(table=slice_table(cur, table)), box)
    return cur.fetchone()


def check_slice(
    conn: Any, gas: str, hour: datetime, bbox: tuple[float, float, float, float]
) -> list[CheckResult]:
    """Checks of the published (gas, hour) slice; empty when the hour has none."""
    with conn.cursor() as cur:
        cur.execute(load_sql("quality/published_slice.sql"), {"gas": gas, "hour": hour})
        row = cur.fetchone()
        results = [] if row is None else check_table(cur, row[0], gas, bbox, valid_in_source=row[1] or 0)
    conn.rollback()  # read-only
    return results
