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
                   "task_id": "gas.harmony_job", "map_index": 0},
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


def test_a_cmr_down_at_the_deadline_is_unknown_not_a_false_gap(monkeypatch):
    """No answer at all: after AT_DEADLINE_LOOKS more looks, an error (the task retries); never
    "not published", which would write the hour off and alert."""
    from aeris.triggers import cmr as cmr_trigger

    monkeypatch.setattr(cmr_trigger, "AT_DEADLINE_INTERVAL_S", 0.05)
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    trigger = CmrPublicationTrigger(
        cmr_url="http://127.0.0.1:9", collection_id=NO2, hour=H.isoformat(), bbox=BBOX,
        deadline=deadline.isoformat(), poll_interval=0.2,
    )  # fmt: skip
    [event] = run_trigger(trigger)
    assert event["status"] == "error", event
    assert "CMR did not answer at the deadline (6 looks)" in event["reason"]
    assert "whether the hour is published is unknown" in event["reason"]


def test_an_hour_listed_after_a_cmr_blip_at_the_deadline_is_loaded(fresh_emulator, monkeypatch):
    """Nothing listed before the deadline; CMR fails the looks at the deadline (503s) while the hour
    is published; then it answers: the hour is ready, not written off."""
    from aeris.hooks.cmr import CmrHook
    from aeris.triggers import cmr as cmr_trigger

    from aeris_lib.cmr import CmrUnavailable

    monkeypatch.setattr(cmr_trigger, "AT_DEADLINE_INTERVAL_S", 0.05)
    hold(fresh_emulator, None)
    deadline = datetime.now(UTC) + timedelta(seconds=0.5)
    real = CmrHook.agranules
    looks = []

    async def blip(self, *args, **kwargs):
        looks.append(datetime.now(UTC))
        failed_past_deadline = sum(look >= deadline for look in looks)
        if failed_past_deadline == 1:
            hold(fresh_emulator, 0)  # published during the blip
        if 1 <= failed_past_deadline <= 4:
            raise CmrUnavailable("CMR answered 503 Service Unavailable")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(CmrHook, "agranules", blip)
    [event] = run_trigger(make_trigger(fresh_emulator, deadline))
    assert event["status"] == "ready" and [g["name"] for g in event["granules"]] == HOUR_GRANULES
    assert sum(look >= deadline for look in looks) == 5  # four failed looks decided nothing, the fifth did
