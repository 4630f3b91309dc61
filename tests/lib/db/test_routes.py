"""aeris_lib.db.routes: a saved route's exposure for an hour from the cells it crosses, and its score
moved on only by a newer hour. The set-based SQL against ST_Intersects: tests/lib/db/test_load.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from aeris_lib.db.load import load_slice
from aeris_lib.db.routes import latest_loaded_hour, recompute_route_exposure
from tests.support.db import saved_route
from tests.support.geotiff import NORTH, STEP, WEST, write_geotiff

HOUR = datetime(2032, 7, 8, 16, tzinfo=UTC)


@pytest.fixture
def route(conn):
    route_id = saved_route(
        conn, (WEST + 0.005, NORTH - 0.01), (WEST + 3 * STEP - 0.005, NORTH - 0.01), "routes"
    )
    conn.commit()
    yield route_id
    with conn.cursor() as cur:
        cur.execute("DELETE FROM route_exposure WHERE route_id = %s", (route_id,))
        cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))
    conn.commit()


def score(conn, route_id: int) -> float | None:
    with conn.cursor() as cur:
        cur.execute("SELECT last_computed_score FROM saved_routes WHERE id = %s", (route_id,))
        value = cur.fetchone()[0]
    conn.rollback()
    return value


def test_exposure_of_one_route_and_only_a_newer_hour_moves_its_score(conn, route, tmp_path):
    high = np.array([[2.5e16, 2.5e16, 2.5e16]], dtype=np.float32)  # hazardous: severity 4
    low = np.array([[1e15, 1e15, 1e15]], dtype=np.float32)  # good: severity 0
    load_slice(conn, str(write_geotiff(tmp_path / "new.tif", high)), "NO2", HOUR)
    load_slice(conn, str(write_geotiff(tmp_path / "old.tif", low)), "NO2", HOUR - timedelta(hours=1))
    assert latest_loaded_hour(conn) >= HOUR

    newer = recompute_route_exposure(conn, HOUR, route_id=route)
    assert (newer.hour, newer.routes_updated, newer.scores_updated) == (HOUR, 1, 1)
    with conn.cursor() as cur:
        cur.execute('SELECT gas_type, cell_count, max_severity FROM route_exposure WHERE route_id = %s'
                    ' AND "timestamp" = %s', (route, HOUR))  # fmt: skip
        assert cur.fetchall() == [("NO2", 3, 4)]
    conn.rollback()
    assert score(conn, route) == pytest.approx(100.0)

    older = recompute_route_exposure(conn, HOUR - timedelta(hours=1), route_id=route)
    assert older.routes_updated == 1 and older.scores_updated == 0  # history added, "now" kept
    assert score(conn, route) == pytest.approx(100.0)
