"""The messages CMR's near-real-time subscriptions send, as the emulator sends them.

When a granule of a subscribed collection becomes listed (its publication delay passed, its hour's hold
ended, out of order or not) or is republished under its name (a new revision), each subscription of that
collection whose `Mode` covers it gets one message on the SQS queue its `EndPoint` names. CMR's
`subscriptions.clj` makes the body (`concept-id`, `revision-id`, `granule-ur`, `location` ending in
the revision, `producer-granule-id`), the attributes (`collection-concept-id`, `mode`, `subscriber`)
and the subject (`<mode> Notification`); its SNS topic wraps them in SNS's JSON envelope on the way
to the queue. CMR tells of events after the subscription only: what is listed when a subscription
is first seen is its baseline. Deletions (NRT granules leaving CMR after 14 days) are not sent yet.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

from harmony_emulator.scans import Scan, granule_concept_id, granule_name

log = logging.getLogger(__name__)

# CMR's SNS topic, as the envelope names it (its real ARN is not public; this one is the emulator's).
TOPIC_ARN = "arn:aws:sns:us-east-1:000000000000:cmr-granule-events-emulated"
LIVE_DAYS = 3  # the recent scans a publication can still come for, besides held and republished hours


class EventSender:
    """Looks every `tick_s` at what each subscribed collection lists, and sends what changed."""

    def __init__(self, emulator, sqs_endpoint: str, tick_s: float = 1.0):
        self.emulator, self.tick_s, self.sqs_endpoint = emulator, tick_s, sqs_endpoint
        self._clients: dict[str, object] = {}  # SQS is regional: one client per queue's region
        self.announced: dict[str, dict[str, int]] = {}  # native id -> {granule name: revision}
        self.watched: set[tuple[datetime, datetime]] = set()  # held and republished ranges seen
        self._tick_lock = threading.Lock()  # the thread's looks and a test's
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cmr-events", daemon=True)

    def start(self) -> EventSender:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.tick()
            except Exception:  # one bad tick (a queue gone) must not end the events
                log.exception("CMR events: tick failed")

    def tick(self) -> int:
        """Send what changed since the last look; returns how many messages were sent."""
        with self._tick_lock:
            return self._tick()

    def _tick(self) -> int:
        state = self.emulator.state
        with state.lock:
            subscriptions = {native_id: dict(sub) for native_id, sub in state.subscriptions.items()}
            republished = list(state.republished)
            ranges = {(h.start, h.end) for h in state.holds} | {(r.start, r.end) for r in republished}
        # A range first seen now (a new hold, a republication) is no event for what it already listed
        # before: only the held granules once they are listed, and the new revisions, are.
        fresh, self.watched = sorted(ranges - self.watched), self.watched | ranges
        now = datetime.now(UTC)
        ranges_now = [(now - timedelta(days=LIVE_DAYS), now), *sorted(self.watched)]
        for gone in self.announced.keys() - subscriptions.keys():  # deleted: a new one starts afresh
            del self.announced[gone]
        sent = 0
        for native_id, sub in subscriptions.items():
            umm = sub["umm"]
            collection = umm["CollectionConceptId"]
            seen = self.announced.get(native_id)
            if seen is None:  # a new subscription: events from now on
                self.announced[native_id] = {
                    n: s.revision for n, s in self._listed(collection, ranges_now).items()
                }
                continue
            for name, scan in self._listed(collection, fresh).items():
                before = 1 if any(r.applies(collection, scan) for r in republished) else scan.revision
                seen.setdefault(name, before)
            for name, scan in sorted(
                self._listed(collection, ranges_now).items(), key=lambda item: item[1].start
            ):
                if seen.get(name) == scan.revision:
                    continue
                seen[name] = scan.revision
                mode = "New" if scan.revision == 1 else "Update"
                if mode in umm["Mode"]:
                    self._send(umm, mode, scan)
                    sent += 1
        return sent

    def _sqs(self, region: str):
        if region not in self._clients:
            import boto3  # only an emulator with a queue endpoint sends

            self._clients[region] = boto3.client("sqs", endpoint_url=self.sqs_endpoint, region_name=region)
        return self._clients[region]

    def _listed(self, collection: str, ranges: list[tuple[datetime, datetime]]) -> dict[str, Scan]:
        listed: dict[str, Scan] = {}
        for start, end in ranges:
            for scan in self.emulator.state.published_scans(collection, start, end):
                listed[granule_name(collection, scan)] = scan
        return listed

    def _send(self, umm: dict, mode: str, scan: Scan) -> None:
        collection, queue_arn = umm["CollectionConceptId"], umm["EndPoint"]
        name, concept_id = granule_name(collection, scan), granule_concept_id(collection, scan)
        body = {"concept-id": concept_id, "revision-id": str(scan.revision), "granule-ur": name,
                "location": f"{self.emulator.base_url}/search/concepts/{concept_id}/{scan.revision}",
                "producer-granule-id": name}  # fmt: skip
        attributes = {
            "collection-concept-id": collection,
            "mode": mode,
            "subscriber": umm.get("SubscriberId", ""),
        }
        envelope = {
            "Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": TOPIC_ARN,
            "Subject": f"{mode} Notification", "Message": json.dumps(body),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "MessageAttributes": {k: {"Type": "String", "Value": v} for k, v in attributes.items()},
        }  # fmt: skip
        _, _, _, region, account, queue = queue_arn.split(":", 5)
        sqs = self._sqs(region)
        url = sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
        log.info("CMR events: %s %s r%d -> %s", mode, name, scan.revision, queue)
