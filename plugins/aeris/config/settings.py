"""What a run's tasks read from the environment and Variables: gases, bbox, hour, catalog, queues.

Read at run time only (never at DAG parse time, except the gases' default shown in the trigger form).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from aeris_lib import breaker as breaker_state
from aeris_lib import run_params
from aeris_lib.gases import CONUS, GAS_NAMES, GasProduct, build_catalog


def default_gases() -> list[str]:
    """The gases an hourly run asks for: AERIS_GASES (comma-separated, e.g. to leave out PM), else all."""
    configured = [g.strip().upper() for g in os.environ.get("AERIS_GASES", "").split(",") if g.strip()]
    unknown = [g for g in configured if g not in GAS_NAMES]
    if unknown:
        raise AirflowException(f"AERIS_GASES: unknown gas(es) {unknown}; choose from {list(GAS_NAMES)}")
    return configured or list(GAS_NAMES)


def default_bbox() -> tuple[float, ...]:
    """TEMPO_BBOX_WEST/SOUTH/EAST/NORTH when all four are set, else CONUS."""
    names = ("TEMPO_BBOX_WEST", "TEMPO_BBOX_SOUTH", "TEMPO_BBOX_EAST", "TEMPO_BBOX_NORTH")
    if all(os.environ.get(n) for n in names):
        try:
            return tuple(float(os.environ[n]) for n in names)
        except ValueError:
            raise AirflowException(f"{'/'.join(names)} must be numbers") from None
    return CONUS


def resolve_hour(params: dict, context: dict) -> datetime:
    """The run's hour: the `hour` Param, else the data interval's start, else the last ended hour."""
    try:
        return run_params.run_hour(params.get("hour"), context.get("data_interval_start"), datetime.now(UTC))
    except run_params.RunParamError as error:
        raise AirflowFailException(str(error)) from None


def run_gases_and_bbox(params: dict) -> tuple[list[str], tuple[float, ...]]:
    """The `gases` and `bbox` Params checked against the defaults; a bad value fails naming the Param."""
    try:
        gases = run_params.run_gases(params.get("gases"), default_gases())
        bbox = run_params.run_bbox(params.get("bbox"), default_bbox())
    except run_params.RunParamError as error:
        raise AirflowFailException(str(error)) from None
    return gases, tuple(float(v) for v in bbox)


def load_catalog() -> dict[str, GasProduct]:
    """The gas catalog: defaults with the Variable `aeris_gas_catalog` or AERIS_GAS_CATALOG_FILE applied."""
    path = os.environ.get("AERIS_GAS_CATALOG_FILE")
    return build_catalog(
        Variable.get("aeris_gas_catalog", default=None) or (Path(path).read_text() if path else None)
    )


def breaker_threshold() -> int:
    """AERIS_CIRCUIT_BREAKER_FAILURES: failed hours in a row that open a gas's breaker (default 5)."""
    return int(os.environ.get("AERIS_CIRCUIT_BREAKER_FAILURES") or breaker_state.DEFAULT_THRESHOLD)


def queue_from(variable: str) -> dict[str, str]:
    """{"queue": …} when the environment names a Celery queue for a step (AERIS_STAGE_QUEUE,
    AERIS_LOAD_QUEUE: e.g. downloads on workers near the network, loads near the database)."""
    name = os.environ.get(variable, "").strip()
    return {"queue": name} if name else {}
