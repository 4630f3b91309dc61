"""`aeris_tempo_reprocess`'s search: hours whose slice came from a near-real-time product and whose
standard product now covers the hour in CMR. The loads reuse the hourly DAG's tasks (Harmony job,
download, write-audit-publish), with the standard product and `upgraded_from: nrt` for the ledger."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import task
from hooks.cmr import CmrHook
from tasks import catalog, settings
from tasks.connections import aeris_db

from aeris_lib.db.sql import load_sql
from aeris_lib.gases import NRT, STANDARD
from aeris_lib.publication import assess, search_window

log = logging.getLogger(__name__)
# The standard product is judged on its own coverage only: no deadline makes a partial hour "ready".
NO_DEADLINE = timedelta(days=3650)


@task
def find_upgrades(**context: Any) -> list[dict[str, Any]]:
    """The (gas, hour)s to load again from the standard product, oldest first, at most `max_hours`."""
    params = context["params"]
    gases, bbox = settings.run_gases_and_bbox(params)
    entries = settings.load_catalog()
    lines = [entries[g] for g in gases if entries[g].has_nrt and entries[g].verified]
    since = datetime.now(UTC) - timedelta(days=float(params["days"]))
    with aeris_db() as conn:
        with conn.cursor() as cur:
            cur.execute(load_sql("grid/nrt_slices.sql"), {"gases": [e.gas for e in lines], "since": since})
            candidates = cur.fetchall()
        if not candidates:
            log.info("No hour of %s loaded from a near-real-time product since %s: nothing to upgrade",
                     ",".join(e.gas for e in lines) or "(no gas with an NRT product)", since.isoformat())  # fmt: skip
            return []
        resolved = catalog.resolve(conn, lines, since, bbox, {e.gas: STANDARD for e in lines})
    standard = {gas_hour.gas: gas_hour for gas_hour in resolved}
    hook, now = CmrHook(), datetime.now(UTC)
    upgrades: list[dict[str, Any]] = []
    for gas, hour in candidates:
        if len(upgrades) >= int(params["max_hours"]):
            log.info("Reached max_hours=%s; the remaining hours wait for the next run", params["max_hours"])
            break
        product = standard[gas]
        listed = hook.granules(product.collection_id, *search_window(hour), bbox)
        decision = assess(hour, listed, now=now, deadline=now + NO_DEADLINE)
        if decision.state != "ready" or not decision.complete:
            log.info("%s %s: standard product not published yet (%s)", gas, hour.isoformat(), decision.reason)
            continue
        log.info("%s %s: %s published: %s", gas, hour.isoformat(), product.label, decision.reason)
        listing = {"granules": [g.to_dict() for g in decision.granules], "complete": True}
        upgrades.append(replace(product, hour=hour, upgraded_from=NRT, publication=listing).to_xcom())
    log.info(
        "%d of %d near-real-time hour(s) to upgrade to the standard product", len(upgrades), len(candidates)
    )
    return upgrades
