"""Every mapped per-gas task instance shows its gas in the grid, from the moment the run is planned.

A mapped task renders its `map_index_template` only when it runs: until then (scheduled, queued,
deferred, waiting to retry) and when it never runs (skipped, upstream_failed) it would show a bare
number (`1` instead of `CH2O`). Map index i of a TEMPO run's per-gas group is item i of its plan, so:

- `label_expanded`, Airflow's `task_instance_mutation_hook` cluster policy (plugins/airflow_local_settings.py),
  labels each mapped instance as the scheduler (or `dag.test`) creates it, in the scheduler's session;
- the listener labels, when the run ends, any instance still without a label (one created before the
  policy was installed).
Both write only where Airflow has no label yet; the task's own rendering, when it runs, agrees.
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


# The labels of recent runs: a run's six per-gas tasks expand in one scheduler loop, each instance
# asking for the same plan. A plan is fixed once its task succeeded, so a run's labels never change.
_RECENT_LABELS: dict[tuple[str, str], list[str]] = {}
_RECENT_RUNS = 64


def label_expanded(task_instance: Any, dag_run: Any = None) -> None:
    """Cluster policy: a mapped instance of a TEMPO run gets its gas as it is created (expanded)."""
    if task_instance.map_index < 0 or getattr(task_instance, "_rendered_map_index", None) is not None:
        return
    key = (task_instance.dag_id, task_instance.run_id)
    try:
        labels = _RECENT_LABELS.get(key)
        if labels is None:
            session = object_session(dag_run) if dag_run is not None else None
            if session is None:
                return
            labels = gas_labels(planned_items(session, *key))
            if labels:
                if len(_RECENT_LABELS) >= _RECENT_RUNS:
                    _RECENT_LABELS.pop(next(iter(_RECENT_LABELS)))
                _RECENT_LABELS[key] = labels
        if task_instance.map_index < len(labels):
            task_instance._rendered_map_index = labels[task_instance.map_index]
    except Exception:  # a label must never stop the scheduler creating the task instance
        log.exception("could not label %s map index %s", task_instance.task_id, task_instance.map_index)


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
