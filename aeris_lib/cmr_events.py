"""CMR's granule events, as its ingest subscriptions deliver them to an SQS queue (aeris_lib.cmr_subscriptions
subscribes): what each message says, and which clock hours it may complete or change.

CMR sends one message per granule event (`Mode`: New, Update, Delete), at least once, through SNS to
SQS (nasa/Common-Metadata-Repository, ingest-app/src/cmr/ingest/services/nrt_subscription/subscriptions.clj):

- the body (SNS's `Message`, or the SQS body itself when the subscription delivers raw messages):
  `concept-id`, `revision-id`, `granule-ur`, `producer-granule-id`, and a `location` ending in
  `/search/concepts/<concept-id>/<revision-id>`;
- the attributes: `collection-concept-id`, `mode`, `subscriber`.

Nothing here trusts a message to be complete, in order or sent once: `newest` keeps one event per
granule (its highest revision), and the DAG decides from CMR's own listing, never from the message
alone. Pure: no Airflow, no network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aeris_lib.cmr_subscriptions import MODES

NEW, UPDATE, DELETE = MODES
# TEMPO's names carry the scan's start: `TEMPO_NO2_L3_V03_20240806T154034Z_S008.nc`.
_SCAN_START = re.compile(r"_(\d{8}T\d{6})Z_S\d{3}")
_LOCATION_REVISION = re.compile(r"/search/concepts/([^/]+)/(\d+)$")
# A TEMPO scan lasts about an hour (it starts at any minute), so it overlaps its start's clock hour and
# at most the next one.
SCAN_SPAN = timedelta(hours=1)


class EventError(ValueError):
    """A message that is not one of CMR's granule events, with what is wrong with it."""


@dataclass(frozen=True)
class GranuleEvent:
    """One granule event: what happened (`mode`) to which granule, at which revision of its record."""

    mode: str
    collection_id: str
    concept_id: str
    revision: int
    granule_ur: str
    producer_granule_id: str = ""
    message_id: str = ""  # SQS's id of the message that carried it (the logs name it)

    @property
    def scan_start(self) -> datetime | None:
        """The scan's start, from TEMPO's granule name (None for a name of another form)."""
        found = _SCAN_START.search(self.granule_ur)
        return datetime.strptime(found.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC) if found else None

    def hours(self) -> tuple[datetime, ...]:
        """The clock hours the granule's scan may overlap: its start's and the next (empty when the
        name carries no start)."""
        start = self.scan_start
        if start is None:
            return ()
        first = start.replace(minute=0, second=0, microsecond=0)
        return (first, first + SCAN_SPAN) if start > first else (first,)

    def describe(self) -> str:
        return f"{self.mode} {self.granule_ur} (revision {self.revision}, {self.collection_id})"


def parse_message(message: dict) -> GranuleEvent:
    """The event an SQS message carries (as boto3's `receive_message` returns it: `Body`, optionally
    `MessageAttributes`). Raises `EventError` naming what is missing or wrong."""
    try:
        body = json.loads(message["Body"])
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(f"SQS message {message.get('MessageId', '?')}: body is not JSON ({error})") from None
    attributes: dict = {}
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        # SNS's envelope: CMR's body in `Message`, its attributes as {"Type", "Value"}.
        attributes = {k: (v or {}).get("Value") for k, v in (body.get("MessageAttributes") or {}).items()}
        try:
            body = json.loads(body["Message"])
        except (TypeError, ValueError) as error:
            raise EventError(
                f"SQS message {message.get('MessageId', '?')}: SNS Message is not JSON ({error})"
            ) from None
    else:  # raw delivery: the attributes are SQS's own
        attributes = {
            k: (v or {}).get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()
        }
    if not isinstance(body, dict):
        raise EventError(
            f"SQS message {message.get('MessageId', '?')}: body is {type(body).__name__}, not an object"
        )
    return _event(body, attributes, message.get("MessageId", ""))


def _event(body: dict, attributes: dict, message_id: str) -> GranuleEvent:
    where = f"SQS message {message_id or '?'}"
    missing = [k for k in ("concept-id", "granule-ur") if not body.get(k)]
    missing += [k for k in ("collection-concept-id", "mode") if not attributes.get(k)]
    if missing:
        raise EventError(f"{where}: not a CMR granule event, missing {', '.join(missing)}")
    mode = str(attributes["mode"])
    if mode not in MODES:
        raise EventError(f"{where}: unknown mode {mode!r}; CMR sends {', '.join(MODES)}")
    revision = body.get("revision-id")
    if revision in (None, ""):  # the location ends in the revision too
        found = _LOCATION_REVISION.search(str(body.get("location") or ""))
        revision = found.group(2) if found else None
    try:
        revision = int(revision)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EventError(f"{where}: revision-id {revision!r} is not a whole number") from None
    return GranuleEvent(
        mode=mode,
        collection_id=str(attributes["collection-concept-id"]),
        concept_id=str(body["concept-id"]),
        revision=revision,
        granule_ur=str(body["granule-ur"]),
        producer_granule_id=str(body.get("producer-granule-id") or ""),
        message_id=message_id,
    )


def messages_of(asset_event_extras: Iterable[dict]) -> list[dict]:
    """The SQS messages in the extras of the asset events that started a run: each is what the SQS
    trigger yielded (`{"payload": {"message_batch": [...]}}`, Airflow's `from_trigger` form)."""
    messages: list[dict] = []
    for extra in asset_event_extras:
        payload = (extra or {}).get("payload", extra) or {}
        messages.extend(m for m in payload.get("message_batch") or [] if isinstance(m, dict))
    return messages


def newest(events: Iterable[GranuleEvent]) -> list[GranuleEvent]:
    """One event per granule: the one of its highest revision (a `Delete` wins a tie: the record is
    gone), so duplicates and messages out of order count once; sorted by granule name."""
    rank = {NEW: 0, UPDATE: 1, DELETE: 2}
    kept: dict[tuple[str, str], GranuleEvent] = {}
    for event in events:
        key = (event.collection_id, event.granule_ur)
        held = kept.get(key)
        if held is None or (event.revision, rank[event.mode]) > (held.revision, rank[held.mode]):
            kept[key] = event
    return sorted(kept.values(), key=lambda e: (e.granule_ur, e.collection_id))
