"""Circuit breaker through real runs: a manual run's failure is recorded and alerted without counting; an
open breaker skips the gas and a manual success closes it. What counts: tests/plugins/tasks/test_breaker.py."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.breaker import BreakerState
from tests.support.cluster import AIRFLOW
from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import forget_hours

pytestmark = pytest.mark.integration

CONF = {"bbox": SMALL_BBOX}
GASES = ["NO2", "O3"]
H15 = datetime(2024, 9, 7, 15, tzinfo=UTC)


def _variable(key: str) -> str | None:
    out = subprocess.run([AIRFLOW, "variables", "get", key], capture_output=True, text=True, env=os.environ)
    return out.stdout.strip() if out.returncode == 0 else None


def _set_variable(key: str, value: str) -> None:
    subprocess.run([AIRFLOW, "variables", "set", key, value], check=True, capture_output=True, env=os.environ)


def test_a_manual_failure_is_recorded_and_alerted_but_does_not_open_the_breaker_which_skips_and_closes(
    db, emulator, smtp_server
):
    forget_hours(db, [H15, H15 + timedelta(hours=1)])
    # Four failed hours already counted, as four scheduled hourly runs would leave them; no threshold
    # set, so the default of 5 applies. A fifth failure in a run that is not the live line (here a
    # manual dag.test() run) is recorded and alerted, and does not open the breaker.
    earlier = [f"2024-09-07T{h:02d}:00:00+00:00" for h in (11, 12, 13, 14)]
    _set_variable("aeris_circuit_NO2", BreakerState(earlier).dumps())
    env = {"AERIS_CIRCUIT_BREAKER_FAILURES": "", **smtp_server.env}
    emulator.faults([{"fault": "job_failed", "variable": "product/vertical_column_troposphere"}])  # NO2
    # AERIS_GASES narrows what an hourly run asks for (as an operator leaving PM out would).
    failed = run_dag("2024-09-07T16:00:00+00:00", CONF, AERIS_GASES="NO2,O3", **env)
    assert ti_states(failed, "gas.harmony_job")["NO2"] == "failed"
    assert "airflow.aeris.harmony.job_failures.NO2" in failed["metrics"]  # README: failure metrics
    assert json.loads(_variable("aeris_circuit_NO2"))["failed_hours"] == earlier
    assert any("the circuit breaker is not counted (a failure in a manual run, not a scheduled one)" in line
               for line in failed["log"])  # fmt: skip
    assert [m["Subject"] for m in smtp_server.messages] == ["AERIS: NO2 2024-09-07 15:00 UTC failed"]
    with db.cursor() as cur:
        cur.execute(
            "SELECT status FROM ingest_log WHERE gas_type = 'NO2' AND obs_time = %s ORDER BY id", (H15,)
        )
        assert [status for (status,) in cur.fetchall()][-1] == "harmony_failed"
    emulator.clear_faults()

    # Five failed hours, as the live line leaves them when NO2 keeps failing: the breaker is open.
    _set_variable("aeris_circuit_NO2", BreakerState([*earlier, "2024-09-07T15:00:00+00:00"]).dumps())
    skipped = run_dag("2024-09-07T17:00:00+00:00", CONF, AERIS_GASES="NO2,O3", **env)
    assert ti_states(skipped, "gas.harmony_job") == {"NO2": "skipped", "O3": "success"}
    assert skipped["state"] == "success"
    assert "airflow.aeris.circuit.open.NO2" in skipped["metrics"]
    assert any("CIRCUIT BREAKER OPEN for NO2" in line for line in skipped["log"])
    assert len(smtp_server.messages) == 1

    manual = run_dag("2024-09-07T17:00:00+00:00", {**CONF, "gases": ["NO2"]}, **env)
    assert ti_states(manual, "gas.load_gas_hour") == {"NO2": "success"}
    assert _variable("aeris_circuit_NO2") is None  # closed
