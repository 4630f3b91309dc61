"""Shared fixtures. The test command (`make test`) has already started the real services and exported
their connection variables (AIRFLOW_CONN_*, AERIS_*); these fixtures only connect to them."""

from __future__ import annotations

import os

import pytest


def _require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite through `make test`, which starts the services")
    return value


@pytest.fixture(scope="session")
def database_url() -> str:
    return _require_env("AERIS_DATABASE_URL")


@pytest.fixture(scope="session")
def audit_bucket() -> str:
    return _require_env("AERIS_S3_BUCKET")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the dag.test() server as soon as the run is known to need it: it warms up (imports
    Airflow, builds the in-process execution API, ~10 s) while the quick tests run."""
    runs_dags = any(item.path.parent.name in ("e2e", "ops") for item in session.items)
    if (
        runs_dags
        and os.environ.get("AERIS_HARMONY_MODE") == "emulator"
        and not session.config.option.collectonly
    ):
        from tests.e2e.dag_runs import dag_test_server

        dag_test_server()
