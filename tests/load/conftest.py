"""Tiny hand-built GeoTIFFs on the TEMPO 0.02° lattice, and a connection to the real PostGIS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg2
import pytest
import rasterio
from rasterio.transform import from_origin

from aeris_lib.db.migrate import apply_migrations

FILL = np.float32(-1e30)
WEST, NORTH, STEP = -100.0, 36.0, 0.02  # on the TEMPO lattice (cell edges every 0.02° from -168, 14)


def write_geotiff(
    path: Path,
    values: np.ndarray,
    *,
    west: float = WEST,
    north: float = NORTH,
    step: float = STEP,
    crs: str = "EPSG:4326",
    nodata: float | None = float(FILL),
) -> Path:
    values = np.asarray(values, dtype=np.float32)
    bands = values if values.ndim == 3 else values[np.newaxis]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=bands.shape[2],
        height=bands.shape[1],
        count=bands.shape[0],
        dtype="float32",
        crs=crs,
        transform=from_origin(west, north, step, step),
        nodata=nodata,
    ) as dst:
        dst.write(bands)
    return path


@pytest.fixture
def conn(database_url):
    connection = psycopg2.connect(database_url)
    apply_migrations(connection)
    yield connection
    connection.close()


def slice_rows(conn, gas: str, hour) -> list[tuple]:
    """(xmin, ymin, xmax, ymax, npoints, value, severity) of a slice, north-west first."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom), ST_NPoints(geom),"
            "       pollution_value, severity_level"
            " FROM pollution_grid WHERE gas_type = %s AND timestamp = %s"
            " ORDER BY ST_YMax(geom) DESC, ST_XMin(geom)",
            (gas, hour),
        )
        rows = cur.fetchall()
    conn.rollback()
    return rows


def ledger(conn, gas: str, hour) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT status, rows_written, cells_read, cells_skipped, coalesce(error_message, '')"
            " FROM ingest_log WHERE gas_type = %s AND obs_time = %s ORDER BY id",
            (gas, hour),
        )
        rows = cur.fetchall()
    conn.rollback()
    return rows


@pytest.fixture(scope="module")
def scratch_url(database_url, request):
    """A database of its own for a test module whose answers depend on everything stored (latest
    hours, whole-table reads), dropped afterwards."""
    from urllib.parse import urlsplit

    name = "aeris_scratch_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    yield urlsplit(database_url)._replace(path=f"/{name}").geturl()
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()
