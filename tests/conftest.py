"""The suite's shared fixtures live in tests/support/fixtures.py, registered here once."""

from __future__ import annotations

import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("AERIS_HARMONY_MODE") == "emulator":
    # Before any test module reads the environment: this worker's own databases, bucket and emulator.
    from tests.support.worker_stack import configure

    configure(os.environ["PYTEST_XDIST_WORKER"])

pytest_plugins = ["tests.support.fixtures"]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the dag.test() server as soon as the run is known to need it: it warms up (imports
    Airflow, builds the in-process execution API, ~10 s) while the quick tests run."""
    runs_dags = any(item.path.parent.name in ("e2e", "ops") for item in session.items)
    if (
        runs_dags
        and os.environ.get("AERIS_HARMONY_MODE") == "emulator"
        and not session.config.option.collectonly
    ):
        from tests.support.dag_runs import dag_test_server

        dag_test_server()
