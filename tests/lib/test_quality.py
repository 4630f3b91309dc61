"""Data-quality checks against the real PostGIS: a clean slice passes; each check fails on a slice
corrupted on purpose, naming the check and the numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from aeris_lib.db.load import load_slice
from aeris_lib.db.sql import load_sql
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
    # A cell in the lattice's last row (a thousand degrees south), beyond every registered rectangle:
    # it has no polygon.
    corrupt(
        conn,
        f"INSERT INTO {loaded} (cell_id, value, severity)"
        f" SELECT ((cell_id >> 40) << 40) | (1048575::bigint << 20) | (cell_id & 1048575), value, severity"
        f" FROM {loaded} ORDER BY cell_id LIMIT 1",
    )
    assert failures(conn) == {"geometries_valid": "1 missing or invalid cell polygons"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE grid_cell SET geom = ST_GeomFromText("
        "'POLYGON((-100 36, -99.98 35.98, -99.98 36, -100 35.98, -100 36))', 4326)"
        " WHERE cell_id = (SELECT min(cell_id) FROM grid_cell)",
        "DELETE FROM grid_cell WHERE cell_id = (SELECT min(cell_id) FROM grid_cell)",
        "TRUNCATE grid_cell CASCADE",
    ],
)
def test_registered_polygons_cannot_be_changed(conn, loaded, statement):
    """The lattice vouches for a slice's polygons only because nothing rewrites them after registration."""
    with conn.cursor() as cur, pytest.raises(Exception, match=r"grid_cell: \w+ refused") as refused:
        cur.execute(statement)
    conn.rollback()
    assert "registered once" in str(refused.value)


def test_lattice_figures_equal_row_by_row_figures(conn, loaded):
    """The checks answered from the lattice (a clean slice) give what reading every polygon gives,
    for boxes that hold the slice, cut it, touch its edge or miss it."""
    from aeris_lib.quality import _polygon_figures

    rng = np.random.default_rng(7)
    boxes = [BBOX, (WEST - 1, NORTH - 20 * STEP, WEST + 20 * STEP, NORTH + 1),
             (WEST + 10 * STEP, NORTH - 10 * STEP, WEST + 12 * STEP, NORTH)]  # fmt: skip
    for _ in range(20):
        x, y = WEST + rng.uniform(-3, 12) * STEP, NORTH - rng.uniform(-3, 12) * STEP
        boxes.append((x, y - rng.uniform(0.5, 14) * STEP, x + rng.uniform(0.5, 14) * STEP, y))
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*), min(cell_id >> 40), max(cell_id >> 40), min((cell_id >> 20) & 1048575),"
            f" max((cell_id >> 20) & 1048575), min(cell_id & 1048575), max(cell_id & 1048575) FROM {loaded}"
        )
        rows, *span = cur.fetchone()
        from_lattice = 0
        for west, south, east, north in boxes:
            box = {"west": west, "south": south, "east": east, "north": north}
            cur.execute(load_sql("quality/slice_cells_exact.sql").format(table=loaded), box)
            exact = tuple(cur.fetchone())
            recording = _Recording(cur)
            assert tuple(_polygon_figures(recording, loaded, rows, span, box)) == exact, box
            row_by_row = any(loaded in statement for statement in recording.statements)
            assert row_by_row == (exact != (0, 0)), box  # the lattice answers whenever all is well
            from_lattice += not row_by_row
    conn.rollback()
    assert from_lattice >= 2  # BBOX and the larger box hold the slice


class _Recording:
    def __init__(self, cur):
        self.cur, self.statements = cur, []
        self.connection = cur.connection

    def execute(self, statement, params=None):
        self.statements.append(statement)
        return self.cur.execute(statement, params)

    def fetchone(self):
        return self.cur.fetchone()


def test_rows_loaded_unless_all_fill(conn, loaded, tmp_path):
    corrupt(conn, f"DELETE FROM {loaded}")
    assert failures(conn) == {"rows_loaded": "0 rows; the source had 100 valid (non-fill) cells"}
    load_slice(conn, str(write_geotiff(tmp_path / "fill.tif", np.full((10, 10), FILL))), "NO2", HOUR)
    assert failures(conn) == {}  # an all-fill source legitimately loads nothing
