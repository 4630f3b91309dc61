"""`aeris_tempo_hourly`'s plan and what every per-gas task shares: the gas context, the circuit breaker,
and the failure callback that records the outcome. The steps themselves: tasks.publication (wait for
CMR), tasks.harmony (job, download), tasks.grid (load, archive), tasks.routes (the app's "now")."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import Variable, get_current_context, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.sdk.observability.stats import Stats

from aeris_lib import circuit, run_params
from aeris_lib.db import ledger
from aeris_lib.db.migrate import apply_migrations
from aeris_lib.gases import CONUS, GAS_NAMES, build_catalog
from tasks import catalog
from tasks.connections import aeris_db

log = logging.getLogger(__name__)


def default_gases() -> list[str]:
    """The gases an hourly run asks for: AERIS_GASES (comma-separated, e.g. to leave out PM), else all."""
    configured = [g.strip().upper() for g in os.environ.get("AERIS_GASES", "").split(",") if g.strip()]
    unknown = [g for g in configured if g not in GAS_NAMES]
    if unknown:
        raise AirflowException(f"AERIS_GASES: unknown gas(es) {unknown}; choose from {list(GAS_NAMES)}")
    return configured or list(GAS_NAMES)


def _breaker_threshold() -> int:
    return int(os.environ.get("AERIS_CIRCUIT_BREAKER_FAILURES") or circuit.DEFAULT_THRESHOLD)


# Tasks whose failures the loader records itself (with its counts); others are recorded by the callback.
_SELF_RECORDING_TASKS = ("gas.load_gas_hour",)


def record_gas_failure(context: dict[str, Any]) -> None:
    """on_failure_callback of the per-gas tasks: the ledger row of the failed attempt, and one more
    failed hour for the gas's circuit breaker."""
    # The Harmony sensor is generic: its gas is its job_label, its hour the run's.
    gas = context.get("gas") or getattr(context.get("task"), "job_label", None)
    hour = context.get("gas_hour") or resolve_hour(context["params"], context).isoformat()
    if gas not in GAS_NAMES:
        return
    task_id = context["task"].task_id
    if task_id not in _SELF_RECORDING_TASKS:
        status = ledger.HARMONY_FAILED if task_id == "gas.wait_for_harmony_job" else ledger.FAILED
        error = context.get("exception")
        reason = f"{task_id}: {type(error).__name__}: {error}" if error else f"{task_id} failed"
        try:
            with aeris_db() as conn:
                ledger.record_outcome(conn, gas, datetime.fromisoformat(hour), status, reason)
        except Exception as problem:  # the failure itself matters more than its ledger row
            log.warning("could not record the failure in ingest_log: %s", problem)
    key = circuit.variable_key(gas)
    state = circuit.BreakerState.parse(Variable.get(key, default=None)).record_failure(hour)
    Variable.set(key, state.dumps())
    threshold = _breaker_threshold()
    log.warning("%s: circuit breaker now at %s (opens at %d)", gas, state.describe(), threshold)


def warn_circuit_open(context: dict[str, Any]) -> None:
    """on_skipped_callback: a loud warning when the skip came from an open circuit breaker."""
    opened = context.get("circuit_breaker")
    if opened:
        Stats.incr(f"aeris.circuit.open.{opened['gas']}")
        log.warning(
            "CIRCUIT BREAKER OPEN for %s (%s): hourly runs skip it. Reset: `airflow variables delete %s`,"
            " or trigger a manual run with gases=[%s] that succeeds.",
            opened["gas"], opened["state"], opened["key"], opened["gas"],
        )  # fmt: skip


