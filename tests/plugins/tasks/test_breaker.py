"""aeris.tasks.breaker: a gas's circuit breaker decides, from its Variable, whether the gas runs; the
failure callbacks name the gas and hour. Opening and closing through real runs: tests/ops/test_breaker.py."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from aeris.tasks import breaker

from aeris_lib.db.ledger import Product

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

FIVE_HOURS = json.dumps({"failed_hours": [f"2024-09-01T{h}:00:00+00:00" for h in range(14, 19)]})


def run(run_type: str = "scheduled", gases=None) -> SimpleNamespace:
    return SimpleNamespace(run_type=run_type, conf={"gases": gases} if gases else {})


@pytest.fixture
def open_no2(monkeypatch):
    """NO2's breaker Variable (from the environment, as any Variable backend may hold it) at 5 hours."""
    monkeypatch.delenv("AERIS_CIRCUIT_BREAKER_FAILURES", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_AERIS_CIRCUIT_NO2", FIVE_HOURS)


def test_an_open_breaker_skips_the_gas_and_says_how_to_reset_it(open_no2):
    context = {"dag_run": run()}
    reason = breaker.check_breaker("NO2", context)
    assert reason.startswith("NO2: circuit breaker open after 5 consecutive failed hour(s)")
    assert "`airflow variables delete aeris_circuit_NO2`" in reason
    assert context["circuit_breaker"]["key"] == "aeris_circuit_NO2"
    assert breaker.check_breaker("O3", {"dag_run": run()}) is None


def test_a_manual_run_asking_for_the_gas_tries_anyway(open_no2, monkeypatch):
    assert breaker.check_breaker("NO2", {"dag_run": run("manual", ["NO2"])}) is None
    assert breaker.check_breaker("NO2", {"dag_run": run("manual", ["O3"])}) is not None
    monkeypatch.setenv("AERIS_CIRCUIT_BREAKER_FAILURES", "6")
    assert breaker.check_breaker("NO2", {"dag_run": run()}) is None


def test_the_skip_is_loud_in_the_log(caplog):
    caplog.set_level(logging.WARNING, logger="aeris.tasks.breaker")
    breaker.warn_circuit_open(
        {"circuit_breaker": {"gas": "NO2", "state": "5 hours", "key": "aeris_circuit_NO2"}}
    )
    assert "CIRCUIT BREAKER OPEN for NO2 (5 hours)" in caplog.text
    breaker.warn_circuit_open({})
    assert caplog.text.count("CIRCUIT BREAKER OPEN") == 1


def test_a_failed_task_is_attributed_to_its_gas_hour_and_product():
    """A reprocess run at 06:30 upgrading yesterday's 19:00: the failure is yesterday 19:00's, as the
    task tagged its context (gas_context), never the run's own dates."""
    context = {"task": SimpleNamespace(task_id="upgrade.harmony_job"), "gas": "NO2",
               "gas_hour": "2026-12-05T19:00:00+00:00", "params": {}, "logical_date": None}  # fmt: skip
    assert breaker._gas_and_hour(context) == ("NO2", "2026-12-05T19:00:00+00:00")
    tagged = {"aeris_product": Product("nrt", "TEMPO_NO2_L3_NRT", "V02")}
    assert breaker._product(tagged) == Product("nrt", "TEMPO_NO2_L3_NRT", "V02")
    assert breaker._product({"task": SimpleNamespace(task_id="plan")}) == Product()
    assert breaker._gas_and_hour({"task": SimpleNamespace(task_id="plan")}) == (None, None)
    assert issubclass(breaker.RecordedFailure, Exception)


def test_failure_callbacks_never_raise(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the database is down")

    monkeypatch.setattr(breaker, "aeris_db", broken)
    monkeypatch.setattr(breaker.alerts, "send", broken)
    context = {
        "task": SimpleNamespace(task_id="gas.stage_geotiff"),
        "gas": "NO2",
        "gas_hour": "2026-12-05T19:00:00+00:00",
        "exception": ValueError("bad raster"),
    }
    caplog.set_level(logging.WARNING, logger="aeris.tasks.breaker")
    assert breaker.record_gas_failure(context) is None
    assert breaker.record_gas_retry(context) is None
    assert (
        "could not record the failure" in caplog.text
        and "could not record the failure in ingest_log" in caplog.text
    )
    nameless = {"task": SimpleNamespace(task_id="upgrade.harmony_job")}  # failed before it knew its gas
    assert breaker.record_gas_failure(nameless) is None
    assert "failure not recorded: no gas and hour for task upgrade.harmony_job" in caplog.text


class _Variables:
    """Airflow Variables as a dict (the callback reads and writes the breaker's Variable)."""

    def __init__(self):
        self.values: dict[str, str] = {}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value


@pytest.mark.parametrize(
    ("dag_id", "run_type", "hours_ago", "counted"),
    [("aeris_tempo_hourly", "scheduled", 2, True),
     ("aeris_tempo_hourly", "backfill", 2, False),
     ("aeris_tempo_hourly", "manual", 2, False),
     ("aeris_tempo_reprocess", "scheduled", 2, False),
     ("aeris_tempo_hourly", "scheduled", 30, False)],
)  # fmt: skip
def test_only_the_hourly_lines_recent_failures_count_toward_the_breaker(
    monkeypatch, dag_id, run_type, hours_ago, counted
):
    """Reprocess, backfill, manual and late failures are recorded and alerted; they never open it."""
    variables, alerts_sent, recorded = _Variables(), [], []
    monkeypatch.setattr(breaker, "Variable", variables)
    monkeypatch.setattr(breaker.alerts, "send", lambda alert, context: alerts_sent.append(alert.what))
    monkeypatch.setattr(breaker, "_record_attempt", lambda context, gas, hour: recorded.append(hour) or "x")
    hour = (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(minute=0, second=0, microsecond=0)
    context = {
        "task": SimpleNamespace(task_id="gas.stage_geotiff"),
        "gas": "NO2",
        "gas_hour": hour.isoformat(),
        "dag_run": SimpleNamespace(dag_id=dag_id, run_type=run_type, conf={}),
    }
    breaker.record_gas_failure(context)
    assert recorded == [hour.isoformat()] and alerts_sent == ["failed"]
    assert ("aeris_circuit_NO2" in variables.values) is counted


@pytest.mark.parametrize(("load_begun", "rows"), [(False, 1), (True, 0)])
def test_a_load_task_failing_before_its_load_began_is_recorded_by_the_callback(monkeypatch, load_begun, rows):
    """`load_gas_hour` reads the granules in its own process before it loads: a failure there (a
    deflate bomb, a throttled DAAC) gets its ledger row from the callback; once the load has begun,
    the loader writes the row itself (with its counts) and the callback adds none."""
    written = []

    class _Conn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(breaker, "aeris_db", _Conn)
    monkeypatch.setattr(
        breaker.ledger,
        "record_outcome",
        lambda conn, gas, hour, status, reason, product: written.append(status),
    )
    context = {"task": SimpleNamespace(task_id="gas.load_gas_hour"), "gas": "NO2",
               "gas_hour": "2026-12-05T19:00:00+00:00", "exception": ValueError("chunk inflates")}  # fmt: skip
    if load_begun:
        context[breaker.LOAD_BEGUN] = True
    assert "chunk inflates" in breaker._record_attempt(context, "NO2", "2026-12-05T19:00:00+00:00")
    assert written == ["failed"] * rows
