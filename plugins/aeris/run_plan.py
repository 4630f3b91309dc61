"""A TEMPO DAG run's plan as the server reads it: map index i of the per-gas group is plan item i."""

from __future__ import annotations

from typing import Any

from aeris_lib.defaults import GAS_NAMES

# The task whose XCom each DAG's per-gas group is mapped over.
PLAN_TASKS = {
    "aeris_tempo_hourly": "plan", "aeris_tempo_events": "find_event_hours", "aeris_tempo_reprocess": "find_upgrades",
}  # fmt: skip


def planned_items(session: Any, dag_id: str, run_id: str) -> list[Any]:
    """The run's plan (a list of `GasHour` XComs), or [] when the DAG has none or it has not run."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    plan_task = PLAN_TASKS.get(dag_id)
    if plan_task is None:
        return []
    raw = session.scalar(
        select(XComModel.value).where(
            XComModel.dag_id == dag_id,
            XComModel.run_id == run_id,
            XComModel.task_id == plan_task,
            XComModel.map_index == -1,
            XComModel.key == "return_value",
        )
    )
    value = XComModel.deserialize_value(_Row(raw)) if raw is not None else None
    return value if isinstance(value, list) else []


def gas_labels(planned: Any) -> list[str]:
    """The label of each map index: the gas of each planned item, when it is one of AERIS's gases, else
    the index. A label is written into the scheduler's own transaction: whatever an XCom holds (a
    300-character string would overflow `rendered_map_index` and abort the flush) never gets there."""
    if not isinstance(planned, list):
        return []
    return [
        item["gas"] if isinstance(item, dict) and item.get("gas") in GAS_NAMES else str(i)
        for i, item in enumerate(planned)
    ]


class _Row:
    """`XComModel.deserialize_value` reads `.value` of a result row."""

    def __init__(self, value: Any):
        self.value = value
