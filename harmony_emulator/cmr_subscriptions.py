"""CMR's near-real-time (ingest) subscriptions as the emulator models them, from CMR's documentation
(nasa/Common-Metadata-Repository, ingest-app/docs/api.md "Subscriptions", search-app/docs/api.md
"Searching for Subscriptions"): `PUT|POST|DELETE /ingest/subscriptions/<native-id>` with a UMM-Sub
1.1.1 body and an Earthdata Login token, and `GET /search/subscriptions.umm_json` (paged).

What CMR checks and the emulator checks too: `Type` granule with a `CollectionConceptId` CMR knows,
`Method` ingest, an `EndPoint` that is an SQS ARN (the only kind CMR sends to), `Mode` some of New,
Update and Delete, the UMM-Sub version. A POST to an existing native id is refused; a PUT creates or
updates. One subscription per collection and queue: another for the same pair replaces the first.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from harmony_emulator.http_base import EmulatorHandler
from harmony_emulator.scans import PRODUCTS

SQS_ARN = re.compile(r"^arn:aws:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$")
MODES = {"New", "Update", "Delete"}


class CmrSubscriptions(EmulatorHandler):
    def cmr_errors(self, status: int, *errors: str) -> None:
        return self.send_json(status, {"errors": list(errors)})

    def subscription_ingest(self, method: str, native_id: str, body: bytes) -> None:
        """Create, update (PUT) or delete one subscription of the token's user."""
        self.state.stats["cmr_subscription_requests"] += 1
        subscriptions = self.state.subscriptions
        if method == "DELETE":
            with self.state.lock:
                held = subscriptions.pop(native_id, None)
            if held is None:
                return self.cmr_errors(404, f"Subscription with native-id [{native_id}] does not exist.")
            return self.send_json(
                200, {"concept-id": held["concept-id"], "revision-id": held["revision-id"] + 1}
            )
        try:
            umm = json.loads(body or b"null")
        except ValueError:
            return self.cmr_errors(400, "The subscription metadata is not valid JSON.")
        problems = _problems(umm)
        if problems:
            return self.cmr_errors(400, *problems)
        with self.state.lock:
            held = subscriptions.get(native_id)
            if held is not None and method == "POST":
                return self.cmr_errors(409, f"A subscription with native-id [{native_id}] already exists.")
            # One subscription per collection and queue: another native id for the same pair goes.
            for other, sub in list(subscriptions.items()):
                same = (sub["umm"]["CollectionConceptId"], sub["umm"]["EndPoint"])
                if other != native_id and same == (umm["CollectionConceptId"], umm["EndPoint"]):
                    del subscriptions[other]
            if held is None:
                self.state.subscription_count += 1
                held = {
                    "concept-id": f"SUB{1200000000 + self.state.subscription_count}-LARC_CLOUD",
                    "revision-id": 0,
                }
            held = {**held, "umm": umm, "revision-id": held["revision-id"] + 1,
                    "revision-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
            subscriptions[native_id] = held
        status = 201 if held["revision-id"] == 1 else 200
        return self.send_json(status, {"concept-id": held["concept-id"], "revision-id": held["revision-id"],
                                       "native-id": native_id})  # fmt: skip

    def subscription_search(self, query: str) -> None:
        """The token's user's subscriptions, UMM JSON, paged (`page_size`, `page_num`)."""
        self.state.stats["cmr_subscription_requests"] += 1
        params = dict(parse_qsl(query))
        try:
            size, page = int(params.get("page_size", 10)), int(params.get("page_num", 1))
        except ValueError:
            return self.cmr_errors(400, "page_size and page_num must be numbers")
        if not (0 < size <= 2000 and page > 0):
            return self.cmr_errors(400, "page_size must be 1 to 2000 and page_num 1 or more")
        with self.state.lock:
            held = sorted(self.state.subscriptions.items(), key=lambda item: item[1]["concept-id"])
        items = [
            {"meta": {"native-id": native_id, "provider-id": "LARC_CLOUD", "concept-type": "subscription",
                      "concept-id": sub["concept-id"], "revision-id": sub["revision-id"],
                      "revision-date": sub["revision-date"], "deleted": False,
                      "format": "application/vnd.nasa.cmr.umm+json"},
             "umm": sub["umm"]}
            for native_id, sub in held[(page - 1) * size : page * size]
        ]  # fmt: skip
        return self.send_json(
            200, {"hits": len(held), "took": 1, "items": items}, {"CMR-Hits": str(len(held))}
        )


def _problems(umm: object) -> list[str]:
    if not isinstance(umm, dict):
        return ["The subscription metadata must be a JSON object."]
    problems = [f"#: required key [{key}] not found" for key in ("Name", "Type", "MetadataSpecification")
                if key not in umm]  # fmt: skip
    if umm.get("Type") != "granule" or umm.get("Method") != "ingest":
        problems.append("Only granule subscriptions with Method ingest are modelled here.")
    if umm.get("CollectionConceptId") not in PRODUCTS:
        problems.append(f"Collection with concept id [{umm.get('CollectionConceptId')}] does not exist.")
    if not SQS_ARN.match(str(umm.get("EndPoint", ""))):
        problems.append(f"EndPoint [{umm.get('EndPoint')}] is not an AWS SQS ARN.")
    modes = umm.get("Mode")
    if not isinstance(modes, list) or not modes or not set(modes) <= MODES:
        problems.append(f"Mode must be a list of New, Update and Delete; got {modes}.")
    if (umm.get("MetadataSpecification") or {}).get("Version") != "1.1.1":
        problems.append("MetadataSpecification Version must be 1.1.1.")
    return problems
