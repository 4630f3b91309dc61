"""CmrPublicationTrigger against the emulator's CMR over real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from aeris.triggers.cmr import CmrPublicationTrigger

from tests.support.cmr import BBOX, HOUR_GRANULES, NO2, H, hold

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def make_trigger(fresh_emulator, deadline: datetime, **kwargs) -> CmrPublicationTrigger:
    return CmrPublicationTrigger(
        cmr_url=fresh_emulator.base_url, collection_id=NO2, hour=H.isoformat(), bbox=BBOX,
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
        "waiter": {"gas": "NO2", "dag_id": "aeris_tempo_hourly", "run_id": "r",
                   "task_id": "gas.wait_for_publication", "map_index": 0},
    }  # fmt: skip
    assert CmrPublicationTrigger(**kwargs).serialize() == ("aeris.triggers.cmr.CmrPublicationTrigger", kwargs)


def test_trigger_waits_until_the_hour_is_published(fresh_emulator):
    hold(fresh_emulator, None)
    release = threading.Timer(1.0, hold, args=(fresh_emulator, 0))
    release.start()
    started = time.monotonic()
    [event] = run_trigger(make_trigger(fresh_emulator, datetime.now(UTC) + timedelta(hours=1)))
    assert time.monotonic() - started >= 1.0
    assert event["status"] == "ready" and event["complete"] is True
    assert [g["name"] for g in event["granules"]] == HOUR_GRANULES


def test_trigger_gives_up_at_the_deadline(fresh_emulator):
    hold(fresh_emulator, None)
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    [event] = run_trigger(make_trigger(fresh_emulator, deadline))
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
