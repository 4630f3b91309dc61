"""aeris_lib.cmr_events: CMR's granule events as SQS delivers them (SNS's envelope or raw), the hours a
granule may change, and one event per granule however often and in whatever order messages come. The
emulator's messages and the events DAG: tests/emulator/test_cmr_events.py, tests/e2e/test_events_dag.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from aeris_lib.cmr_events import (
    DELETE,
    NEW,
    UPDATE,
    EventError,
    GranuleEvent,
    messages_of,
    newest,
    parse_message,
)

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

NAME = "TEMPO_NO2_L3_V03_20240806T154034Z_S008.nc"
COLLECTION = "C2930725014-LARC_CLOUD"


def cmr_body(revision: object = "2", **extra) -> dict:
    """CMR's message body (subscriptions.clj): what an NRT subscription sends for a granule."""
    return {
        "concept-id": "G3000000001-LARC_CLOUD",
        "revision-id": revision,
        "granule-ur": NAME,
        "producer-granule-id": NAME,
        "location": f"https://cmr.earthdata.nasa.gov/search/concepts/G3000000001-LARC_CLOUD/{revision}",
        **extra,
    }


def sns_message(body: dict, mode: str = "Update", message_id: str = "m-1") -> dict:
    envelope = {
        "Type": "Notification",
        "Subject": f"{mode} Notification",
        "Message": json.dumps(body),
        "MessageAttributes": {
            "collection-concept-id": {"Type": "String", "Value": COLLECTION},
            "mode": {"Type": "String", "Value": mode},
            "subscriber": {"Type": "String", "Value": "aeris"},
        },
    }
    return {"MessageId": message_id, "Body": json.dumps(envelope)}


def event(revision: int, mode: str = NEW, name: str = NAME) -> GranuleEvent:
    return GranuleEvent(mode, COLLECTION, "G1-LARC_CLOUD", revision, name)


def test_an_sns_wrapped_message_gives_the_granule_its_revision_and_mode():
    parsed = parse_message(sns_message(cmr_body()))
    assert parsed == GranuleEvent(UPDATE, COLLECTION, "G3000000001-LARC_CLOUD", 2, NAME, NAME, "m-1")
    assert parsed.scan_start == datetime(2024, 8, 6, 15, 40, 34, tzinfo=UTC)


def test_a_raw_message_takes_its_attributes_from_sqs():
    raw = {
        "MessageId": "m-2",
        "Body": json.dumps(cmr_body(revision=1)),
        "MessageAttributes": {
            "collection-concept-id": {"DataType": "String", "StringValue": COLLECTION},
            "mode": {"DataType": "String", "StringValue": "New"},
        },
    }
    assert parse_message(raw).mode == NEW and parse_message(raw).revision == 1


def test_the_revision_comes_from_the_location_when_the_body_has_none():
    assert (
        parse_message(
            sns_message(cmr_body(revision=None) | {"location": "https://x/search/concepts/G1/7"})
        ).revision
        == 7
    )


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ({"MessageId": "m", "Body": "not json"}, "body is not JSON"),
        ({"MessageId": "m", "Body": json.dumps([1, 2])}, "not an object"),
        (sns_message({"granule-ur": NAME}), "missing concept-id"),
        (sns_message(cmr_body(), mode="Destroy"), "unknown mode 'Destroy'"),
        (sns_message(cmr_body(revision="two")), "revision-id 'two'"),
        ({"MessageId": "m", "Body": json.dumps(cmr_body())}, "missing collection-concept-id, mode"),
    ],
)
def test_a_message_that_is_no_granule_event_is_refused_naming_why(message, named):
    with pytest.raises(EventError, match=named):
        parse_message(message)


def test_a_scan_may_change_its_starting_hour_and_the_next():
    assert event(1).hours() == (datetime(2024, 8, 6, 15, tzinfo=UTC), datetime(2024, 8, 6, 16, tzinfo=UTC))
    on_the_hour = event(1, name="TEMPO_NO2_L3_V03_20240806T150000Z_S008.nc")
    assert on_the_hour.hours() == (datetime(2024, 8, 6, 15, tzinfo=UTC),)
    assert event(1, name="SOMETHING_ELSE.nc").hours() == ()


def test_duplicates_and_late_older_messages_count_once_at_the_newest_revision():
    other = event(1, name="TEMPO_NO2_L3_V03_20240806T164034Z_S009.nc")
    kept = newest([event(2, UPDATE), event(1), event(2, UPDATE), other, event(1)])
    assert kept == [event(2, UPDATE), other]
    assert newest([event(2, UPDATE), event(2, DELETE)]) == [event(2, DELETE)]  # deleted: the record is gone


def test_the_messages_come_from_the_watchers_asset_events():
    extras = [
        {
            "from_trigger": True,
            "payload": {"status": "success", "message_batch": [{"Body": "a"}, {"Body": "b"}]},
        },
        {"from_trigger": True, "payload": {"status": "success", "message_batch": [{"Body": "c"}]}},
        {},  # an event a user made by hand, with no messages
    ]
    assert [m["Body"] for m in messages_of(extras)] == ["a", "b", "c"]
