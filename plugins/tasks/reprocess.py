"""`aeris_tempo_reprocess`'s search: hours whose slice came from a near-real-time product and whose
standard product now covers the hour in CMR. The loads reuse the hourly DAG's tasks (Harmony job,
download, write-audit-publish), with the standard product and `upgraded_from: nrt` for the ledger."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException
from hooks.cmr import CmrHook

from aeris_lib import run_params
from aeris_lib.db.migrate import apply_migrations
from aeris_lib.db.sql import load_sql
from aeris_lib.gases import NRT, STANDARD
from aeris_lib.publication import assess, search_window
from tasks import catalog, tempo
from tasks.connections import aeris_db

log = logging.getLogger(__name__)
# The standard product is judged on its own coverage only: no deadline makes a partial hour "ready".
NO_DEADLINE = timedelta(days=3650)


@task
def find_upgrades(**context: Any) -> list[dict[str, Any]]:
    """The (gas, hour)s to load again from the standard product, oldest first, at most `max_hours`."""
    params = context["params"]
    try:
        gases = run_params.run_gases(params.get("gases"), tempo.default_gases())
        bbox = [float(v) for v in run_params.run_bbox(params.get("bbox"), tempo.default_bbox())]
    except run_params.RunParamError as error:
        raise AirflowFailException(str(error)) from None
    entries = tempo.load_catalog()
    lines = [entries[g] for g in gases if entries[g].has_nrt and entries[g].verified]
    with aeris_db() as conn:
        apply_migrations(conn)
        with conn.cursor() as cur:
            since = datetime.now(UTC) - timedelta(days=float(params["days"]))
            cur.execute(load_sql("grid/nrt_slices.sql"), {"gases": [e.gas for e in lines], "since": since})
            candidates = cur.fetchall()
    if not candidates:
        log.info("No hour of %s loaded from a near-real-time product since %s: nothing to upgrade",
                 ",".join(e.gas for e in lines) or "(no gas with an NRT product)", since.isoformat())  # fmt: skip
        return []
    standard = {p["gas"]: p for p in catalog.resolve(lines, {e.gas: STANDARD for e in lines})}
    hook, now = CmrHook(), datetime.now(UTC)
    upgrades: list[dict[str, Any]] = []
    for gas, hour in candidates:
        if len(upgrades) >= int(params["max_hours"]):
            log.info("Reached max_hours=%s; the remaining hours wait for the next run", params["max_hours"])
            break
        product = standard[gas]
        listed = hook.granules(product["collection_id"], *search_window(hour), bbox)
        decision = assess(hour, listed, now=now, deadline=now + NO_DEADLINE)
        if decision.state != "ready" or not decision.complete:
            log.info("%s %s: standard product not published yet (%s)", gas, hour.isoformat(), decision.reason)
            continue
        log.info("%s %s: %s published: %s", gas, hour.isoformat(), product["product"], decision.reason)
        upgrades.append({
            **product, "hour": hour.isoformat(), "bbox": bbox, "upgraded_from": NRT,
            "publication": {"granules": [g.to_dict() for g in decision.granules], "complete": True},
        })  # fmt: skip
    log.info(
        "%d of %d near-real-time hour(s) to upgrade to the standard product", len(upgrades), len(candidates)
    )
    return upgrades
