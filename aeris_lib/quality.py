"""Data-quality checks of a loaded (gas, hour) slice, each with a name and the numbers behind it.

One SQL pass (include/sql/quality/slice_checks.sql) gathers the figures; a failed check says which
check, for which slice, and how many rows are wrong, so the task log alone explains the failure.
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


def check_slice(
    conn: Any, gas: str, hour: datetime, bbox: tuple[float, float, float, float]
) -> list[CheckResult]:
    edges = [float(np.float32(v)) for v in POLLUTION_THRESHOLDS[gas].values()]
    west, south, east, north = bbox
    params = {"gas": gas, "hour": hour, "west": west, "south": south, "east": east, "north": north,
              **{f"t{i}": edge for i, edge in enumerate(edges, start=1)}}  # fmt: skip
    with conn.cursor() as cur:
        cur.execute(load_sql("quality/slice_checks.sql"), params)
        rows, valid_in_source, non_finite, wrong_severity, invalid, outside, duplicates = cur.fetchone()
    conn.rollback()  # read-only
    return [
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
