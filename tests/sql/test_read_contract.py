"""The read helpers (pollution_latest, pollution_at, route_exposure_now) return what the equivalent
plain query on pollution_grid returns; row ids are stable across a reload; the app's reads probe indexes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest

from aeris_lib.db.load import load_slice
from aeris_lib.db.migrate import apply_migrations
from aeris_lib.db.routes import recompute_route_exposure
from tests.support.db import saved_route
from tests.support.geotiff import NORTH, STEP, WEST, write_geotiff

HOURS = [datetime(2018, 5, 6, h, tzinfo=UTC) for h in (14, 15, 16)]
GASES = ("NO2", "O3")


@pytest.fixture
def loaded(scratch_url, tmp_path):
    """Three hours of NO2 and O3 over a 6 x 8 patch, alone in a database; a few NO2 cells flagged bad
    by the product."""
    conn = psycopg.connect(scratch_url)
    apply_migrations(conn)
    rng = np.random.default_rng(5)
    for gas in GASES:
        for index, hour in enumerate(HOURS):
            values = rng.uniform(1e15, 2e16, (6, 8)).astype(np.float32) if gas == "NO2" else (
                rng.uniform(200, 400, (6, 8)).astype(np.float32))  # fmt: skip
            flags = np.zeros((6, 8), dtype=np.float32)
            flags[2, 3] = 2  # the cell under the test point: bad in every NO2 hour ...
            flags[1, 1] = 1
            if index == 2:
                flags[2, 3] = 0  # ... except the latest
            bands = np.stack([values, flags]) if gas == "NO2" else values
            path = write_geotiff(tmp_path / f"{gas}-{index}.tif", bands)
            load_slice(conn, str(path), gas, hour)
    yield conn
    with conn.cursor() as cur:
        for gas in GASES:
            for hour in HOURS:
                cur.execute("SELECT table_name FROM obs_partition WHERE gas_type = %s AND obs_time = %s",
                            (gas, hour))  # fmt: skip
                cur.execute(f"DROP TABLE IF EXISTS {cur.fetchone()[0]}")
                cur.execute("DELETE FROM obs_partition WHERE gas_type = %s AND obs_time = %s", (gas, hour))
        cur.execute("DELETE FROM saved_routes WHERE name = 'contract'")
    conn.commit()
    conn.close()


def _all(conn, sql: str, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def test_pollution_latest_equals_max_timestamp_per_gas(loaded):
    helper = _all(
        loaded, "SELECT gas_type, timestamp FROM pollution_latest WHERE gas_type IN ('NO2', 'O3') ORDER BY 1"
    )
    plain = _all(
        loaded,
        "SELECT gas_type, max(timestamp) FROM pollution_grid WHERE gas_type IN ('NO2', 'O3') GROUP BY 1 ORDER BY 1",
    )
    assert helper == plain == [("NO2", HOURS[-1]), ("O3", HOURS[-1])]


@pytest.mark.parametrize("hour", [HOURS[0], None], ids=["given hour", "latest hour"])
def test_pollution_at_equals_the_plain_point_query(loaded, hour):
    lon, lat = WEST + 3.5 * STEP, NORTH - 2.5 * STEP  # the middle of row 2, column 3
    helper = _all(
        loaded,
        "SELECT gas_type, timestamp, pollution_value, severity_level, product_quality"
        " FROM pollution_at(%s, %s, %s) WHERE gas_type IN ('NO2', 'O3')",
        (lon, lat, hour),
    )
    plain = _all(
        loaded,
        "SELECT gas_type, timestamp, pollution_value, severity_level, product_quality FROM pollution_grid"
        " WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
        "   AND timestamp = coalesce(%s, (SELECT max(timestamp) FROM pollution_grid g"
        "                                  WHERE g.gas_type = pollution_grid.gas_type))"
        "   AND gas_type IN ('NO2', 'O3') AND product_quality <> 2 ORDER BY gas_type, pollution_value",
        (lon, lat, hour),
    )
    assert helper == plain
    # The NO2 cell there is bad in the first hour (left out) and good in the latest one.
    assert [row[0] for row in helper] == (["O3"] if hour else ["NO2", "O3"])


def test_a_point_on_a_cell_corner_returns_the_four_cells(loaded):
    rows = _all(
        loaded,
        "SELECT gas_type FROM pollution_at(%s, %s, %s, 'O3')",
        (WEST + 2 * STEP, NORTH - 2 * STEP, HOURS[1]),
    )
    assert rows == [("O3",)] * 4


def test_route_exposure_now_equals_the_stored_exposure_and_the_plain_query(loaded):
    route = saved_route(
        loaded, (WEST + 0.005, NORTH - 0.005), (WEST + 7 * STEP, NORTH - 5 * STEP), "contract"
    )
    loaded.commit()
    recompute_route_exposure(loaded, HOURS[-1], route_id=route)
    helper = _all(loaded, "SELECT * FROM route_exposure_now(%s) WHERE gas_type IN ('NO2', 'O3')", (route,))
    stored = _all(
        loaded,
        'SELECT gas_type, "timestamp", cell_count, avg_value, max_severity, mean_severity FROM route_exposure'
        ' WHERE route_id = %s AND "timestamp" = %s ORDER BY gas_type',
        (route, HOURS[-1]),
    )
    plain = _all(
        loaded,
        "SELECT g.gas_type, g.timestamp, count(*), avg(g.pollution_value), max(g.severity_level),"
        "       avg(g.severity_level::float8)"
        " FROM pollution_grid g, saved_routes r"
        " WHERE r.id = %s AND g.timestamp = %s AND g.gas_type IN ('NO2', 'O3') AND g.product_quality <> 2"
        "   AND ST_Intersects(g.geom, ST_MakeLine(ST_SetSRID(ST_MakePoint(r.origin_lon, r.origin_lat), 4326),"
        "                                        ST_SetSRID(ST_MakePoint(r.dest_lon, r.dest_lat), 4326)))"
        " GROUP BY 1, 2 ORDER BY 1",
        (route, HOURS[-1]),
    )
    assert len(helper) == 2 and helper[0][2] > 5
    for got, want_stored, want_plain in zip(helper, stored, plain, strict=True):
        assert got[:3] == want_stored[:3] == want_plain[:3]
        assert got[3:] == pytest.approx(want_stored[3:])
        assert got[3:] == pytest.approx(want_plain[3:])


def test_row_ids_are_unique_and_survive_a_reload(loaded, tmp_path):
    sql = "SELECT id, created_at FROM pollution_grid WHERE gas_type = 'O3' AND timestamp = %s ORDER BY id"
    before = _all(loaded, sql, (HOURS[0],))
    ids = _all(
        loaded, "SELECT count(*), count(DISTINCT id) FROM pollution_grid WHERE gas_type IN ('NO2', 'O3')"
    )
    assert ids[0][0] == ids[0][1] == 2 * 3 * 48
    values = np.full((6, 8), 300, dtype=np.float32)
    load_slice(loaded, str(write_geotiff(tmp_path / "again.tif", values)), "O3", HOURS[0])
    after = _all(loaded, sql, (HOURS[0],))
    assert [r[0] for r in after] == [r[0] for r in before]
    assert after[0][1] > before[0][1]  # created_at: when the slice now there was loaded


def test_values_are_stored_as_the_products_float32(loaded):
    rows = _all(loaded, "SELECT pg_typeof(pollution_value)::text, pollution_value FROM pollution_grid"
                        " WHERE gas_type = 'O3' AND timestamp = %s LIMIT 5", (HOURS[0],))  # fmt: skip
    assert {r[0] for r in rows} == {"double precision"}
    assert all(np.float32(r[1]) == r[1] for r in rows)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT pollution_value FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %(hour)s"
        " AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))",
        "SELECT avg(pollution_value) FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %(hour)s"
        " AND ST_Intersects(geom, ST_MakeEnvelope(%(lon)s, %(lat)s, %(lon)s + 0.05, %(lat)s + 0.05, 4326))",
    ],
    ids=["point", "box"],
)
def test_the_apps_reads_probe_the_slice_index_not_scan_it(loaded, query):
    with loaded.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # tiny test slices: ask whether the index CAN serve
        cur.execute("EXPLAIN " + query, {"hour": HOURS[1], "lon": WEST + 0.03, "lat": NORTH - 0.09})
        plan = "\n".join(r[0] for r in cur.fetchall())
    loaded.rollback()
    assert "_cell on pobs_no2_" in plan and "Seq Scan on pobs_" not in plan, plan
    scanned = set(re.findall(r" on (pobs_\w+)", plan))
    assert len(scanned) == 1, plan  # one partition: the hour's; the other hours and gases are pruned


def test_a_stored_cell_pays_only_for_what_varies_within_its_slice(loaded):
    columns = _all(
        loaded,
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = 'pollution_obs_no2'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    assert columns == [  # 24 bytes of data: gas, id and created_at come from the slice
        ("obs_time", "timestamp with time zone"),
        ("cell_id", "bigint"),
        ("value", "real"),
        ("severity", "smallint"),
        ("quality_flag", "smallint"),
    ]
