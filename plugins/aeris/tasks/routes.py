"""The app-facing end of `aeris_tempo_hourly`: saved-route exposure and Redis `tempo:last_update`.

The app's "now" only moves forward: a backfill, a gap refill or a cleared old run adds history
(`route_exposure` rows of its hour) but never moves a route's current score or `tempo:last_update`
back in time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aeris.config.connections import REDIS_CONN_ID, aeris_db
from airflow.sdk import task
from airflow.sdk.exceptions import AirflowSkipException

from aeris_lib.db.routes import latest_loaded_hour, recompute_route_exposure

log = logging.getLogger(__name__)

LAST_UPDATE_KEY = "tempo:last_update"
LAST_UPDATE_TTL_S = 3600
# Compare and set in one step inside Redis (no race between two runs): the value is an ISO 8601 UTC
# hour, all written in the same format, so string order is time order.
ADVANCE_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current and current >= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return ARGV[1]
"""


@task(trigger_rule="all_done", multiple_outputs=False)
def recompute_saved_route_exposure(loads: list[dict[str, Any]]) -> dict[str, Any]:
    """Exposure of every saved route for the hour, once at least one gas loaded; a route's current
    score moves only if this hour is at least as new as the one it came from. Then the app's "now",
    Redis `tempo:last_update`, advances (`publish_last_update`): in this task's process, as a task of
    its own would cost more than the one Redis call."""
    # Airflow hands over None when every gas was skipped, and a bare dict when only one gas loaded.
    loaded = [item for item in ([loads] if isinstance(loads, dict) else loads or []) if item]
    if not loaded:
        raise AirflowSkipException("no gas loaded for this hour: nothing to recompute")
    hour = datetime.fromisoformat(loaded[0]["hour"])
    with aeris_db() as conn:
        result = recompute_route_exposure(conn, hour)
        newest = latest_loaded_hour(conn)
    log.info(
        "Exposure of %d saved routes for %s (%s) in %.2f s; current scores updated for %d route(s)%s",
        result.routes_updated, hour.isoformat(), ", ".join(f"{i['gas']}={i['rows']:,}" for i in loaded),
        result.duration_s, result.scores_updated,
        f" (the newest hour loaded is {newest.isoformat()}: this one only adds history)"
        if newest and newest > hour else "",
    )  # fmt: skip
    recomputed = {
        "hour": hour.isoformat(),
        "newest_hour": (newest or hour).astimezone(UTC).isoformat(),
        "routes_updated": result.routes_updated,
        "scores_updated": result.scores_updated,
        "gases": {i["gas"]: i["rows"] for i in loaded},
    }
    publish_last_update(recomputed)
    return recomputed


@task(trigger_rule="all_done", multiple_outputs=False)
def recompute_hours(loads: list[dict[str, Any]] | None) -> dict[str, int]:
    """Exposure of every saved route for each hour a load wrote (the reprocess DAG's upgrades, the
    events DAG's hours); then Redis `tempo:last_update` advances to the newest hour loaded, if newer."""
    loaded = [
        i for i in ([loads] if isinstance(loads, dict) else loads or []) if i and i["status"] == "success"
    ]
    if not loaded:
        raise AirflowSkipException("no hour was written: nothing to recompute")
    done = {}
    with aeris_db() as conn:
        for hour in sorted({i["hour"] for i in loaded}):
            result = recompute_route_exposure(conn, datetime.fromisoformat(hour))
            done[hour] = result.routes_updated
            log.info("Exposure of %d saved routes for %s recomputed in %.2f s (%d current scores moved)",
                     result.routes_updated, hour, result.duration_s, result.scores_updated)  # fmt: skip
        newest = latest_loaded_hour(conn)
    hour = max(done)
    publish_last_update(
        {"hour": hour, "newest_hour": (newest.astimezone(UTC).isoformat() if newest else hour)}
    )
    return done


def publish_last_update(recomputed: dict[str, Any]) -> None:
    """Advance Redis `tempo:last_update` to the newest hour loaded (TTL 1 h); never move it back.
    Redis being down is a warning, not a failed ingest."""
    from airflow.providers.redis.hooks.redis import RedisHook

    candidate = max(recomputed["hour"], recomputed["newest_hour"])
    try:
        client = RedisHook(redis_conn_id=REDIS_CONN_ID).get_conn()
        value = client.eval(ADVANCE_SCRIPT, 1, LAST_UPDATE_KEY, candidate, LAST_UPDATE_TTL_S)
    except Exception as error:  # any client/connection error: the data is loaded either way
        log.warning(
            "Could not set Redis %s (%s: %s); the data is loaded",
            LAST_UPDATE_KEY,
            type(error).__name__,
            error,
        )
        return
    value = value.decode() if isinstance(value, bytes) else value
    if value == candidate:
        log.info("Redis %s = %s (TTL %d s)", LAST_UPDATE_KEY, value, LAST_UPDATE_TTL_S)
    else:
        log.info("Redis %s stays %s: newer than %s", LAST_UPDATE_KEY, value, candidate)
