"""Saved-route exposure: one set-based statement per hour (include/sql/routes/)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aeris_lib.db.sql import load_sql

log = logging.getLogger(__name__)

# From this many routes on, one pass over the hour's partitions (hash join) beats probing the slices'
# index cell by cell: measured 8 s vs 20 s for 10,000 routes, while the pass costs ~6 s for four
# native CONUS gases even with a single route, which the probes answer in milliseconds.
ONE_PASS_MIN_ROUTES = 2_000


@dataclass(frozen=True)
class RecomputeResult:
    hour: datetime | None
    routes_updated: int  # routes with exposure rows for the hour (history)
    duration_s: float
    scores_updated: int = 0  # routes whose current score now comes from this hour (older hours: 0)


def latest_loaded_hour(conn: Any) -> datetime | None:
    with conn.cursor() as cur:
        cur.execute(load_sql("routes/latest_loaded_hour.sql"))
        return cur.fetchone()[0]


def recompute_route_exposure(
    conn: Any, hour: datetime | None = None, route_id: int | None = None
) -> RecomputeResult:
    """Update route_exposure for `hour` (default: latest hour with data), and the saved routes' current
    scores unless they already come from a newer hour.

    :param route_id: limit to one route (the per-route loop in the benchmark); None = all routes.
    Few routes (< ONE_PASS_MIN_ROUTES) probe the slices' index; many take one pass over the hour.
    """
    started = time.monotonic()
    hour = hour or latest_loaded_hour(conn)
    if hour is None:
        log.info("No loaded hour yet: no route exposure to compute")
        return RecomputeResult(None, 0, 0.0)
    with conn.cursor() as cur:
        # Skip JIT, whose compile time (~0.9 s measured) exceeds what it saves here.
        cur.execute("SET LOCAL jit = off")
        cur.execute(load_sql("routes/count_saved_routes.sql"), {"route_id": route_id})
        if cur.fetchone()[0] >= ONE_PASS_MIN_ROUTES:
            # One big hash aggregate over every route's cells: memory instead of temp files.
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute("SET LOCAL enable_bitmapscan = off")
        else:
            # The planner cannot count the cells a route crosses (generate_series) and would sort the
            # hour's millions of rows for a merge join: few routes probe the index instead.
            cur.execute("SET LOCAL enable_hashjoin = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
        cur.execute(load_sql("routes/recompute_route_exposure.sql"), {"hour": hour, "route_id": route_id})
        routes, scores = cur.fetchone()
    conn.commit()
    return RecomputeResult(hour, routes, time.monotonic() - started, scores)
