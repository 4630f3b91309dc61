"""TaskFlow steps of `aeris_gap_report`: thin Airflow adapters around `aeris_lib.gaps`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aeris.config.connections import aeris_db
from aeris.config.settings import default_bbox, load_catalog
from airflow.sdk import task
from airflow.sdk.exceptions import AirflowSkipException

from aeris_lib.gaps import find_gaps
from aeris_lib.gases import GAS_NAMES

log = logging.getLogger(__name__)


@task
def report_gaps(**context: Any) -> list[dict[str, Any]]:
    """List the daytime hours of the last `days` days with no successful load, per gas."""
    params = context["params"]
    catalog = load_catalog()
    asked = params.get("gases") or list(GAS_NAMES)
    gases = [g for g in asked if catalog[g].verified]
    if len(gases) < len(asked):
        log.info("Not reported (no verified TEMPO product): %s", ",".join(g for g in asked if g not in gases))
    now = context.get("data_interval_end") or datetime.now(UTC)
    with aeris_db() as conn:
        gaps = find_gaps(conn, gases, now, params["days"], default_bbox())
    if not gaps:
        log.info(
            "No gaps: every daytime hour of the last %g day(s) loaded for %s", params["days"], ",".join(gases)
        )
    for hour, missing in gaps.items():
        log.info("gap: %s UTC missing %s", f"{hour:%Y-%m-%d %H}:00", ",".join(missing))
    log.info("%d gap hour(s), %d gas-hour(s) missing", len(gaps), sum(len(m) for m in gaps.values()))
    return [{"hour": hour.isoformat(), "gases": missing} for hour, missing in gaps.items()]


@task
def plan_refill(gaps: list[dict[str, Any]], **context: Any) -> list[dict[str, Any]]:
    """One aeris_tempo_hourly run per gap hour, asking only for the gases missing there."""
    if not context["params"]["refill"]:
        raise AirflowSkipException("refill is off: report only (trigger with refill=true to fill the gaps)")
    if not gaps:
        raise AirflowSkipException("no gaps to refill")
    log.info("Refilling %d hour(s): %s", len(gaps), ", ".join(g["hour"] for g in gaps))
    return [{"hour": gap["hour"], "gases": gap["gases"]} for gap in gaps]
