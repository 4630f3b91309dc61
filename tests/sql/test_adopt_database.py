"""Pointing AERIS at the app's existing database: the original schema, built with its own DDL and
filled the way the original pipeline wrote it, is adopted by the migrations; twice is the same as once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest

from aeris_lib.db.load import load_slice
from aeris_lib.db.migrate import apply_migrations, discover
from aeris_lib.db.routes import recompute_route_exposure
from tests.support.geotiff import NORTH, STEP, WEST, write_geotiff

ORIGINAL_DDL = Path(__file__).with_name("original_schema.sql").read_text()
OLD_HOURS = [datetime(2025, 7, 1, h, tzinfo=UTC) for h in (15, 16)]
NEW_HOUR = datetime(2025, 7, 2, 15, tzinfo=UTC)

LEGACY_ROWS = """
SELECT id, "timestamp", gas_type, ST_AsText(geom), pollution_value, severity_level, created_at
FROM {table} ORDER BY id
"""
ROUTE_COLUMNS = "id, user_id, origin_lat, origin_lon, dest_lat, dest_lon, created_at"


def _original_database(url: str) -> None:
    """The original schema, and rows as its Celery task inserted them: one polygon per pixel."""
    conn = psycopg.connect(url)
    with conn.cursor() as cur:
        cur.execute(ORIGINAL_DDL)
        for gas, base in (("NO2", 1e15), ("O3", 250.0)):
            for hour in OLD_HOURS:
                for row in range(4):
                    for col in range(5):
                        west, north = WEST + col * STEP, NORTH - row * STEP
                        cur.execute(
                            "INSERT INTO pollution_grid (timestamp, gas_type, geom, pollution_value, severity_level)"
                            " VALUES (%s, %s, ST_GeomFromText(%s, 4326), %s, %s)",
                            (hour, gas, f"POLYGON(({west} {north - STEP}, {west + STEP} {north - STEP}, "
                             f"{west + STEP} {north}, {west} {north}, {west} {north - STEP}))",
                             base * (1 + row + col), (row + col) % 5),
                        )  # fmt: skip
        cur.executemany(
            "INSERT INTO saved_routes (user_id, origin_lat, origin_lon, dest_lat, dest_lon) VALUES (%s, %s, %s, %s, %s)",
            [
                (7, NORTH - 0.01, WEST + 0.01, NORTH - 0.07, WEST + 0.09),
                (8, NORTH - 0.03, WEST, NORTH - 0.03, WEST + 0.1),
            ],
        )
    conn.commit()
    conn.close()


def _rows(conn, sql: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def _schema(conn) -> list[tuple]:
    """Every column, index, view and function of the public schema, and every table's row count."""
    shape = _rows(
        conn,
        "SELECT 'column', table_name || '.' || column_name, data_type || coalesce(is_nullable, '')"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        " UNION ALL SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = 'public'"
        " UNION ALL SELECT 'function', proname, pg_get_functiondef(oid) FROM pg_proc"
        "   WHERE pronamespace = 'public'::regnamespace AND prokind = 'f' AND proname NOT LIKE 'st\\_%'"
        " ORDER BY 1, 2, 3",
    )
    tables = [
        r[0] for r in _rows(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    ]
    counts = [(t, _rows(conn, f'SELECT count(*) FROM "{t}"')[0][0]) for t in tables]
    return shape + counts


@pytest.fixture(scope="module")
def adopted(scratch_url):
    _original_database(scratch_url)
    conn = psycopg.connect(scratch_url)
    before = {
        "grid": _rows(conn, LEGACY_ROWS.format(table="pollution_grid")),
        "routes": _rows(conn, f"SELECT {ROUTE_COLUMNS} FROM saved_routes ORDER BY id"),
        "route_types": _rows(
            conn,
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_name = 'saved_routes' ORDER BY ordinal_position",
        ),
    }
    applied = apply_migrations(conn)
    yield conn, before, applied
    conn.close()


def test_every_migration_applies_to_the_original_database(adopted):
    _, _, applied = adopted
    assert applied == [m.name for m in discover()]


def test_the_original_rows_stay_readable_through_pollution_grid(adopted):
    conn, before, _ = adopted
    assert len(before["grid"]) == 2 * 2 * 20
    assert _rows(conn, LEGACY_ROWS.format(table="pollution_grid")) == before["grid"]
    assert _rows(conn, LEGACY_ROWS.format(table="pollution_grid_legacy")) == before["grid"]
    indexes = {
        r[0]
        for r in _rows(conn, "SELECT indexname FROM pg_indexes WHERE tablename = 'pollution_grid_legacy'")
    }
    assert {"ix_pollution_grid_gas_type", "idx_pollution_grid_time_gas", "idx_pollution_grid_geom"} <= indexes
    # The app's point read still finds an old cell, through the old table's own GiST index.
    point = _rows(
        conn,
        "SELECT gas_type, pollution_value FROM pollution_grid WHERE timestamp = %s"
        " AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY gas_type",
        (OLD_HOURS[0], WEST + 1.5 * STEP, NORTH - 0.5 * STEP),
    )
    assert point == [("NO2", 2e15), ("O3", 500.0)]


def test_saved_routes_only_gains_nullable_columns(adopted):
    conn, before, _ = adopted
    assert _rows(conn, f"SELECT {ROUTE_COLUMNS} FROM saved_routes ORDER BY id") == before["routes"]
    now = _rows(conn, "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                      " WHERE table_name = 'saved_routes' ORDER BY ordinal_position")  # fmt: skip
    assert now[: len(before["route_types"])] == before["route_types"]  # the app's columns, untouched
    added = now[len(before["route_types"]) :]
    assert {c[0] for c in added} == {"name", "geom", "score_hour"}
    assert all(c[2] == "YES" for c in added)
    with conn.cursor() as cur:  # the app inserts routes as it always did, without a name
        cur.execute("INSERT INTO saved_routes (user_id, origin_lat, origin_lon, dest_lat, dest_lon)"
                    " VALUES (9, 35.9, -99.9, 35.95, -99.95) RETURNING id")  # fmt: skip
        assert cur.fetchone()[0] > 2
    conn.rollback()


def test_the_pipeline_loads_and_scores_the_apps_routes_after_adoption(adopted, tmp_path):
    conn, _, _ = adopted
    values = np.full((6, 8), 1.2e16, dtype=np.float32)
    load_slice(conn, str(write_geotiff(tmp_path / "no2.tif", values)), "NO2", NEW_HOUR)
    result = recompute_route_exposure(conn, NEW_HOUR)
    assert (result.routes_updated, result.scores_updated) == (2, 2)
    scores = _rows(
        conn, "SELECT id, last_computed_score IS NOT NULL, score_hour FROM saved_routes ORDER BY id"
    )
    assert scores == [(1, True, NEW_HOUR), (2, True, NEW_HOUR)]
    assert _rows(conn, "SELECT max(timestamp) FROM pollution_grid WHERE gas_type = 'NO2'") == [(NEW_HOUR,)]


def test_adopting_twice_changes_nothing(adopted):
    conn, _, _ = adopted
    before = _schema(conn)
    assert apply_migrations(conn) == []
    assert _schema(conn) == before
