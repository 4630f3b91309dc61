"""Saved-route exposure: one set-based statement per hour (include/sql/routes/)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aeris_lib.db.sql import load_sql, statements

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
        cur.execute(load_sql("routes/count_saved_routes.sql"), {"route_id": route_id})
        many = cur.fetchone()[0] >= ONE_PASS_MIN_ROUTES
        for setting in statements("routes/plan_many_routes.sql" if many else "routes/plan_few_routes.sql"):
            cur.execute(setting)
        cur.execute(load_sql("routes/recompute_route_exposure.sql"), {"hour": hour, "route_id": route_id})
        routes, scores = cur.fetchone()
    conn.commit()
    return RecomputeResult(hour, routes, time.monotonic() - started, scores)
