"""TEMPO's own quality flag travels from the granule to the table beside the project's outlier flag,
and route exposure leaves out the cells the product calls bad."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from aeris_lib.db.load import load_slice
from aeris_lib.db.routes import recompute_route_exposure
from aeris_lib.merge import merge_granules
from tests.support.db import saved_route
from tests.support.geotiff import FILL, NORTH, STEP, WEST, write_geotiff

HOUR = datetime(2019, 2, 3, 16, tzinfo=UTC)


def _flags(db, hour) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute(
            "SELECT round(ST_XMin(geom)::numeric, 2), pollution_value, quality_flag, implausible, product_quality"
            " FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %s ORDER BY ST_XMin(geom)",
            (hour,),
        )
        rows = cur.fetchall()
    db.rollback()
    return rows


def test_two_band_geotiff_stores_the_product_flag_beside_the_outlier_flag(conn, tmp_path):
    values = np.array([[1e15, 2e15, 3e15, 5e17, 4e15]], dtype=np.float32)  # 5e17: physically implausible
    flags = np.array([[0, 1, 2, 2, FILL]], dtype=np.float32)  # the last: no flag for a valid value
    path = write_geotiff(tmp_path / "no2.tif", np.stack([values, flags]))
    result = load_slice(conn, str(path), "NO2", HOUR)
    assert result.rows_written == 5 and result.cells_flagged == 1  # only the project's outliers count
    rows = _flags(conn, HOUR)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        (0, False, 0),
        (2, False, 1),  # suspect: kept and marked
        (4, False, 2),  # bad
        (5, True, 2),  # implausible and bad
        (0, False, 0),
    ]


def test_route_exposure_leaves_out_bad_cells(conn, tmp_path):
    hour = HOUR.replace(hour=17)
    values = np.array([[1e15, 2e15, 3e15]], dtype=np.float32)
    flags = np.array([[0, 1, 2]], dtype=np.float32)
    load_slice(conn, str(write_geotiff(tmp_path / "no2.tif", np.stack([values, flags]))), "NO2", hour)
    # A route along the row's middle, across all three cells.
    route_id = saved_route(
        conn, (WEST + 0.001, NORTH - STEP / 2), (WEST + 3 * STEP - 0.001, NORTH - STEP / 2), "flags"
    )
    conn.commit()
    try:
        recompute_route_exposure(conn, hour, route_id)
        with conn.cursor() as cur:
            cur.execute("SELECT cell_count, avg_value FROM route_exposure WHERE route_id = %s", (route_id,))
            assert cur.fetchone() == (2, pytest.approx(1.5e15))  # the bad 3e15 cell is not used
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM route_exposure WHERE route_id = %s", (route_id,))
            cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))
        conn.commit()


def test_merging_two_scans_keeps_the_worst_flag(tmp_path):
    import rasterio

    a = write_geotiff(tmp_path / "a.tif", np.stack([np.array([[1.0, 2.0, FILL]]), np.array([[0, 2, FILL]])]))
    b = write_geotiff(tmp_path / "b.tif", np.stack([np.array([[3.0, FILL, 5.0]]), np.array([[1, FILL, 0]])]))
    with rasterio.open(merge_granules([str(a), str(b)], tmp_path / "m.tif")) as merged:
        assert merged.count == 2
        assert merged.read(1).tolist() == [[2.0, 2.0, 5.0]]
        assert merged.read(2).tolist() == [[1.0, 2.0, 0.0]]
