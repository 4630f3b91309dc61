"""CmrPublicationTrigger and CmrPublicationSensor against the emulator's CMR over real HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowSkipException, TaskDeferred
from sensors.cmr import CmrPublicationSensor
from triggers.cmr import CmrPublicationTrigger

from harmony_emulator.scans import granule_name, scans_overlapping
from tests.catalog_ids import concept_id

H = datetime(2024, 9, 2, 16, tzinfo=UTC)
NO2 = concept_id("NO2")
BBOX = [-100.0, 35.0, -98.0, 37.0]
HOUR_GRANULES = [granule_name(NO2, s) for s in scans_overlapping(H, H + timedelta(hours=1))]


def hold(emulator, available_in_s: float | None) -> None:
    body = {
        "holds": [
            {
                "start": H.isoformat(),
                "end": (H + timedelta(hours=1)).isoformat(),
                "available_in_s": available_in_s,
            }
        ]
    }
    request = urllib.request.Request(
        f"{emulator.base_url}/_emulator/publication", data=json.dumps(body).encode(), method="POST"
    )
    urllib.request.urlopen(request).read()


def make_trigger(emulator, deadline: datetime, **kwargs) -> CmrPublicationTrigger:
    return CmrPublicationTrigger(
        cmr_url=emulator.base_url, collection_id=NO2, hour=H.isoformat(), bbox=BBOX,
        deadline=deadline.isoformat(), poll_interval=0.2, **kwargs,
    )  # fmt: skip


def run_trigger(trigger: CmrPublicationTrigger) -> list[dict]:
    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def test_serialize_round_trip_matches_the_constructor():
    kwargs = {
        "cmr_url": "https://cmr.earthdata.nasa.gov", "collection_id": NO2, "hour": H.isoformat(), "bbox": BBOX,
        "deadline": (H + timedelta(hours=4)).isoformat(), "no_scan_reason": None, "poll_interval": 300.0,
    }  # fmt: skip
    assert CmrPublicationTrigger(**kwargs).serialize() == ("triggers.cmr.CmrPublicationTrigger", kwargs)


def test_trigger_waits_until_the_hour_is_published(emulator):
    hold(emulator, None)
    release = threading.Timer(1.0, hold, args=(emulator, 0))
    release.start()
    started = time.monotonic()
    [event] = run_trigger(make_trigger(emulator, datetime.now(UTC) + timedelta(hours=1)))
    assert time.monotonic() - started >= 1.0
    assert event["status"] == "ready" and event["complete"] is True
    assert [g["name"] for g in event["granules"]] == HOUR_GRANULES


def test_trigger_gives_up_at_the_deadline(emulator):
    hold(emulator, None)
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    [event] = run_trigger(make_trigger(emulator, deadline))
    assert event["status"] == "not_published"
    assert event["reason"] == f"not published by {deadline:%Y-%m-%d %H:%M} UTC"


def test_trigger_rides_out_a_cmr_outage_until_the_deadline():
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    trigger = CmrPublicationTrigger(
        cmr_url="http://127.0.0.1:9", collection_id=NO2, hour=H.isoformat(), bbox=BBOX,
        deadline=deadline.isoformat(), poll_interval=0.2,
    )  # fmt: skip
    [event] = run_trigger(trigger)
    assert event["status"] == "not_published"


@pytest.fixture
def sensor(emulator, monkeypatch):
    monkeypatch.setenv("EARTHDATA_CMR_URL", emulator.base_url)
    monkeypatch.setenv("AERIS_PUBLICATION_DEADLINE_MINUTES", "10000000")
    return CmrPublicationSensor(task_id="wait", collection_id=NO2, hour=H.isoformat(), bbox=BBOX, subject="NO2",
                                poll_interval=0.5)  # fmt: skip


def test_sensor_returns_granules_without_deferring_when_published(sensor):
    result = sensor.execute({})
    assert [g["name"] for g in result["granules"]] == HOUR_GRANULES and result["complete"] is True


def test_sensor_defers_to_the_trigger_when_not_yet_published(sensor, emulator):
    hold(emulator, None)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, CmrPublicationTrigger)
    assert (trigger.hour, trigger.poll_interval, trigger.no_scan_reason) == (H.isoformat(), 0.5, None)
    assert deferred.value.method_name == "execute_complete"


def test_sensor_skips_night_at_once(sensor):
    sensor.hour = H.replace(hour=4).isoformat()
    with pytest.raises(AirflowSkipException, match="outside TEMPO's scan window"):
        sensor.execute({})


def test_execute_complete_for_each_event_shape(sensor):
    granule = {
        "name": "G",
        "start": H.isoformat(),
        "end": (H + timedelta(hours=1)).isoformat(),
        "concept_id": "",
    }
    ready = {"status": "ready", "reason": "r", "granules": [granule], "complete": True}
    assert sensor.execute_complete({}, ready) == {"granules": [granule], "complete": True}
    with pytest.raises(AirflowSkipException, match="not published by"):
        sensor.execute_complete(
            {}, {"status": "not_published", "reason": "not published by 2024-09-02 20:00 UTC"}
        )
    with pytest.raises(AirflowSkipException, match="night"):
        sensor.execute_complete({}, {"status": "no_scan", "reason": "night over the bbox"})
    with pytest.raises(AirflowException, match="HTTP 400"):
        sensor.execute_complete({}, {"status": "error", "reason": "CMR granule search answered HTTP 400"})
