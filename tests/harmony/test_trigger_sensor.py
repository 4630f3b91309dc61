"""HarmonyJobTrigger and HarmonyJobSensor against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from airflow.sdk.exceptions import AirflowException, TaskDeferred
from sensors.harmony import HarmonyJobSensor
from triggers.harmony import HarmonyJobTrigger

from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.harmony.test_client import request, set_faults, stats

CONN_ID = "harmony_trigger_test"


@pytest.fixture
def harmony_conn(emulator, monkeypatch):
    """A `harmony` connection to this test's emulator, from the environment as in production."""
    conn = {
        "conn_type": "harmony",
        "host": emulator.base_url,
        "login": EMULATOR_USER,
        "password": EMULATOR_PASSWORD,
        "extra": {"urs_url": emulator.base_url},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    return CONN_ID


def run_trigger(trigger: HarmonyJobTrigger) -> list[dict]:
    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def make_trigger(job_id: str, **kwargs) -> HarmonyJobTrigger:
    return HarmonyJobTrigger(
        job_id=job_id, harmony_conn_id=CONN_ID, poll_interval=0.2, max_poll_interval=0.5, **kwargs
    )


def test_serialize_round_trip():
    trigger = HarmonyJobTrigger(
        job_id="abc", harmony_conn_id="h", poll_interval=3, max_poll_interval=9, timeout=60,
        skip_preview=False, resume_paused=True,
    )  # fmt: skip
    path, kwargs = trigger.serialize()
    assert path == "triggers.harmony.HarmonyJobTrigger"
    # Written out by hand: a field the trigger forgets to serialize is lost when the triggerer rebuilds it.
    assert kwargs == {
        "job_id": "abc", "harmony_conn_id": "h", "poll_interval": 3, "max_poll_interval": 9, "timeout": 60,
        "skip_preview": False, "resume_paused": True,
    }  # fmt: skip
    module, name = path.rsplit(".", 1)
    clone = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert clone.serialize() == (path, kwargs)


def test_trigger_success_yields_one_event_with_links(client, harmony_conn):
    ref = client.submit(request(force_async=True))
    events = run_trigger(make_trigger(ref.job_id))
    assert len(events) == 1
    assert events[0]["status"] == "success" and events[0]["job_status"] == "successful"
    assert events[0]["data_links"] and all(link.startswith("http") for link in events[0]["data_links"])


@pytest.mark.parametrize(("fault", "status"), [("job_failed", "failed"), ("job_canceled", "canceled")])
def test_trigger_failed_job_yields_error_with_harmonys_message(client, emulator, harmony_conn, fault, status):
    set_faults(emulator, {"fault": fault})
    ref = client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert (event["status"], event["job_status"]) == ("error", status)
    assert event["message"] and event["message"] != "no message"


def test_trigger_timeout(client, emulator, harmony_conn):
    set_faults(emulator, {"fault": "slow_job"})
    ref = client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id, timeout=1.0))
    assert (event["status"], event["job_status"]) == ("error", "timeout")


def test_trigger_paused_and_previewing(client, emulator, harmony_conn):
    set_faults(emulator, {"fault": "paused", "times": 2})
    ref = client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert (event["status"], event["job_status"]) == ("error", "paused")
    ref = client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id, resume_paused=True))
    assert event["status"] == "success", event

    set_faults(emulator, {"fault": "previewing", "times": 2})
    ref = client.submit(request(force_async=True, skip_preview=False))
    (event,) = run_trigger(make_trigger(ref.job_id, skip_preview=False))
    assert (event["status"], event["job_status"]) == ("error", "previewing")
    ref = client.submit(request(force_async=True, skip_preview=False))
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert event["status"] == "success", event


def test_trigger_refreshes_an_expired_token(client, emulator, harmony_conn):
    ref = client.submit(request(force_async=True))
    set_faults(emulator, {"fault": "expired_token", "times": 1})
    before = stats(emulator)
    (event,) = run_trigger(make_trigger(ref.job_id))
    after = stats(emulator)
    assert event["status"] == "success", event
    # One 401, then a new token from Earthdata Login and success: refreshed exactly once.
    assert after["rejected_tokens"] - before["rejected_tokens"] == 1


class _TaskInstance:
    def __init__(self):
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value


def _sensor(job_id: str) -> HarmonyJobSensor:
    return HarmonyJobSensor(task_id="wait", job_id=job_id, harmony_conn_id=CONN_ID, poll_interval=0.2)


def test_sensor_checks_once_then_defers(client, emulator, harmony_conn):
    set_faults(emulator, {"fault": "slow_job"})
    ref = client.submit(request(force_async=True))
    ti = _TaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        _sensor(ref.job_id).execute({"ti": ti})
    assert isinstance(deferred.value.trigger, HarmonyJobTrigger)
    assert deferred.value.trigger.job_id == ref.job_id
    assert deferred.value.method_name == "execute_complete"
    assert ti.xcom["harmony_job_url"] == f"{emulator.base_url}/jobs/{ref.job_id}"


def test_sensor_returns_links_without_deferring_when_the_job_is_done(client, harmony_conn):
    ref = client.submit(request(force_async=True))
    job = client.wait_for_job(ref.job_id, poll_initial=0.2)
    expected = [link.href for link in job.data_links]
    assert len(expected) >= 2  # the hour overlaps two scans: one output each
    assert _sensor(ref.job_id).execute({"ti": _TaskInstance()}) == expected


def test_a_sensor_in_poke_mode_hands_over_the_same_links(client, harmony_conn):
    """deferrable=False (no triggerer): poke returns the links as the task's XCom, as execute does."""
    ref = client.submit(request(force_async=True))
    job = client.wait_for_job(ref.job_id, poll_initial=0.2)
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


@pytest.mark.parametrize("fault", ["503", "reset"])
def test_trigger_polls_through_transient_failures(client, emulator, harmony_conn, fault):
    """A 503 or a dropped connection while waiting is asked again at the next interval, not an error."""
    ref = client.submit(request(force_async=True))
    set_faults(emulator, {"fault": fault, "times": 2})
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert event["status"] == "success", event
    assert stats(emulator)["transient_faults"] == 2


def test_trigger_without_credentials_is_an_auth_error(emulator, monkeypatch):
    monkeypatch.delenv("BEARER_TOKEN", raising=False)
    monkeypatch.delenv("EARTHDATA_USERNAME", raising=False)
    monkeypatch.delenv("EARTHDATA_PASSWORD", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_NO_CREDS", json.dumps({"conn_type": "harmony", "host": emulator.base_url})
    )
    trigger = HarmonyJobTrigger(job_id="00000000-0000-0000-0000-000000000000", harmony_conn_id="no_creds")
    (event,) = run_trigger(trigger)
    assert (event["status"], event["job_status"]) == ("error", "auth_error")
    assert "no Earthdata credentials" in event["message"]
