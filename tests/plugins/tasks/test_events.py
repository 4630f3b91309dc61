"""aeris.tasks.events: from the granule events of a run to the gas-hours to load, decided from CMR's own
listing (the test's emulator) and the ledger (the stack's PostGIS): a held hour waits, a complete one
loads, one already published from the same granules does not, O3TOT's event loads O3 and AI, a deletion
loads nothing. The whole path with the scheduler and triggerer: tests/e2e/test_events_dag.py."""

from __future__ import annotations

import itertools
import json
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from aeris.tasks import events
from aeris.tasks.events import find_event_hours, parsed_events, triggering_messages

from aeris_lib.db.load import load_slice
from harmony_emulator.scans import granule_concept_id, granule_name, scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.db import forget_hours
from tests.support.emulator import Emulator
from tests.support.geotiff import write_geotiff

HOUR = datetime(2024, 9, 6, 16, tzinfo=UTC)
BBOX = [-100.0, 35.0, -98.0, 37.0]
NO2, O3TOT = concept_id("NO2", "nrt"), concept_id("O3")


def message(collection: str, scan, mode: str = "New", revision: int = 1) -> dict:
    body = {"concept-id": granule_concept_id(collection, scan), "revision-id": str(revision),
            "granule-ur": granule_name(collection, scan)}  # fmt: skip
    envelope = {"Type": "Notification", "Message": json.dumps(body),
                "MessageAttributes": {"collection-concept-id": {"Type": "String", "Value": collection},
                                      "mode": {"Type": "String", "Value": mode}}}  # fmt: skip
    return {"MessageId": f"{mode}-{body['granule-ur']}", "Body": json.dumps(envelope)}


def context(*messages: dict, gases: list[str] | None = None) -> dict:
    asset_event = SimpleNamespace(extra={"from_trigger": True, "payload": {"message_batch": list(messages)}})
    return {
        "params": {"gases": gases or ["NO2"], "bbox": BBOX},
        "triggering_asset_events": {"granule events": [asset_event]},
        "dag_run": SimpleNamespace(conf={}, run_type="asset_triggered"),
    }


@pytest.mark.unit
def test_messages_come_from_every_triggering_event_and_bad_ones_are_logged_not_fatal(caplog):
    first = SimpleNamespace(extra={"payload": {"message_batch": [{"Body": "x", "MessageId": "m1"}]}})
    second = SimpleNamespace(extra={"payload": {"message_batch": [{"Body": "y", "MessageId": "m2"}]}})
    assert [m["MessageId"] for m in triggering_messages({"triggering_asset_events": {"a": [first, second]}})] == [
        "m1", "m2",
    ]  # fmt: skip
    scan = scans_overlapping(HOUR, HOUR + timedelta(hours=1))[0]
    with caplog.at_level(logging.INFO):
        kept = parsed_events([{"Body": "x", "MessageId": "m1"}, message(NO2, scan), message(NO2, scan)])
    assert [e.granule_ur for e in kept] == [granule_name(NO2, scan)]
    assert "Ignored: SQS message m1: body is not JSON" in caplog.text
    assert "1 message(s) repeated a granule's event" in caplog.text


@pytest.fixture
def hour_world(cmr, db, monkeypatch):
    monkeypatch.setattr(events, "LISTING_PAUSE_S", 0.0)
    around = [HOUR + timedelta(hours=k) for k in (-1, 0, 1)]
    forget_hours(db, around, keep_capabilities=True)
    db.commit()
    yield Emulator(cmr.base_url), scans_overlapping(HOUR, HOUR + timedelta(hours=1))
    forget_hours(db, around, keep_capabilities=True)
    db.commit()


def test_an_hour_loads_once_complete_and_not_again_from_the_same_granules(hour_world, db, tmp_path):
    control, scans = hour_world
    control.hold(HOUR, None, NO2)
    assert find_event_hours.function(**context(message(NO2, scans[0]))) == []  # its other scan is held

    control.release()
    planned = find_event_hours.function(**context(message(NO2, scans[-1])))
    hours = {p["hour"]: p for p in planned}
    assert HOUR.isoformat() in hours and all(p["gas"] == "NO2" and p["line"] == "nrt" for p in planned)
    listing = hours[HOUR.isoformat()]["publication"]
    assert listing["complete"] and [g["name"] for g in listing["granules"]] == [
        granule_name(NO2, s) for s in scans
    ]

    # Published from exactly these granules: the same event (SQS sends at least once) plans nothing for it.
    product = hours[HOUR.isoformat()]
    path = str(write_geotiff(tmp_path / "no2.tif", np.linspace(1e15, 2e16, 100).reshape(10, 10)))
    load_slice(db, path, "NO2", HOUR, source_sha256="f" * 64, audit_bbox=tuple(BBOX), product_line="nrt",
               short_name=product["short_name"], version=product["version"],
               granule_revisions={g["name"]: g["revision"] for g in listing["granules"]})  # fmt: skip
    again = find_event_hours.function(**context(message(NO2, scans[-1])))
    assert HOUR.isoformat() not in {p["hour"] for p in again}

    # Republished (a new revision): loaded again.
    control.republish(HOUR, 2, NO2)
    update = find_event_hours.function(**context(message(NO2, scans[-1], "Update", 2)))
    assert HOUR.isoformat() in {p["hour"] for p in update}
    reloaded = next(p for p in update if p["hour"] == HOUR.isoformat())["publication"]["granules"]
    load_slice(db, path, "NO2", HOUR, source_sha256="e" * 64, audit_bbox=tuple(BBOX), product_line="nrt",
               short_name=product["short_name"], version=product["version"],
               granule_revisions={g["name"]: g["revision"] for g in reloaded})  # fmt: skip
    # The first publication's message, delivered late (out of order): the hour stays as loaded.
    late = find_event_hours.function(**context(message(NO2, scans[-1], "New", 1)))
    assert HOUR.isoformat() not in {p["hour"] for p in late}
    # A deletion (NRT granules leave CMR after 14 days) loads nothing.
    assert find_event_hours.function(**context(message(NO2, scans[-1], "Delete", 3))) == []


def test_an_o3tot_event_loads_o3_and_ai_from_one_collection(hour_world):
    _, _ = hour_world
    scans = scans_overlapping(HOUR, HOUR + timedelta(hours=1))
    planned = find_event_hours.function(**context(message(O3TOT, scans[-1]), gases=["NO2", "O3", "AI"]))
    at_hour = sorted(p["gas"] for p in planned if p["hour"] == HOUR.isoformat())
    assert at_hour == ["AI", "O3"]  # not NO2: nothing of its collection happened


@pytest.mark.unit
def test_the_dag_listens_to_the_queue_and_wires_the_hourly_dags_tasks(monkeypatch):
    from pathlib import Path

    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AERIS_EVENTS_QUEUE_ARN", "arn:aws:sqs:us-west-2:123456789012:aeris-events")
    dags = Path(__file__).resolve().parents[3] / "dags" / "aeris_tempo_events.py"
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    dag = bag.dags["aeris_tempo_events"]  # parsed only: no metadata DB
    [asset] = dag.timetable.asset_condition.objects
    assert asset.name == "aeris_tempo_granule_events" and len(asset.watchers) == 1
    order = ["find_event_hours", "gas.harmony_job", "gas.load_gas_hour", "recompute_hours"]
    for upstream, downstream in itertools.pairwise(order):
        assert downstream in dag.get_task(upstream).downstream_task_ids, (upstream, downstream)
    assert not dag.get_task("gas.harmony_job").wait_for_publication  # the plan carries CMR's listing
