"""What every per-gas task shares: its gas in the grid (map index) and in the failure callback."""

from __future__ import annotations

from typing import Any

from aeris.tasks import breaker
from airflow.sdk import get_current_context

from aeris_lib import defaults
from aeris_lib.gas_hour import GasHour

# Every per-gas task: its gas in the grid (map index), each failed try in the ledger, and its last
# failure in the breaker and the alerts.
GAS_TASK: dict[str, Any] = {
    "map_index_template": "{{ gas }}",
    "on_failure_callback": breaker.record_gas_failure,
    "on_retry_callback": breaker.record_gas_retry,
}
# A task's dict result is one XCom (what the next task reads), not also one XCom per key, which Airflow
# infers from a `dict` return type: each is an API call and a row, ~10 per gas-hour for nothing.
ONE_XCOM: dict[str, Any] = {"multiple_outputs": False}
# The task that reads granules at the DAAC: the daac_reads pool (AERIS_DAAC_POOL_SLOTS) keeps a backfill
# from bursting ASDC into throttling.
DAAC_READS: dict[str, Any] = {"pool": defaults.DAAC_POOL}


def gas_context(
    value: dict[str, Any] | GasHour, context: dict[str, Any] | None = None
) -> tuple[GasHour, dict]:
    """The gas-hour of a task's XCom argument, and the task context tagged with its gas and hour."""
    gas_hour = value if isinstance(value, GasHour) else GasHour.from_xcom(value)
    tagged: Any = context if context is not None else get_current_context()
    tagged["gas"], tagged["gas_hour"] = gas_hour.gas, gas_hour.hour.isoformat()
    tagged["aeris_product"] = breaker.product_of(gas_hour)
    return gas_hour, tagged
