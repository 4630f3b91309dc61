"""Cluster policy of the test clusters only (tests/support/cluster.py puts this directory on their
PYTHONPATH, where Airflow looks for `airflow_local_settings`).

The test cluster runs LocalExecutor and CeleryExecutor side by side (Airflow's multiple executors),
so one cluster start serves both executor tests. LocalExecutor, listed first, is the default; a run
whose id starts with CELERY_RUN_PREFIX has every task instance sent to CeleryExecutor instead. The run
id is on every task instance, so the routing holds however the scheduler creates or reloads it.
"""

from __future__ import annotations

CELERY_RUN_PREFIX = "celery__"


def task_instance_mutation_hook(task_instance, dag_run=None) -> None:
    from aeris.listeners.map_index import label_expanded  # not at import: Airflow is initialising

    label_expanded(task_instance, dag_run)  # the product's own policy (plugins/airflow_local_settings.py)
    if (task_instance.run_id or "").startswith(CELERY_RUN_PREFIX):
        task_instance.executor = "CeleryExecutor"
