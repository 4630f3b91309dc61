"""The suite's shared fixtures live in tests/support/fixtures.py, registered here once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("AERIS_HARMONY_MODE") == "emulator":
    # Before any test module reads the environment: this worker's own databases, bucket and emulator.
    from tests.support.worker_stack import configure

    configure(os.environ["PYTEST_XDIST_WORKER"])

pytest_plugins = ["tests.support.fixtures"]

# The order whole files go to the two `make test` workers (--no-loadscope-reorder keeps it). Measured:
# the Airflow-cluster file (~2 min alone) and the dag.test() files each want most of a core, and side
# by side both took half as long again. So the cluster file starts first, beside the quick files and
# the client tests that mostly wait; then the dag.test() files, longest first, on whichever worker is
# free.
CLUSTER_FILE = "tests/e2e/test_scheduler.py"
# The README's commands on a stack of their own (~3 min, mostly waiting): beside the cluster file.
README_COMMANDS_FILE = "tests/deploy/test_readme_commands.py"
DAG_RUN_DIRS = ("e2e", "ops")  # the files here run DAGs with dag.test()
DAG_RUN_FILES_LONGEST_FIRST = (
    "tests/e2e/test_hourly_dag.py",
    "tests/e2e/test_product_lines.py",
    "tests/e2e/test_request_shapes.py",
    "tests/ops/test_circuit.py",
    "tests/ops/test_retention.py",
)


def _run_order(path: str) -> tuple[int, int]:
    if path == CLUSTER_FILE:
        return (0, 0)
    if path == README_COMMANDS_FILE:
        return (0, 1)
    if path in DAG_RUN_FILES_LONGEST_FIRST:
        return (2, DAG_RUN_FILES_LONGEST_FIRST.index(path))
    if Path(path).parent.name in DAG_RUN_DIRS:
        return (2, len(DAG_RUN_FILES_LONGEST_FIRST))
    return (1, 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _run_order(item.path.relative_to(config.rootpath).as_posix()))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the dag.test() server as soon as the run is known to need it: it warms up (imports
    Airflow, builds the in-process execution API, ~10 s) while the quick tests run."""
    runs_dags = any(item.path.parent.name in DAG_RUN_DIRS for item in session.items)
    if (
        runs_dags
        and os.environ.get("AERIS_HARMONY_MODE") == "emulator"
        and not session.config.option.collectonly
    ):
        from tests.support.dag_runs import dag_test_server

        dag_test_server()
