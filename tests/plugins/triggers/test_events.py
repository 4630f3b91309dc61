"""aeris.triggers.events: the granule-events asset is watched on the configured SQS queue by the amazon
provider's SQS trigger (through `MessageQueueTrigger`), and that trigger, run on a real event loop,
receives CMR's messages from a real SQS queue (the stack's moto server) through the `aeris_events`
connection and deletes them as it takes them."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from aeris.config.connections import EVENTS_CONN_ID
from aeris.triggers.events import GRANULE_EVENTS, LONG_POLL_S, granule_events

from aeris_lib.cmr_events import messages_of, parse_message

pytestmark = pytest.mark.integration

ARN = "arn:aws:sqs:us-west-2:123456789012:aeris-granule-events"


@pytest.mark.unit
def test_without_a_queue_the_asset_is_not_watched():
    asset = granule_events("")
    assert asset.name == GRANULE_EVENTS and not asset.watchers


@pytest.mark.unit
def test_the_watcher_long_polls_the_queue_of_the_arn_with_the_events_connection():
    [watcher] = granule_events(ARN).watchers
    classpath, kwargs = watcher.trigger.serialize()
    assert classpath == "airflow.providers.amazon.aws.triggers.sqs.SqsSensorTrigger"
    assert kwargs["sqs_queue"] == "https://sqs.us-west-2.amazonaws.com/123456789012/aeris-granule-events"
    assert (kwargs["aws_conn_id"], kwargs["region_name"]) == (EVENTS_CONN_ID, "us-west-2")
    assert (kwargs["wait_time_seconds"], kwargs["max_messages"]) == (LONG_POLL_S, 10)
    assert kwargs["delete_message_on_reception"] is True


@pytest.fixture
def queue(sqs_queue, monkeypatch):
    """A fresh queue on the stack's moto server, and `aeris_events` pointing at that server."""
    conn = {"conn_type": "aws", "login": os.environ.get("AWS_ACCESS_KEY_ID", "x"),
            "password": os.environ.get("AWS_SECRET_ACCESS_KEY", "y"),
            "extra": {"endpoint_url": os.environ["AERIS_S3_ENDPOINT_URL"]}}  # fmt: skip
    monkeypatch.setenv(f"AIRFLOW_CONN_{EVENTS_CONN_ID.upper()}", json.dumps(conn))
    return sqs_queue


def test_the_trigger_takes_cmrs_messages_from_the_queue_and_deletes_them(queue):
    sqs, url, arn = queue
    body = {"concept-id": "G1-LARC_CLOUD", "revision-id": 1, "granule-ur": "TEMPO_NO2_L3_V03_20240806T154034Z_S008.nc",
            "location": "https://cmr.earthdata.nasa.gov/search/concepts/G1-LARC_CLOUD/1"}  # fmt: skip
    envelope = {"Type": "Notification", "Subject": "New Notification", "Message": json.dumps(body),
                "MessageAttributes": {"collection-concept-id": {"Type": "String", "Value": "C1-LARC_CLOUD"},
                                      "mode": {"Type": "String", "Value": "New"}}}  # fmt: skip
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    trigger = granule_events(arn).watchers[0].trigger

    async def first_event():
        async for event in trigger.run():
            return event.payload

    payload = asyncio.run(asyncio.wait_for(first_event(), timeout=60))
    [event] = [parse_message(m) for m in messages_of([{"from_trigger": True, "payload": payload}])]
    assert (event.mode, event.granule_ur, event.revision) == ("New", body["granule-ur"], 1)
    # Taken off the queue as received: SQS will not send it again.
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages") is None
