"""What the AERIS view reads, server-side (the api-server has the metadata DB and the connections)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aeris.config.connections import view_db
from aeris.hooks import staging

from aeris_lib import breaker as breaker_state
from aeris_lib.db import waits
from aeris_lib.gases import DEFAULT_CATALOG, build_catalog
from aeris_lib.overview import Overview, load_overview, window_end

log = logging.getLogger(__name__)

MAP_SUFFIX = ".png"


def _variables(prefix: str) -> dict[str, str]:
    """Airflow Variables whose key starts with `prefix` (the metadata DB, as the api-server reads it)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(select(Variable).where(Variable.key.startswith(prefix))).all()
        return {row.key: row.val for row in rows}


def verified_gases() -> list[str]:
    """Gases with a verified product in the catalog (the Variable override applied when it parses)."""
    try:
        override = _variables("aeris_gas_catalog").get("aeris_gas_catalog")
        catalog = build_catalog(override)
    except Exception as error:  # a bad override is the run's error to report; the view shows defaults
        log.warning("gas catalog override unreadable (%s): showing the default catalog", error)
        catalog = dict(DEFAULT_CATALOG)
    return [gas for gas, entry in catalog.items() if entry.verified]


def open_breakers(threshold: int) -> dict[str, str]:
    """{gas: state} of every circuit breaker at or past `threshold` failed hours."""
    opened = {}
    for key, raw in _variables(breaker_state.VARIABLE_PREFIX).items():
        state = breaker_state.BreakerState.parse(raw)
        if state.is_open(threshold):
            opened[key.removeprefix(breaker_state.VARIABLE_PREFIX)] = state.describe()
    return opened


def overview(until: datetime | None, bbox: Any) -> Overview:
    with view_db() as conn:  # read-only: the view may SELECT the ledger, nothing else
        return load_overview(conn, verified_gases(), window_end(conn, until), bbox=bbox)


# A recorded wait is shown while its task instance is in one of these states (a run deleted, killed or
# failed leaves its row behind; the row's task says whether anyone still waits).
WAITING_STATES = {
    "deferred",
    "running",
    "queued",
    "scheduled",
    "up_for_retry",
    "up_for_reschedule",
    "restarting",
}


def waiting_now() -> list[dict[str, Any]]:
    """Every (gas, hour) still waiting for publication, with what CMR listed at its last look."""
    with view_db() as conn:
        rows = waits.waiting_now(conn)
    if not rows:
        return []
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import select, tuple_

    keys = [(r["dag_id"], r["run_id"], r["task_id"], r["map_index"]) for r in rows]
    with create_session() as session:
        found = session.execute(
            select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.state).where(
                tuple_(TI.dag_id, TI.run_id, TI.task_id, TI.map_index).in_(keys)
            )
        ).all()
    waiting = {tuple(row[:4]) for row in found if row[4] in WAITING_STATES}
    return [row for row, key in zip(rows, keys, strict=True) if key in waiting]


def airflow_url() -> str:
    """Where the Airflow UI answers (links to task instances)."""
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback="").rstrip("/")


def map_key(gas: str, hour: datetime) -> str:
    return staging.audit_key(gas, hour, MAP_SUFFIX)
