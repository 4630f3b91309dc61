"""Is a gas-hour already published from what CMR lists for it now? Then asking Harmony again could only
give the same slice back: the hourly DAG (the reconcile of the event path, `aeris_tempo_events`) and the
events DAG itself (a duplicate message) stop there, before any job."""

from __future__ import annotations

import logging
from typing import Any

from aeris.config.connections import aeris_db
from aeris.config.settings import checked
from aeris.hooks import staging
from aeris.tasks import breaker

from aeris_lib import config
from aeris_lib.db import ledger
from aeris_lib.gas_hour import GasHour
from aeris_lib.publication import revisions_of

log = logging.getLogger(__name__)


def published_from(
    conn: Any, gas_hour: GasHour, publication: dict[str, Any], params: dict[str, Any] | None = None
) -> ledger.LastLoad | None:
    """The load the published slice came from, when it read exactly the granules (at the revisions)
    `publication` lists, for the same product, bbox and cell cap; else None (also when the run's
    `force_reload` param asks to load again)."""
    if (params or {}).get("force_reload"):
        return None
    last = ledger.last_load(conn, gas_hour.gas, gas_hour.hour)
    same = last is not None and last.same_source(
        revisions_of(publication), line=gas_hour.line, short_name=gas_hour.short_name, version=gas_hour.version,
        max_cells=checked(config.Region.from_env).max_cells, bbox=gas_hour.bbox,
    )  # fmt: skip
    return last if same else None


def unchanged_at_once(gas_hour: GasHour, publication: dict[str, Any], params: dict[str, Any]) -> str | None:
    """Why the gas-hour needs no Harmony job (its ledger row `unchanged` recorded), or None. Not while
    the slice's audit copy is missing (an S3 failure after its load): the load writes it again."""
    with aeris_db() as conn:
        last = published_from(conn, gas_hour, publication, params)
        if last is None or not staging.store().exists(staging.audit_key(gas_hour.gas, gas_hour.hour)):
            return None
        granules = [g["name"] for g in publication["granules"]]
        reason = (
            f"already published from the same {len(granules)} granule(s) at the same CMR revisions "
            f"(ledger row {last.log_id}, {last.status}); no Harmony job"
        )
        ledger.record_outcome(
            conn, gas_hour.gas, gas_hour.hour, ledger.UNCHANGED, reason, granules=granules,
            product=breaker.product_of(gas_hour),
        )  # fmt: skip
    log.info("%s %s: unchanged: %s", gas_hour.gas, gas_hour.hour.isoformat(), reason)
    return reason
