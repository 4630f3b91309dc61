"""CMR's near-real-time (ingest) subscriptions: CMR pushes one message per granule event of a collection
to an SQS queue (through SNS, at least once), so an hour can load the minute its last granule is listed.

From CMR's own documentation (nasa/Common-Metadata-Repository, ingest-app/docs/api.md, "Subscriptions";
search-app/docs/api.md, "Searching for Subscriptions"):
- create or update: `PUT {cmr}/ingest/subscriptions/<native-id>`, a UMM-Sub 1.1.1 document with
  `Type: granule`, `Method: ingest`, `CollectionConceptId`, `EndPoint` (an SQS ARN, the only kind
  CMR accepts) and `Mode` (any of New, Update, Delete); the answer names the concept id and revision;
- delete: `DELETE {cmr}/ingest/subscriptions/<native-id>`;
- list: `GET {cmr}/search/subscriptions.umm_json?subscriber_id=…` (paged);
- one subscription per collection and queue: a second one for the same pair replaces the first, so
  the native id here is derived from both and a rerun updates in place (idempotent).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import requests

from aeris_lib.cmr import CmrError, CmrUnavailable, parse_answer

MODES = ("New", "Update", "Delete")
UMM_SUB = {
    "URL": "https://cdn.earthdata.nasa.gov/umm/subscription/v1.1.1",
    "Name": "UMM-Sub",
    "Version": "1.1.1",
}
UMM_JSON = "application/vnd.nasa.cmr.umm+json"
NATIVE_ID_PREFIX = "aeris-"
# arn:aws:sqs:<region>:<12-digit account>:<queue name> (SQS names: 1-80 of [A-Za-z0-9_-], .fifo).
_SQS_ARN = re.compile(r"^arn:aws:sqs:[a-z0-9-]{2,32}:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_PAGE_SIZE = 100


@dataclass(frozen=True)
class Subscription:
    """One collection's granule events sent to one queue."""

    collection_id: str
    queue_arn: str
    modes: tuple[str, ...] = MODES
    concept_id: str = ""  # CMR's, once it exists
    revision_id: int = 0

    @property
    def native_id(self) -> str:
        """Stable for (collection, queue): CMR keeps one subscription per pair, and so do we."""
        queue = hashlib.sha256(self.queue_arn.encode()).hexdigest()[:10]
        return f"{NATIVE_ID_PREFIX}{self.collection_id}-{queue}"

    def umm(self) -> dict:
        return {
            "Name": f"AERIS {self.collection_id} granule events",
            "Type": "granule",
            "CollectionConceptId": self.collection_id,
            "EndPoint": self.queue_arn,
            "Mode": list(self.modes),
            "Method": "ingest",
            "MetadataSpecification": dict(UMM_SUB),
        }


def checked_queue_arn(arn: str) -> str:
    """The queue's ARN, or ValueError naming what is wrong: CMR sends only to SQS queues."""
    if not _SQS_ARN.match(arn or ""):
        raise ValueError(
            f"not an SQS queue ARN: {arn!r} (expected arn:aws:sqs:<region>:<account>:<queue>; CMR's "
            "near-real-time subscriptions send only to SQS)"
        )
    return arn


def queue_url(arn: str) -> str:
    """The queue's URL, what SQS's API takes, from its ARN (what CMR's subscription names)."""
    _, _, _, region, account, name = checked_queue_arn(arn).split(":")
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def wanted(collection_ids: Iterable[str], queue_arn: str, modes: Iterable[str] = MODES) -> list[Subscription]:
    """One subscription per collection (each once, in order), all to the one queue."""
    chosen = tuple(m for m in MODES if m in set(modes))
    if not chosen or set(modes) - set(MODES):
        raise ValueError(f"modes must be some of {', '.join(MODES)}; got {sorted(set(modes))}")
    checked_queue_arn(queue_arn)
    return [Subscription(c, queue_arn, chosen) for c in dict.fromkeys(collection_ids)]


