"""The emulator sends what CMR's near-real-time subscriptions send, to a real SQS queue (the stack's moto
server): a held hour's granules as `New` once they are listed, their republication as `Update` with the
new revision, each once, in SNS's envelope with CMR's body, attributes and subject."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

from aeris_lib.cmr_subscriptions import Subscription, SubscriptionClient
from aeris_lib.harmony.auth import TokenProvider
from harmony_emulator.scans import granule_concept_id, granule_name, scans_overlapping
from harmony_emulator.server import HarmonyEmulator
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.catalog_ids import concept_id
from tests.support.emulator import Emulator

HOUR = datetime(2024, 9, 3, 16, tzinfo=UTC)
OTHER = datetime(2024, 9, 4, 14, tzinfo=UTC)


def _receive(sqs, url: str, count: int, seconds: float = 20.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + seconds
    while len(got) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return got


def test_a_released_hold_sends_new_and_a_republication_sends_update_once(sqs_queue):
    sqs, url, arn = sqs_queue
    server = HarmonyEmulator(capabilities="native", nrt_window_days=0, sqs_endpoint=os.environ["AERIS_S3_ENDPOINT_URL"],
                             events_tick_s=0.2).start()  # fmt: skip
    try:
        control, no2 = Emulator(server.base_url), concept_id("NO2", "standard")
        control.hold(HOUR, None, no2)
        token = TokenProvider(server.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD).get()
        SubscriptionClient(server.base_url, token).put(Subscription(no2, arn, ("New", "Update")))
        server.events.tick()  # the subscription's baseline: the held hour is not listed
        # Another collection held at another hour: nothing happened to NO2's granules there.
        control.publication({"holds": [{"start": HOUR.isoformat(), "end": HOUR.replace(hour=17).isoformat(),
                                        "available_in_s": None, "collection": no2},
                                       {"start": OTHER.isoformat(), "end": OTHER.replace(hour=15).isoformat(),
                                        "available_in_s": None, "collection": concept_id("CH2O", "standard")}]})  # fmt: skip
        assert _receive(sqs, url, 1, seconds=1.5) == []

        control.release()
        scans = scans_overlapping(HOUR, HOUR.replace(hour=17))
        new = _receive(sqs, url, len(scans))
        assert len(scans) == 2 and len(new) == 2
        for envelope, scan in zip(
            sorted(new, key=lambda e: json.loads(e["Message"])["granule-ur"]), scans, strict=True
        ):
            body = json.loads(envelope["Message"])
            assert envelope["Type"] == "Notification" and envelope["Subject"] == "New Notification"
            assert body["granule-ur"] == granule_name(no2, scan) and body["revision-id"] == "1"
            assert body["concept-id"] == granule_concept_id(no2, scan)
            assert body["location"].endswith(f"/search/concepts/{body['concept-id']}/1")
            assert envelope["MessageAttributes"]["mode"]["Value"] == "New"
            assert envelope["MessageAttributes"]["collection-concept-id"]["Value"] == no2

        control.republish(HOUR, 2, no2)
        updates = _receive(sqs, url, 2)
        assert [e["Subject"] for e in updates] == ["Update Notification"] * 2
        assert {json.loads(e["Message"])["revision-id"] for e in updates} == {"2"}
        assert server.events.tick() == 0 and _receive(sqs, url, 1, seconds=1.5) == []  # each event once
    finally:
        server.stop()
