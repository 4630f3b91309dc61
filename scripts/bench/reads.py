"""(f) of `make bench`: the app's reads on pollution_grid, after 1 and after N stored gas-hours.

The first hour is the NO2 slice the loader benchmark left; the other hours are copies of it at later
hours, written through the loader's own slice SQL (create, fill in cell order, index, register,
attach), so they are stored exactly as loaded ones. Each read is timed from this client, as the app
would see it: the median of 9 runs after 2 warm-up runs, each run at another place.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg

from aeris_lib.db.load import slice_literals
from aeris_lib.db.sql import load_sql, slice_table

WARM, RUNS = 2, 9
# Places inside the synthetic CONUS field: cities, so a box is a "city box".
PLACES = [(-87.63, 41.88), (-95.37, 29.76), (-104.99, 39.74), (-112.07, 33.45), (-84.39, 33.75),
          (-122.33, 47.61), (-90.07, 29.95), (-97.74, 30.27), (-81.69, 41.50), (-111.89, 40.76),
          (-77.04, 38.91)]  # fmt: skip

POINT = (
    "SELECT pollution_value, severity_level FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %(hour)s"
    " AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))"
)
LATEST = "SELECT timestamp FROM pollution_latest WHERE gas_type = 'NO2'"
MAX_ON_VIEW = "SELECT max(timestamp) FROM pollution_grid WHERE gas_type = 'NO2'"
LATEST_POINT = "SELECT pollution_value, severity_level FROM pollution_at(%(lon)s, %(lat)s, NULL, 'NO2')"
BOX = (
    "SELECT count(*), avg(pollution_value), max(severity_level) FROM pollution_grid"
    " WHERE gas_type = 'NO2' AND timestamp = %(hour)s"
    " AND ST_Intersects(geom, ST_MakeEnvelope(%(lon)s - 0.25, %(lat)s - 0.25, %(lon)s + 0.25, %(lat)s + 0.25, 4326))"
)
ROUTE = "SELECT * FROM route_exposure_now(%(route)s)"


def _median_ms(cur, sql: str, params: list[dict]) -> float:
    timings = []
    for index in range(WARM + RUNS):
        started = time.perf_counter()
        cur.execute(sql, params[index % len(params)])
        cur.fetchall()
        if index >= WARM:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _routes(cur) -> list[int]:
    """Routes of about 100 km from each place, heading north-east."""
    ids = []
    for lon, lat in PLACES:
        cur.execute(
            "INSERT INTO saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat)"
            " VALUES ('bench read', %s, %s, %s, %s) RETURNING id",
            (lon, lat, lon + 0.8, lat + 0.5),
        )
        ids.append(cur.fetchone()[0])
    return ids


def _reads(cur, hour: datetime, routes: list[int]) -> dict[str, float]:
    places = [{"hour": hour, "lon": lon, "lat": lat} for lon, lat in PLACES]
    return {
        "latest_ms": _median_ms(cur, LATEST, [{}]),
        "point_ms": _median_ms(cur, POINT, places),
        "latest_point_ms": _median_ms(cur, LATEST_POINT, places),
        "bbox_ms": _median_ms(cur, BOX, places),
        "route_ms": _median_ms(cur, ROUTE, [{"route": r} for r in routes]),
    }


def _once_ms(cur, sql: str) -> float:
    started = time.perf_counter()
    cur.execute(sql)
    cur.fetchall()
    return (time.perf_counter() - started) * 1000


def _copy_slice(cur, source: str, hour: datetime, rows: int) -> str:
    """Another NO2 hour holding the source slice's cells, stored the way the loader stores a slice."""
    table = f"pobs_no2_{hour:%Y%m%d%H}_{secrets.token_hex(4)}"  # a name the loader would make
    literals = slice_literals(cur, table, "NO2", hour)
    cur.execute(load_sql("grid/create_slice_table.sql").format(**literals))
    cur.execute(f"INSERT INTO {literals['table']} (cell_id, value, severity, quality_flag)"
                f" SELECT cell_id, value, severity, quality_flag FROM {slice_table(cur, source)}")  # fmt: skip
    cur.execute(load_sql("grid/index_slice_table.sql").format(**literals))
    cur.execute(
        load_sql("grid/register_slice_partition.sql"),
        {
            "gas": "NO2",
            "start": hour,
            "table": table,
            "rows": rows,
            "product_line": "standard",
            "short_name": "TEMPO_NO2_L3",
            "version": "V04",
        },
    )
    cur.execute(load_sql("grid/attach_slice_partition.sql").format(**literals))
    cur.execute(f"ANALYZE {literals['table']}")
    return table


def read_benchmark(url: str, first_hour: datetime, hours: int, say: Callable[[str], None]) -> str:
    conn = psycopg.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, row_count FROM obs_partition WHERE gas_type = 'NO2' AND obs_time = %s",
                    (first_hour,))  # fmt: skip
        source, rows = cur.fetchone()
        cur.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_total_relation_size('grid_cell')",
                    (source, source))  # fmt: skip
        total, heap, dictionary = cur.fetchone()
        bytes_per_cell = total / rows
        say(f"(f) storage: {rows:,} cells in {total / 1e6:.0f} MB = {bytes_per_cell:.1f} bytes per cell "
            f"(heap {heap / rows:.1f}, index {(total - heap) / rows:.1f}); the cell dictionary (geometry, "
            f"stored once for every hour) holds {dictionary / 1e6:.0f} MB")  # fmt: skip
        routes = _routes(cur)
        one = _reads(cur, first_hour, routes)
        one["max_on_view_ms"] = _once_ms(cur, MAX_ON_VIEW)
        say("(f) reads with 1 hour stored: " + " ".join(f"{k}={v:.1f}" for k, v in one.items()))

        started = time.perf_counter()
        cur.execute("SELECT pg_current_wal_lsn()")
        lsn = cur.fetchone()[0]
        for k in range(1, hours):
            _copy_slice(cur, source, first_hour + timedelta(hours=k), rows)
        cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (lsn,))
        wal_per_hour = float(cur.fetchone()[0]) / max(hours - 1, 1)
        say(f"(f) stored {hours - 1} more NO2 hours in {time.perf_counter() - started:.0f} s; "
            f"WAL {wal_per_hour / 1e6:.0f} MB per gas-hour")  # fmt: skip
        many = _reads(cur, first_hour, routes)
        many["max_on_view_ms"] = _once_ms(cur, MAX_ON_VIEW)
        say(f"(f) reads with {hours} hours stored: " + " ".join(f"{k}={v:.1f}" for k, v in many.items()))
        say(
            "    max_on_view_ms: the app's old `max(timestamp)` on pollution_grid itself, which PostgreSQL "
            "cannot answer from an index through the view's join; pollution_latest answers it (latest_ms)"
        )
        cur.execute("DELETE FROM saved_routes WHERE name = 'bench read'")
    conn.close()
    return (
        f"READ hours={hours} latest_ms={many['latest_ms']:.1f} point_ms={many['point_ms']:.1f}"
        f" latest_point_ms={many['latest_point_ms']:.1f} bbox_ms={many['bbox_ms']:.1f}"
        f" route_ms={many['route_ms']:.1f} bytes_per_cell={bytes_per_cell:.1f}"
    )