def parse_listing(body: object) -> list[Subscription]:
    """AERIS's subscriptions in a `subscriptions.umm_json` page (others' are left out)."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise CmrError("CMR's subscription search answered without an `items` list")
    found = []
    for item in body["items"]:
        meta, umm = item.get("meta") or {}, item.get("umm") or {}
        if not str(meta.get("native-id", "")).startswith(NATIVE_ID_PREFIX) or meta.get("deleted"):
            continue
        found.append(Subscription(
            umm.get("CollectionConceptId", ""), umm.get("EndPoint", ""), tuple(umm.get("Mode") or ()),
            meta.get("concept-id", ""), int(meta.get("revision-id") or 0),
        ))  # fmt: skip
    return found


class SubscriptionClient:
    """CMR's subscription API with an Earthdata Login token (sent to CMR only), bounded in time."""

    def __init__(
        self, cmr_url: str, token: str, session: requests.Session | None = None, timeout: float = 30.0
    ):
        self.cmr_url, self._token = cmr_url.rstrip("/"), token
        self.session, self.timeout = session or requests.Session(), timeout

    def __repr__(self) -> str:  # never the token
        return f"SubscriptionClient({self.cmr_url!r})"

    def _call(self, method: str, url: str, what: str, **kwargs) -> dict:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout,
                                            allow_redirects=False, **kwargs)  # fmt: skip
        except requests.RequestException as error:
            raise CmrUnavailable(f"CMR unreachable ({what}): {type(error).__name__}") from None
        # CMR's answers as the searches read them: 429 and 5xx transient, other errors with CMR's words.
        body = parse_answer(response.status_code, response.text or "{}", what)
        return body if isinstance(body, dict) else {}

    def put(self, subscription: Subscription) -> Subscription:
        """Create or update (same native id): the subscription as CMR now holds it."""
        body = self._call(
            "PUT", f"{self.cmr_url}/ingest/subscriptions/{subscription.native_id}",
            f"subscription PUT of {subscription.collection_id}", json=subscription.umm(),
            headers={"Content-Type": UMM_JSON},
        )  # fmt: skip
        return Subscription(subscription.collection_id, subscription.queue_arn, subscription.modes,
                            str(body.get("concept-id", "")), int(body.get("revision-id") or 0))  # fmt: skip

    def delete(self, subscription: Subscription) -> None:
        self._call("DELETE", f"{self.cmr_url}/ingest/subscriptions/{subscription.native_id}",
                   f"subscription DELETE of {subscription.collection_id}")  # fmt: skip

    def listing(self, max_pages: int = 20) -> list[Subscription]:
        """AERIS's subscriptions (native ids `aeris-…`) that the token's user holds."""
        found: list[Subscription] = []
        for page in range(1, max_pages + 1):
            body = self._call(
                "GET", f"{self.cmr_url}/search/subscriptions.umm_json",
                "subscription search", params={"page_size": _PAGE_SIZE, "page_num": page},
            )  # fmt: skip
            found += parse_listing(body)
            if len(body.get("items") or []) < _PAGE_SIZE:
                return found
        raise CmrError(
            f"more than {max_pages * _PAGE_SIZE} subscriptions listed: ask CMR with a narrower search"
        )


@dataclass(frozen=True)
class Sync:
    """What `sync` did: subscriptions put (created or changed), kept as they were, deleted."""

    put: list[Subscription]
    kept: list[Subscription]
    deleted: list[Subscription]


def _same(a: Subscription, b: Subscription) -> bool:
    return (a.collection_id, a.queue_arn, set(a.modes)) == (b.collection_id, b.queue_arn, set(b.modes))


def sync(client: SubscriptionClient, want: list[Subscription]) -> Sync:
    """Make CMR hold exactly `want` among AERIS's subscriptions to the wanted queue: each missing or
    different one put, each the same kept, each other one to that queue deleted. Running it twice
    changes nothing the second time."""
    queues = {s.queue_arn for s in want}
    existing = {s.native_id: s for s in client.listing() if s.queue_arn in queues}
    put, kept = [], []
    for s in want:
        held = existing.pop(s.native_id, None)
        if held is not None and _same(held, s):
            kept.append(held)
        else:
            put.append(client.put(s))
    for stale in existing.values():
        client.delete(stale)
    return Sync(put, kept, list(existing.values()))


def unsubscribe(client: SubscriptionClient, queue_arn: str) -> list[Subscription]:
    """Delete every AERIS subscription that sends to `queue_arn`; returns them."""
    gone = [s for s in client.listing() if s.queue_arn == checked_queue_arn(queue_arn)]
    for s in gone:
        client.delete(s)
    return gone
