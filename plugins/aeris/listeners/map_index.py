"""Listener: every mapped per-gas task instance shows its gas in the grid, including ones that never ran.

A mapped task renders its `map_index_template` only when it runs; one skipped or upstream_failed without
running keeps a bare number (`1` instead of `CH2O`). When a TEMPO DAG run ends, the scheduler (or
`dag.test`) calls this listener, which labels those instances from the run's plan: map index i of the
per-gas group is the plan's item i. It writes in the scheduler's own session (no second transaction on
rows the scheduler holds), and only where Airflow has no label yet.
"""

from __future__ import annotations

import logging
from typing import Any

from aeris.run_plan import gas_labels, planned_items
from airflow.listeners import hookimpl
from sqlalchemy import case, update
from sqlalchemy.orm import object_session

log = logging.getLogger(__name__)

LOCK_TIMEOUT = "2s"


def label_never_ran(dag_run: Any) -> int:
    """Give the run's unlabelled mapped task instances their gas; returns how many were labelled.

    In the scheduler the run belongs to the scheduler's session, and the labels join its transaction.
    A run without a session (`dag.test`) is labelled in a short transaction of its own that waits at
    most LOCK_TIMEOUT for rows another transaction holds, so it can never stall the caller.
    """
    session = object_session(dag_run)
    if session is not None:
        return _label(session, dag_run.dag_id, dag_run.run_id)
    from airflow.utils.session import create_session
    from sqlalchemy import text

    with create_session() as own:
        own.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        return _label(own, dag_run.dag_id, dag_run.run_id)


def _label(session: Any, dag_id: str, run_id: str) -> int:
    from airflow.models.taskinstance import TaskInstance

    labels = gas_labels(planned_items(session, dag_id, run_id))
    if not labels:
        return 0
    table = TaskInstance.__table__
    result = session.execute(
        update(table)
        .where(
            table.c.dag_id == dag_id,
            table.c.run_id == run_id,
            table.c.map_index.between(0, len(labels) - 1),
            table.c.rendered_map_index.is_(None),
        )
        .values(rendered_map_index=case(dict(enumerate(labels)), value=table.c.map_index))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        log.info("%s %s: %d mapped task instance(s) labelled with their gas", dag_id, run_id, result.rowcount)
    return result.rowcount


class MapIndexLabels:
    @hookimpl
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        self._label(dag_run)

    @hookimpl
    def on_dag_run_failed(self, dag_run: Any, msg: str) -> None:
        self._label(dag_run)

    @staticmethod
    def _label(dag_run: Any) -> None:
        try:
            label_never_ran(dag_run)
        except Exception:  # a label must never break the scheduler's loop
            log.exception("could not label the mapped task instances of %s", dag_run.run_id)


map_index_labels = MapIndexLabels()
