"""HarmonyJobSensor against the emulator over real HTTP: checks once, defers, hands over the links."""

from __future__ import annotations

import logging
import time

import pytest
from aeris.sensors.harmony import HarmonyJobSensor
from aeris.triggers.harmony import HarmonyJobTrigger
from airflow.sdk.exceptions import AirflowException, TaskDeferred

from tests.support.emulator import set_faults
from tests.support.fixtures import HARMONY_TEST_CONN_ID as CONN_ID
from tests.support.harmony import request

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


class _TaskInstance:
    def __init__(self):
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value


def _sensor(job_id: str) -> HarmonyJobSensor:
    return HarmonyJobSensor(task_id="wait", job_id=job_id, harmony_conn_id=CONN_ID, poll_interval=0.2)


def test_sensor_checks_once_then_defers(harmony_client, fresh_emulator, harmony_conn):
    set_faults(fresh_emulator, {"fault": "slow_job"})
    ref = harmony_client.submit(request(force_async=True))
    ti = _TaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        _sensor(ref.job_id).execute({"ti": ti})
    assert isinstance(deferred.value.trigger, HarmonyJobTrigger)
    assert deferred.value.trigger.job_id == ref.job_id
    assert deferred.value.method_name == "execute_complete"
    assert ti.xcom["harmony_job_url"] == f"{fresh_emulator.base_url}/jobs/{ref.job_id}"


def test_sensor_returns_links_without_deferring_when_the_job_is_done(harmony_client, harmony_conn):
    ref = harmony_client.submit(request(force_async=True))
    job = harmony_client.wait_for_job(ref.job_id, poll_initial=0.2)
    expected = [link.href for link in job.data_links]
    assert len(expected) >= 2  # the hour overlaps two scans: one output each
    assert _sensor(ref.job_id).execute({"ti": _TaskInstance()}) == expected


def test_a_job_that_ends_within_look_again_for_is_waited_for_without_deferring(
    harmony_client, fresh_emulator, harmony_conn
):
    """A job that runs 1.5 s: not done at the first look, done within a few more."""
    set_faults(fresh_emulator, {"fault": "slow_job", "seconds": 1.5})
    ref = harmony_client.submit(request(force_async=True))
    sensor = HarmonyJobSensor(task_id="wait", job_id=ref.job_id, harmony_conn_id=CONN_ID, look_again_for=5.0)
    links = sensor.execute({"ti": _TaskInstance()})
    assert links == [link.href for link in harmony_client.get_job(ref.job_id).data_links] and links


def test_look_again_for_is_a_bound_then_it_defers(harmony_client, fresh_emulator, harmony_conn):
    set_faults(fresh_emulator, {"fault": "slow_job"})
    ref = harmony_client.submit(request(force_async=True))
    sensor = HarmonyJobSensor(task_id="wait", job_id=ref.job_id, harmony_conn_id=CONN_ID, look_again_for=1.0)
    started = time.monotonic()
    with pytest.raises(TaskDeferred):
        sensor.execute({"ti": _TaskInstance()})
    assert time.monotonic() - started < 3.0


def test_a_sensor_in_poke_mode_hands_over_the_same_links(harmony_client, harmony_conn):
    """deferrable=False (no triggerer): poke returns the links as the task's XCom, as execute does."""
    ref = harmony_client.submit(request(force_async=True))
    job = harmony_client.wait_for_job(ref.job_id, poll_initial=0.2)
    sensor = HarmonyJobSensor(task_id="wait", job_id=ref.job_id, harmony_conn_id=CONN_ID, deferrable=False)
    done = sensor.poke({})
    assert done.is_done and done.xcom_value == [link.href for link in job.data_links]


def test_sensor_execute_complete_for_each_event_shape(caplog):
    sensor = _sensor("job-1")
    links = ["https://files.example/a.tif?X-Amz-Signature=s"]
    success = {"status": "success", "job_id": "job-1", "job_status": "successful", "message": "ok",
               "data_links": links}  # fmt: skip
    with caplog.at_level(logging.INFO):
        assert sensor.execute_complete({}, success) == links
    partial = {**success, "job_status": "complete_with_errors", "message": "1 of 2 granules failed"}
    assert sensor.execute_complete({}, partial) == links
    for job_status, message in [
        ("failed", "Variable product/x not found"),
        ("canceled", "Canceled by user"),
        ("paused", "job is paused"),
        ("previewing", "job is previewing"),
        ("timeout", "job not finished after 60 s"),
        ("http_error", "GET answered HTTP 404"),
        ("unreachable", "Harmony unreachable: ClientConnectorError"),
    ]:
        event = {"status": "error", "job_id": "job-1", "job_status": job_status, "message": message}
        with pytest.raises(AirflowException, match=f"job-1 {job_status}: {message}"):
            sensor.execute_complete({}, event)
