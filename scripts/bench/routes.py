"""(d) route exposure: the set-based recompute vs a per-route loop of ST_Intersects queries; both must
write identical rows."""

from __future__ import annotations

import io
import math
import time

import numpy as np
import psycopg

from aeris_lib.db.routes import recompute_route_exposure
from scripts.bench import HOUR


def make_routes(
    url: str, count: int, bbox: tuple[float, ...], km: tuple[float, float], seed: int = 11
) -> None:
    """`count` straight routes `km` long, wholly inside `bbox` (a degree in from its edges, if it can)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = bbox
    margin = min(1.0, (east - west) / 4, (north - south) / 4)
    routes = []
    while len(routes) < count:
        lon, lat = rng.uniform(west + margin, east - margin), rng.uniform(south + margin, north - margin)
        length, bearing = rng.uniform(*km), rng.uniform(0, 2 * math.pi)
        dlat = length * math.cos(bearing) / 111.0
        dlon = length * math.sin(bearing) / (111.0 * math.cos(math.radians(lat)))
        if west <= lon + dlon <= east and south <= lat + dlat <= north:
            routes.append((f"bench route {len(routes)}", lon, lat, lon + dlon, lat + dlat))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE saved_routes, route_exposure")
        buffer = io.StringIO("".join("\t".join(map(str, r)) + "\n" for r in routes))
        with cur.copy(
            "COPY saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())


def exposure_rows(url: str, route_ids: list[int]) -> list[tuple]:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT e.route_id, e.gas_type, e.cell_count, round(e.avg_value::numeric, 3), e.max_severity,"
            "       round(e.mean_severity::numeric, 9), round(s.last_computed_score::numeric, 9)"
            " FROM route_exposure e JOIN saved_routes s ON s.id = e.route_id"
            " WHERE e.route_id = ANY(%s) ORDER BY 1, 2",
            (route_ids,),
        )
        return cur.fetchall()


PER_ROUTE_QUERY = """
SELECT gas_type, count(*), avg(pollution_value), max(severity_level), avg(severity_level::float8)
FROM pollution_grid
WHERE timestamp = %(hour)s
  AND ST_Intersects(geom, (SELECT COALESCE(geom, ST_MakeLine(ST_SetSRID(ST_MakePoint(origin_lon, origin_lat), 4326),
                                                          ST_SetSRID(ST_MakePoint(dest_lon, dest_lat), 4326)))
                           FROM saved_routes WHERE id = %(route_id)s))
GROUP BY gas_type
"""


def per_route_loop(conn, route_ids: list[int]) -> None:
    """The straightforward alternative: per route, one ST_Intersects query over pollution_grid
    (GIST index), then its exposure rows and score written back."""
    with conn.cursor() as cur:
        cur.execute("SET jit = off")
        for route_id in route_ids:
            cur.execute(PER_ROUTE_QUERY, {"hour": HOUR, "route_id": route_id})
            rows = cur.fetchall()
            for gas, cells, avg_value, max_severity, mean_severity in rows:
                cur.execute(
                    "INSERT INTO route_exposure (route_id, gas_type, timestamp, cell_count, avg_value,"
                    " max_severity, mean_severity) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (route_id, gas, HOUR, cells, avg_value, max_severity, mean_severity),
                )
            if rows:
                score = 25 * sum(r[4] for r in rows) / len(rows)
                cur.execute(
                    "UPDATE saved_routes SET last_computed_score = %s, last_updated_at = now() WHERE id = %s",
                    (score, route_id),
                )
            conn.commit()


def recompute(url: str, routes: int, loop_routes: int, bbox: tuple[float, ...], km: tuple[float, float]
              ) -> tuple[float, float, bool]:  # fmt: skip
    make_routes(url, routes, bbox, km)
    conn = psycopg.connect(url)
    started = time.perf_counter()
    result = recompute_route_exposure(conn, HOUR)
    set_seconds = time.perf_counter() - started
    # Routes lying wholly under clouds (fill) have no cells with data and keep their old score.
    assert result.routes_updated > 0.5 * routes, result
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM saved_routes ORDER BY id LIMIT %s", (loop_routes,))
        sample = [row[0] for row in cur.fetchall()]
    conn.commit()
    set_based = exposure_rows(url, sample)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM route_exposure WHERE route_id = ANY(%s)", (sample,))
        cur.execute("UPDATE saved_routes SET last_computed_score = NULL WHERE id = ANY(%s)", (sample,))
    conn.commit()
    started = time.perf_counter()
    per_route_loop(conn, sample)
    loop_seconds = time.perf_counter() - started
    conn.close()
    identical = exposure_rows(url, sample) == set_based
    return routes / set_seconds, len(sample) / loop_seconds, identical
