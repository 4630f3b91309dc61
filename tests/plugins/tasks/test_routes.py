"""README: "Redis down = a warning": the app's "now" cannot be set, the loaded data stays, the task
does not fail."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_redis_down_is_a_warning_not_a_failure(monkeypatch, caplog, capfd):
    from aeris.tasks.routes import publish_last_update

    monkeypatch.setenv("AIRFLOW_CONN_AERIS_REDIS", "redis://127.0.0.1:9/0")  # nothing listens on port 9
    hour = "2024-09-01T15:00:00+00:00"
    with caplog.at_level(logging.WARNING):
        assert publish_last_update({"hour": hour, "newest_hour": hour}) is None
    # Airflow's task logging may route the record through structlog to stdout instead of caplog.
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    lines += [line for line in capfd.readouterr().out.splitlines() if "warning" in line.lower()]
    assert any("Could not set Redis tempo:last_update" in w and "the data is loaded" in w for w in lines), (
        lines
    )
