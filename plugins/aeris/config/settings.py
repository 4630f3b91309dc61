"""What a run's tasks take from the environment (through aeris_lib.config) and from Variables and
Params: gases, bbox, hour, catalog, queues. A malformed setting fails the task without retries, naming
the variable: retrying cannot mend configuration.

Read at run time only (never at DAG parse time, except the gases' default shown in the trigger form).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowFailException

from aeris_lib import config, run_params
from aeris_lib.gases import GasProduct, build_catalog

T = TypeVar("T")


def checked(read: Callable[[], T]) -> T:
    """`read()` (one of aeris_lib.config's `from_env`), a malformed setting failing the task."""
    try:
        return read()
    except config.SettingError as error:
        raise AirflowFailException(str(error)) from None


def gas_dag_default_args() -> dict[str, Any]:
    """The per-gas DAGs' `default_args` (hourly and events: the same tasks, the same retries). Read at
    parse time: AERIS_RETRY_DELAY_SECONDS shortens the first retry delay (tests, demos); it doubles per
    try."""
    return {
        "owner": "aeris-data",
        "retries": 2,
        "retry_delay": timedelta(seconds=config.Scheduling.from_env().retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "execution_timeout": timedelta(minutes=30),
    }


def default_gases() -> list[str]:
    """The gases an hourly run asks for: AERIS_GASES (comma-separated, e.g. to leave out PM), else all."""
    return list(checked(config.Region.from_env).gases)


def default_bbox() -> tuple[float, ...]:
    """TEMPO_BBOX_WEST/SOUTH/EAST/NORTH when all four are set, else CONUS."""
    return checked(config.Region.from_env).bbox


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
    path = checked(config.Storage.from_env).gas_catalog_file
    return build_catalog(
        Variable.get("aeris_gas_catalog", default=None) or (path.read_text() if path else None)
    )


def breaker_threshold() -> int:
    """AERIS_CIRCUIT_BREAKER_FAILURES: failed hours in a row that open a gas's breaker (default 5)."""
    return checked(config.Scheduling.from_env).breaker_failures


def stage_apart() -> bool:
    """Whether stage_geotiff runs as a task of its own: only when AERIS_STAGE_QUEUE and AERIS_LOAD_QUEUE
    name different queues (workers). On one worker, staging in the load's process saves a task process
    and the staged raster's round trip through S3."""
    scheduling = checked(config.Scheduling.from_env)
    return scheduling.stage_queue != scheduling.load_queue


def queue_from(variable: str) -> dict[str, Any]:
    """{"queue": …} when the environment names a Celery queue for a step (AERIS_STAGE_QUEUE,
    AERIS_LOAD_QUEUE: e.g. downloads on workers near the network, loads near the database)."""
    scheduling = checked(config.Scheduling.from_env)
    name = {"AERIS_STAGE_QUEUE": scheduling.stage_queue, "AERIS_LOAD_QUEUE": scheduling.load_queue}[variable]
    return {"queue": name} if name else {}
