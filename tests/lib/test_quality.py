"""Data-quality checks against the real PostGIS: a clean slice passes; each check fails on a slice
corrupted on purpose, naming the check and the numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from aeris_lib.db.load import load_slice
from aeris_lib.quality import check_slice
from aeris_lib.thresholds import POLLUTION_THRESHOLDS
from tests.support.geotiff import FILL, NORTH, STEP, WEST, write_geotiff

pytestmark = pytest.mark.integration

HOUR = datetime(2019, 7, 1, 15, tzinfo=UTC)
BBOX = (WEST, NORTH - 10 * STEP, WEST + 10 * STEP, NORTH)


@pytest.fixture
def loaded(conn, tmp_path):
    values = np.random.default_rng(1).uniform(1e15, 2.5e16, (10, 10)).astype(np.float32)
    result = load_slice(conn, str(write_geotiff(tmp_path / "no2.tif", values)), "NO2", HOUR)
    return result.table_name


def failures(conn) -> dict[str, str]:
    return {r.name: r.detail for r in check_slice(conn, "NO2", HOUR, BBOX) if not r.passed}


def corrupt(conn, sql: str, *params) -> None:
    with conn.cursor() as cur:
        cur.execute(sql, params)
    conn.commit()


def test_clean_slice_passes_every_check(conn, loaded):
    results = check_slice(conn, "NO2", HOUR, BBOX)
    assert [r.name for r in results] == [
        "rows_loaded", "values_finite", "severity_matches_thresholds", "geometries_valid",
        "inside_requested_bbox", "no_duplicate_cells",
    ]  # fmt: skip
    assert all(r.passed for r in results), results


def test_values_finite(conn, loaded):
    corrupt(
        conn, f"UPDATE {loaded} SET value = 'NaN' WHERE cell_id IN (SELECT cell_id FROM {loaded} LIMIT 3)"
    )
    bad = failures(conn)
    assert bad["values_finite"] == "3 NaN/inf values"
    assert set(bad) <= {"values_finite", "severity_matches_thresholds"}  # NaN has no level either


def test_severity_matches_thresholds(conn, loaded):
    hazardous = POLLUTION_THRESHOLDS["NO2"]["hazardous"]
    corrupt(
        conn,
        f"UPDATE {loaded} SET value = %s, severity = 0 WHERE cell_id = (SELECT min(cell_id) FROM {loaded})",
        hazardous * 2,
    )
    assert failures(conn) == {
        "severity_matches_thresholds": "1 rows with a severity outside 0-4 or not matching its value"
    }


def test_no_duplicate_cells(conn, loaded):
    corrupt(
        conn,
        f"INSERT INTO {loaded} (cell_id, value, severity) SELECT cell_id, value, severity FROM {loaded} LIMIT 2",
    )
    assert failures(conn) == {"no_duplicate_cells": "2 duplicated cells"}


def test_inside_requested_bbox(conn, loaded):
    # The slice covers 10 x 10 cells; ask whether it fits a box of the north-west 5 x 5 only.
    small = (WEST, NORTH - 5 * STEP + 0.001, WEST + 5 * STEP - 0.001, NORTH)
    bad = {r.name: r.detail for r in check_slice(conn, "NO2", HOUR, small) if not r.passed}
    assert bad == {"inside_requested_bbox": f"75 cells outside the requested bbox {list(small)}"}


def test_geometries_valid(conn, loaded):
    with conn.cursor() as cur:
        cur.execute(f"SELECT cell_id FROM {loaded} LIMIT 1")
        cell_id = cur.fetchone()[0]
        cur.execute("SELECT geom FROM grid_cell WHERE cell_id = %s", (cell_id,))
        original = cur.fetchone()[0]
    conn.commit()
    try:  # a self-intersecting "bow tie" in place of the cell's rectangle
        corrupt(
            conn,
            "UPDATE grid_cell"
            " SET geom = ST_GeomFromText('POLYGON((-100 36, -99.98 35.98, -99.98 36, -100 35.98, -100 36))', 4326)"
            " WHERE cell_id = %s",
            cell_id,
        )
        assert failures(conn) == {"geometries_valid": "1 missing or invalid cell polygons"}
    finally:
        corrupt(conn, "UPDATE grid_cell SET geom = %s WHERE cell_id = %s", original, cell_id)


def test_rows_loaded_unless_all_fill(conn, loaded, tmp_path):
    corrupt(conn, f"DELETE FROM {loaded}")
    assert failures(conn) == {"rows_loaded": "0 rows; the source had 100 valid (non-fill) cells"}
    load_slice(conn, str(write_geotiff(tmp_path / "fill.tif", np.full((10, 10), FILL))), "NO2", HOUR)
    assert failures(conn) == {}  # an all-fill source legitimately loads nothing
