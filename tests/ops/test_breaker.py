"""Circuit breaker: opens after N failed hours of a gas, skips it, closes after a manual success."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from aeris_lib.breaker import BreakerState
from tests.support.cluster import AIRFLOW
from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states

pytestmark = pytest.mark.integration

CONF = {"bbox": SMALL_BBOX}
GASES = ["NO2", "O3"]


def _variable(key: str) -> str | None:
    out = subprocess.run([AIRFLOW, "variables", "get", key], capture_output=True, text=True, env=os.environ)
    return out.stdout.strip() if out.returncode == 0 else None


def test_breaker_opens_at_its_default_of_5_skips_and_closes_after_a_manual_success(emulator, smtp_server):
    # Four failed hours already counted (as four earlier runs would leave them); no threshold set, so
    # the default of 5 applies: the fifth failed hour opens the breaker.
    earlier = [f"2024-09-07T{h:02d}:00:00+00:00" for h in (11, 12, 13, 14)]
    state = BreakerState(earlier).dumps()
    subprocess.run(
        [AIRFLOW, "variables", "set", "aeris_circuit_NO2", state],
        check=True,
        capture_output=True,
        env=os.environ,
    )
    env = {"AERIS_CIRCUIT_BREAKER_FAILURES": "", **smtp_server.env}
    emulator.faults([{"fault": "job_failed", "variable": "product/vertical_column_troposphere"}])  # NO2
    # AERIS_GASES narrows what an hourly run asks for (as an operator leaving PM out would).
    failed = run_dag("2024-09-07T16:00:00+00:00", CONF, AERIS_GASES="NO2,O3", **env)
    assert ti_states(failed, "gas.wait_for_harmony_job")["NO2"] == "failed"
    assert "airflow.aeris.harmony.job_failures.NO2" in failed["metrics"]  # README: failure metrics
    assert json.loads(_variable("aeris_circuit_NO2"))["failed_hours"] == [
        *earlier,
        "2024-09-07T15:00:00+00:00",
    ]
    assert any("circuit breaker now at 5 consecutive failed hour(s)" in line and "(opens at 5)" in line
               for line in failed["log"])  # fmt: skip
    # Two alerts: the gas failed, and its breaker opened (once: the skipped runs after it send none).
    assert [m["Subject"] for m in smtp_server.messages] == [
        "AERIS: NO2 2024-09-07 15:00 UTC failed",
        "AERIS: NO2 2024-09-07 15:00 UTC circuit breaker opened",
    ]
    opened = smtp_server.messages[1].get_body().get_content()
    assert "airflow variables delete aeris_circuit_NO2" in opened, opened
    emulator.clear_faults()

    skipped = run_dag("2024-09-07T17:00:00+00:00", CONF, AERIS_GASES="NO2,O3", **env)
    assert ti_states(skipped, "gas.wait_for_publication") == {"NO2": "skipped", "O3": "success"}
    assert skipped["state"] == "success"
    assert "airflow.aeris.circuit.open.NO2" in skipped["metrics"]
    assert any("CIRCUIT BREAKER OPEN for NO2" in line for line in skipped["log"])
    assert len(smtp_server.messages) == 2

    manual = run_dag("2024-09-07T17:00:00+00:00", {**CONF, "gases": ["NO2"]}, **env)
    assert ti_states(manual, "gas.load_gas_hour") == {"NO2": "success"}
    assert _variable("aeris_circuit_NO2") is None  # closed
