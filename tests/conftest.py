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
