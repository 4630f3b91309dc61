"""Data-quality checks of a (gas, hour) slice, each with a name and the numbers behind it.

The loader runs them on the new slice table *before* it is swapped in (write, audit, publish): a
failed check leaves the published slice as it was. One SQL pass (include/sql/quality/slice_checks.sql)
gathers the figures; a failed check says which check and how many rows are wrong, so the task log
alone explains the failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from aeris_lib.db.sql import load_sql
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
    params = {"west": west, "south": south, "east": east, "north": north,
              **{f"t{i}": edge for i, edge in enumerate(edges, start=1)}}  # fmt: skip
    cur.execute(load_sql("quality/slice_checks.sql").format(table=table), params)
    rows, non_finite, wrong_severity, invalid, outside, duplicates = cur.fetchone()
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
