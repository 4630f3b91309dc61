"""Cluster policy of the test clusters only (tests/support/cluster.py puts this directory on their
PYTHONPATH, where Airflow looks for `airflow_local_settings`).

The test cluster runs LocalExecutor and CeleryExecutor side by side (Airflow's multiple executors),
so one cluster start serves both executor tests. LocalExecutor, listed first, is the default; a run
whose id starts with CELERY_RUN_PREFIX has every task instance sent to CeleryExecutor instead. The run
id is on every task instance, so the routing holds however the scheduler creates or reloads it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

CELERY_RUN_PREFIX = "celery__"

# The product's own policy, the shipped file itself (not a copy): a deployment runs exactly that.
_SHIPPED = Path(__file__).resolve().parents[3] / "plugins" / "airflow_local_settings.py"
_spec = importlib.util.spec_from_file_location("aeris_shipped_local_settings", _SHIPPED)
assert _spec and _spec.loader
shipped = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shipped)


def task_instance_mutation_hook(task_instance, dag_run=None) -> None:
    shipped.task_instance_mutation_hook(task_instance, dag_run)
    if (task_instance.run_id or "").startswith(CELERY_RUN_PREFIX):
        task_instance.executor = "CeleryExecutor"
