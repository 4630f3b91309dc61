"""Each gas's circuit breaker (an Airflow Variable) and the failure callback that feeds it.

A gas that fails AERIS_CIRCUIT_BREAKER_FAILURES hours in a row is skipped by the hourly runs until a
good hour, a manual run asking for it, or `airflow variables delete aeris_circuit_<gas>`. Only the
live line counts: the hourly DAG's scheduled runs, for hours of the last 24 h
(`aeris_lib.breaker.not_counted_because`). Every other failure is recorded and alerted all the same.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aeris.config import settings
from aeris.config.connections import aeris_db
from aeris.notifications import alerts
from aeris.tasks.masking import masked
from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.observability.stats import Stats

from aeris_lib import breaker as breaker_state
from aeris_lib.db import ledger
from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import GAS_NAMES

log = logging.getLogger(__name__)

# The step whose failures the loader records itself (with its counts) once the load has begun (the
# task sets LOAD_BEGUN in its context; a failure before, e.g. reading the granules in the same task,
# is the callback's to record); others are recorded by the callback. Steps are named without their
# task group (hourly `gas.`, reprocess `upgrade.`).
_SELF_RECORDING_STEP = "load_gas_hour"
LOAD_BEGUN = "aeris_load_begun"
_HARMONY_STEP = "harmony_job"


class RecordedFailure(AirflowFailException):
    """A failure whose ledger row the task already wrote (with a more specific outcome)."""


def product_of(gas_hour: GasHour) -> ledger.Product:
    return ledger.Product(gas_hour.line, gas_hour.short_name, gas_hour.version, gas_hour.line_reason or None)


def _gas_and_hour(context: dict[str, Any]) -> tuple[str | None, str | None]:
    """The failed slice's own gas and hour, whichever DAG ran it, as `gas_context` tagged the task's
    context. Never the run's own dates: a reprocess or backfill run's dates are not its slices' hours."""
    return context.get("gas"), context.get("gas_hour")


def _product(context: dict[str, Any]) -> ledger.Product:
    """The product the failed task asked for (set by `gas_context`)."""
    return context.get("aeris_product") or ledger.Product()


def _record_attempt(context: dict[str, Any], gas: str, hour: str) -> str:
    """The ledger row of one failed try (steps other than the load, which records its own); returns
    the reason."""
    task_id = context["task"].task_id
    error = context.get("exception")
    reason = masked(f"{task_id}: {type(error).__name__}: {error}" if error else f"{task_id} failed")
    step = task_id.rsplit(".", 1)[-1]
    recorded = isinstance(error, RecordedFailure) or (
        step == _SELF_RECORDING_STEP and context.get(LOAD_BEGUN)
    )
    if not recorded:
        status = ledger.HARMONY_FAILED if step == _HARMONY_STEP else ledger.FAILED
        try:
            with aeris_db() as conn:
                ledger.record_outcome(
                    conn, gas, datetime.fromisoformat(hour), status, reason, product=_product(context)
                )
        except Exception as problem:  # the failure itself matters more than its ledger row
            log.warning("could not record the failure in ingest_log: %s", problem)
    return reason


def record_gas_retry(context: dict[str, Any]) -> None:
    """on_retry_callback of the per-gas tasks: the ledger row of the failed try (one row per try,
    whatever its outcome). The breaker and the alerts wait for the last try. Never raises."""
    try:
        gas, hour = _gas_and_hour(context)
        if gas in GAS_NAMES and hour:
            _record_attempt(context, gas, hour)
    except Exception:  # a callback that raises hides the task's own failure
        log.exception("could not record the failed try")


def record_gas_failure(context: dict[str, Any]) -> None:
    """on_failure_callback of the per-gas tasks: the ledger row of the failed (last) try, the alert,
    and one more failed hour for the gas's circuit breaker. Never raises."""
    try:
        gas, hour = _gas_and_hour(context)
        if gas not in GAS_NAMES or not hour:
            log.warning(
                "failure not recorded: no gas and hour for task %s",
                getattr(context.get("task"), "task_id", "?"),
            )
            return
        reason = _record_attempt(context, gas, hour)
        alerts.send(alerts.Alert(alerts.ALERT_FAILED, gas, hour, reason), context)
        _count_toward_breaker(context, gas, hour)
    except Exception:  # a callback that raises hides the task's own failure
        log.exception("could not record the failure")


def _count_toward_breaker(context: dict[str, Any], gas: str, hour: str) -> None:
    dag_run = context.get("dag_run")
    run_type = getattr(dag_run, "run_type", "?")
    why_not = breaker_state.not_counted_because(
        getattr(dag_run, "dag_id", "?"), str(getattr(run_type, "value", run_type)),
        datetime.fromisoformat(hour), datetime.now(UTC),
    )  # fmt: skip
    if why_not:
        log.info("%s %s: recorded and alerted; the circuit breaker is not counted (%s)", gas, hour, why_not)
        return
    key = breaker_state.variable_key(gas)
    before = breaker_state.BreakerState.parse(Variable.get(key, default=None))
    state = before.record_failure(hour)
    Variable.set(key, state.dumps())
    threshold = settings.breaker_threshold()
    log.warning("%s: circuit breaker now at %s (opens at %d)", gas, state.describe(), threshold)
    if state.is_open(threshold) and not before.is_open(threshold):
        why = f"{state.describe()}; hourly runs skip {gas} until a good hour or `airflow variables delete {key}`"
        alerts.send(alerts.Alert(alerts.ALERT_CIRCUIT_OPEN, gas, hour, why), context)


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


def check_breaker(gas: str, context: dict[str, Any]) -> str | None:
    """None when the gas may run; else the reason it is skipped (the breaker is open)."""
    key = breaker_state.variable_key(gas)
    state = breaker_state.BreakerState.parse(Variable.get(key, default=None))
    if not state.is_open(settings.breaker_threshold()):
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
    if Variable.get(breaker_state.variable_key(gas), default=None):
        Variable.delete(breaker_state.variable_key(gas))
        log.info("%s: a good hour: circuit breaker reset", gas)
