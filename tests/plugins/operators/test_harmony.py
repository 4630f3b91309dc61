"""HarmonyJobOperator against the emulator over real HTTP: waits for CMR's listing (skipping a night
hour), submits (here: the job handed to it), looks once, defers, and hands the job's XCom on with its
links, tagging the context with the slice's gas and hour for the failure callbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.operators import harmony as operator_module
from aeris.operators.harmony import JOB_KEY, HarmonyJobOperator
from aeris.triggers.harmony import HarmonyJobTrigger
from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from tests.support.emulator import set_faults
from tests.support.fixtures import HARMONY_TEST_CONN_ID as CONN_ID
from tests.support.harmony import request

unit = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
PRODUCT = GasHour(DEFAULT_CATALOG["NO2"], HOUR, (-100.0, 35.0, -98.0, 37.0), "C3685668637-LARC_CLOUD", "nrt",
                  "TEMPO_NO2_L3_NRT", "V02").to_xcom()  # fmt: skip


class _TaskInstance:
    map_index = 0

    def __init__(self):
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value

    def xcom_pull(self, task_ids: str, key: str, map_indexes: int) -> object:
        assert (task_ids, map_indexes) == ("gas.harmony_job", 0)
        return self.xcom.get(key)


@pytest.fixture
def submitted(harmony_client, harmony_conn, monkeypatch) -> list:
    """The job `submit_or_reuse` hands the operator: a real one, submitted to the emulator (what it
    asks of the database, the job memory and capabilities, is tested in tests/plugins/tasks)."""
    calls: list = []

    def submit(gas_hour, publication):
        ref = harmony_client.submit(request(force_async=True))
        calls.append((gas_hour.gas, publication))
        return {
            "gas": gas_hour.gas,
            "hour": gas_hour.hour.isoformat(),
            "job_id": ref.job_id,
            "granules": ["g1"],
        }

    monkeypatch.setattr(operator_module, "submit_or_reuse", submit)
    return calls


def _operator(product: dict = PRODUCT, **kwargs) -> HarmonyJobOperator:
    kwargs.setdefault("wait_for_publication", False)
    return HarmonyJobOperator(task_id="gas.harmony_job", product=product, harmony_conn_id=CONN_ID,
                              job_poll_interval=0.2, **kwargs)  # fmt: skip


@unit
def test_it_submits_looks_once_then_defers_with_the_job_kept_for_the_resume(fresh_emulator, submitted):
    set_faults(fresh_emulator, {"fault": "slow_job"})
    ti, context = _TaskInstance(), {}
    context["ti"] = ti
    with pytest.raises(TaskDeferred) as deferred:
        _operator(look_again_for=0.0).execute(context)
    assert isinstance(deferred.value.trigger, HarmonyJobTrigger)
    job = ti.xcom[JOB_KEY]
    assert deferred.value.trigger.job_id == job["job_id"] and submitted == [("NO2", None)]
    # The failure callbacks name the slice's own gas and hour (not the run's dates).
    assert (context["gas"], context["gas_hour"]) == ("NO2", HOUR.isoformat())

    event = {"status": "success", "job_id": job["job_id"], "job_status": "successful",
             "data_links": ["https://files/a.nc"], "waited_s": 3.0}  # fmt: skip
    resumed = {"ti": ti}  # a new process: only the XCom and the product are known
    assert _operator().job_complete(resumed, event) == {**job, "data_links": ["https://files/a.nc"]}
    assert resumed["gas"] == "NO2"


@unit
def test_a_job_that_ends_within_seconds_is_handed_on_without_deferring(harmony_client, submitted):
    """The emulator's jobs run 0.5 s: the operator looks again for up to 10 s before deferring."""
    ti = _TaskInstance()
    result = _operator().execute({"ti": ti})
    job = harmony_client.wait_for_job(result["job_id"], poll_initial=0.2)
    assert result["data_links"] == [link.href for link in job.data_links] and len(result["data_links"]) >= 2
    assert result["granules"] == ["g1"] and ti.xcom[JOB_KEY]["job_id"] == result["job_id"]


@unit
def test_it_takes_the_harmony_pool_and_the_per_gas_callbacks():
    task = _operator(wait_for_publication=True)
    assert task.pool == "harmony_api" and task.on_failure_callback and task.on_retry_callback
    assert task.watch.look_again_for == 10.0 and task.watch.conn_id == CONN_ID
    assert set(HarmonyJobOperator.template_fields) >= {"product", "publication"}


def _hour_of(hour: datetime) -> dict:
    return GasHour(DEFAULT_CATALOG["NO2"], hour, (-100.0, 35.0, -98.0, 37.0), "C3685896708-LARC_CLOUD",
                   "standard", "TEMPO_NO2_L3", "V04").to_xcom()  # fmt: skip


def test_a_listed_hour_goes_on_to_the_job_with_what_cmr_listed(conn, cmr, harmony_conn, submitted):
    """One task for both waits: the CMR look finds the hour listed, and the job is asked for exactly
    the granules CMR listed, then handed on with its links."""
    ti = _TaskInstance()
    result = _operator(_hour_of(HOUR), wait_for_publication=True).execute({"ti": ti})
    ((gas, publication),) = submitted
    assert gas == "NO2" and publication["complete"] and len(publication["granules"]) >= 1
    assert result["data_links"] and ti.xcom[JOB_KEY]["job_id"] == result["job_id"]


def test_a_night_hour_is_skipped_before_any_job(conn, cmr, harmony_conn, submitted):
    night = datetime(2024, 9, 2, 5, tzinfo=UTC)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE gas_type = 'NO2' AND obs_time = %s", (night,))
    conn.commit()
    with pytest.raises(AirflowSkipException, match="outside TEMPO's scan window"):
        _operator(_hour_of(night), wait_for_publication=True).execute({"ti": _TaskInstance()})
    assert submitted == []
