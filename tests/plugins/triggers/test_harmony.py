"""HarmonyJobTrigger against the emulator over real HTTP, driven with the real event loop."""

from __future__ import annotations

import asyncio
import json

import pytest
from aeris.triggers.harmony import HarmonyJobTrigger

from tests.support.emulator import set_faults, stats
from tests.support.fixtures import HARMONY_TEST_CONN_ID as CONN_ID
from tests.support.harmony import request

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


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
    assert path == "aeris.triggers.harmony.HarmonyJobTrigger"
    # Written out by hand: a field the trigger forgets to serialize is lost when the triggerer rebuilds it.
    assert kwargs == {
        "job_id": "abc", "harmony_conn_id": "h", "poll_interval": 3, "max_poll_interval": 9, "timeout": 60,
        "skip_preview": False, "resume_paused": True,
    }  # fmt: skip
    module, name = path.rsplit(".", 1)
    clone = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert clone.serialize() == (path, kwargs)


def test_trigger_success_yields_one_event_with_links(harmony_client, harmony_conn):
    ref = harmony_client.submit(request(force_async=True))
    events = run_trigger(make_trigger(ref.job_id))
    assert len(events) == 1
    assert events[0]["status"] == "success" and events[0]["job_status"] == "successful"
    assert events[0]["data_links"] and all(link.startswith("http") for link in events[0]["data_links"])


@pytest.mark.parametrize(("fault", "status"), [("job_failed", "failed"), ("job_canceled", "canceled")])
def test_trigger_failed_job_yields_error_with_harmonys_message(
    harmony_client, fresh_emulator, harmony_conn, fault, status
):
    set_faults(fresh_emulator, {"fault": fault})
    ref = harmony_client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert (event["status"], event["job_status"]) == ("error", status)
    assert event["message"] and event["message"] != "no message"


def test_trigger_timeout(harmony_client, fresh_emulator, harmony_conn):
    set_faults(fresh_emulator, {"fault": "slow_job"})
    ref = harmony_client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id, timeout=1.0))
    assert (event["status"], event["job_status"]) == ("error", "timeout")


def test_trigger_paused_and_previewing(harmony_client, fresh_emulator, harmony_conn):
    set_faults(fresh_emulator, {"fault": "paused", "times": 2})
    ref = harmony_client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert (event["status"], event["job_status"]) == ("error", "paused")
    ref = harmony_client.submit(request(force_async=True))
    (event,) = run_trigger(make_trigger(ref.job_id, resume_paused=True))
    assert event["status"] == "success", event

    set_faults(fresh_emulator, {"fault": "previewing", "times": 2})
    ref = harmony_client.submit(request(force_async=True, skip_preview=False))
    (event,) = run_trigger(make_trigger(ref.job_id, skip_preview=False))
    assert (event["status"], event["job_status"]) == ("error", "previewing")
    ref = harmony_client.submit(request(force_async=True, skip_preview=False))
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert event["status"] == "success", event


def test_trigger_refreshes_an_expired_token(harmony_client, fresh_emulator, harmony_conn):
    ref = harmony_client.submit(request(force_async=True))
    set_faults(fresh_emulator, {"fault": "expired_token", "times": 1})
    before = stats(fresh_emulator)
    (event,) = run_trigger(make_trigger(ref.job_id))
    after = stats(fresh_emulator)
    assert event["status"] == "success", event
    # One 401, then a new token from Earthdata Login and success: refreshed exactly once.
    assert after["rejected_tokens"] - before["rejected_tokens"] == 1


@pytest.mark.parametrize("fault", ["503", "reset"])
def test_trigger_polls_through_transient_failures(harmony_client, fresh_emulator, harmony_conn, fault):
    """A 503 or a dropped connection while waiting is asked again at the next interval, not an error."""
    ref = harmony_client.submit(request(force_async=True))
    set_faults(fresh_emulator, {"fault": fault, "times": 2})
    (event,) = run_trigger(make_trigger(ref.job_id))
    assert event["status"] == "success", event
    assert stats(fresh_emulator)["transient_faults"] == 2


def test_trigger_without_credentials_is_an_auth_error(fresh_emulator, monkeypatch):
    monkeypatch.delenv("BEARER_TOKEN", raising=False)
    monkeypatch.delenv("EARTHDATA_USERNAME", raising=False)
    monkeypatch.delenv("EARTHDATA_PASSWORD", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_NO_CREDS", json.dumps({"conn_type": "harmony", "host": fresh_emulator.base_url})
    )
    trigger = HarmonyJobTrigger(job_id="00000000-0000-0000-0000-000000000000", harmony_conn_id="no_creds")
    (event,) = run_trigger(trigger)
    assert (event["status"], event["job_status"]) == ("error", "auth_error")
    assert "no Earthdata credentials" in event["message"]