def check_breaker(product: dict[str, Any], context: dict[str, Any]) -> str | None:
    """None when the gas may run; else the reason it is skipped (the breaker is open)."""
    gas = product["gas"]
    key = circuit.variable_key(gas)
    state = circuit.BreakerState.parse(Variable.get(key, default=None))
    if not state.is_open(_breaker_threshold()):
        return None
    asked = (context["dag_run"].conf or {}).get("gases") or []
    if gas in asked and context["dag_run"].run_type in ("manual", "operator_triggered"):
        log.warning(
            "%s: circuit breaker open (%s); trying anyway: this run asked for it", gas, state.describe()
        )
        return None
    context["circuit_breaker"] = {"gas": gas, "state": state.describe(), "key": key}
    return (
        f"{gas}: circuit breaker open after {state.describe()}; skipped. Reset with "
        f"`airflow variables delete {key}` or a manual run with gases=[{gas}]"
    )


def close_breaker(gas: str) -> None:
    """A good hour ends the gas's failure streak."""
    if Variable.get(circuit.variable_key(gas), default=None):
        Variable.delete(circuit.variable_key(gas))
        log.info("%s: a good hour: circuit breaker reset", gas)


def default_bbox() -> tuple[float, ...]:
    names = ("TEMPO_BBOX_WEST", "TEMPO_BBOX_SOUTH", "TEMPO_BBOX_EAST", "TEMPO_BBOX_NORTH")
    if all(os.environ.get(n) for n in names):
        try:
            return tuple(float(os.environ[n]) for n in names)
        except ValueError:
            raise AirflowException(f"{'/'.join(names)} must be numbers") from None
    return CONUS


def resolve_hour(params: dict, context: dict) -> datetime:
    try:
        return run_params.run_hour(params.get("hour"), context.get("data_interval_start"), datetime.now(UTC))
    except run_params.RunParamError as error:
        raise AirflowFailException(str(error)) from None


@task
def plan(**context: Any) -> list[dict[str, Any]]:
    """Resolve and validate the run's hour, gases and bbox; apply pending schema migrations."""
    params = context["params"]
    hour = resolve_hour(params, context)
    try:
        gases = run_params.run_gases(params.get("gases"), default_gases())
        bbox = run_params.run_bbox(params.get("bbox"), default_bbox())
    except run_params.RunParamError as error:
        raise AirflowFailException(str(error)) from None
    entries = load_catalog()
    with aeris_db() as conn:
        applied = apply_migrations(conn)
    log.info(
        "Plan: hour %s, gases %s, bbox %s; schema %s",
        hour.isoformat(),
        ",".join(gases),
        list(bbox),
        f"migrated ({', '.join(applied)})" if applied else "up to date",
    )
    wanted = [entries[g] for g in gases]
    products = catalog.resolve(wanted, catalog.upgraded_gases(hour, wanted))
    return [{**p, "hour": hour.isoformat(), "bbox": [float(v) for v in bbox]} for p in products]


def load_catalog() -> dict:
    """The gas catalog: defaults with the Variable `aeris_gas_catalog` or AERIS_GAS_CATALOG_FILE applied."""
    return build_catalog(Variable.get("aeris_gas_catalog", default=None) or _catalog_file())


def _catalog_file() -> str | None:
    path = os.environ.get("AERIS_GAS_CATALOG_FILE")
    return Path(path).read_text() if path else None


def gas_context(product: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The task context, tagged with the gas and hour (map index label, failure callback)."""
    context = context if context is not None else get_current_context()
    context["gas"], context["gas_hour"] = product["gas"], product["hour"]
    return context


def audit_key(gas: str, hour: datetime) -> str:
    return f"audit/geotiff/{hour:%Y-%m-%d}/{gas}_{hour:%H}.tif"


GAS_TASK = {"map_index_template": "{{ gas }}", "on_failure_callback": record_gas_failure}


def queue_from(variable: str) -> dict[str, str]:
    """{"queue": …} when the environment names a Celery queue for a step (AERIS_STAGE_QUEUE,
    AERIS_LOAD_QUEUE: e.g. downloads on workers near the network, loads near the database)."""
    name = os.environ.get(variable, "").strip()
    return {"queue": name} if name else {}
