"""NASA's and AWS's transient answers in one run (reference: "Transient faults at scale"): CMR's search
answers 503, ASDC's CloudFront blocks sign requests (403 "Request blocked"), S3 answers reads with 503
SlowDown. The emulator serves each, counted; the run recovers from every one inside the same try (no
task retries, no extra ledger row) and loads exactly what a run without faults loads. A failed Harmony
job is not transient: tests/e2e/test_hourly_dag.py::test_failed_harmony_job_fails_only_its_gas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import forget_hours, ledger_rows, slice_snapshot

pytestmark = pytest.mark.integration

H = datetime(2024, 9, 9, 16, tzinfo=UTC)
CONF = {"bbox": SMALL_BBOX, "gases": ["NO2", "O3"]}
SERVED = {"cmr_503": 2, "daac_throttle": 2, "s3_slowdown": 3}


def test_a_run_through_every_transient_fault_loads_what_a_run_without_them_loads(db, emulator):
    logical = (H + timedelta(hours=1)).isoformat()
    forget_hours(db, [H])
    clean = run_dag(logical, CONF)
    assert clean["state"] == "success", clean["log"][-30:]
    expected = slice_snapshot(db, H)
    assert set(expected) == {"NO2", "O3"}

    forget_hours(db, [H])  # and the remembered Harmony jobs: the faulty run submits its own
    before = emulator.stats()
    emulator.faults([{"fault": fault, "times": times} for fault, times in SERVED.items()])
    faulty = run_dag(logical, CONF)
    assert faulty["state"] == "success", faulty["log"][-30:]
    assert {name: ti["try_number"] for name, ti in faulty["tis"].items() if ti["try_number"] > 1} == {}
    assert ti_states(faulty, "gas.load_gas_hour") == {"NO2": "success", "O3": "success"}
    after = emulator.stats()
    assert {fault: after[fault] - before[fault] for fault in SERVED} == SERVED  # every fault was served
    assert slice_snapshot(db, H) == expected

    assert sorted((gas, status) for gas, status, _, _ in ledger_rows(db, H)) == [
        ("NO2", "success"),
        ("O3", "success"),
    ]
    stage_logs = "\n".join(faulty["log"])
    assert "throttle" in stage_logs and "SlowDown" in stage_logs  # the stage log says what it recovered
