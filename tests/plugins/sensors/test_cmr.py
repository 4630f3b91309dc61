"""CmrPublicationSensor against the emulator's CMR over real HTTP: checks once, defers, skips nights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aeris.sensors.cmr import CmrPublicationSensor
from aeris.triggers.cmr import CmrPublicationTrigger
from airflow.sdk.exceptions import AirflowException, AirflowSkipException, TaskDeferred

from tests.support.cmr import BBOX, HOUR_GRANULES, NO2, H, hold

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


@pytest.fixture
def sensor(fresh_emulator, monkeypatch):
    monkeypatch.setenv("EARTHDATA_CMR_URL", fresh_emulator.base_url)
    monkeypatch.setenv("AERIS_PUBLICATION_DEADLINE_MINUTES", "10000000")
    return CmrPublicationSensor(task_id="wait", collection_id=NO2, hour=H.isoformat(), bbox=BBOX, subject="NO2",
                                poll_interval=0.5)  # fmt: skip


def test_sensor_returns_granules_without_deferring_when_published(sensor):
    result = sensor.execute({})
    assert [g["name"] for g in result["granules"]] == HOUR_GRANULES and result["complete"] is True


def test_sensor_defers_to_the_trigger_when_not_yet_published(sensor, fresh_emulator):
    hold(fresh_emulator, None)
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
        "revision": 3,
        "size_bytes": 534_112_345,
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
