"""The emulator's CMR subscription API keeps CMR's documented rules: an Earthdata token is required, a
POST to an existing native id is refused, a PUT creates or updates (revision + 1), one subscription per
collection and queue, an unknown native id cannot be deleted, and the listing is paged."""

from __future__ import annotations

import pytest
import requests

from aeris_lib.harmony.auth import TokenProvider
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.catalog_ids import concept_id

pytestmark = pytest.mark.unit  # the emulator in-process, no service: `make unit` runs it

QUEUE = "arn:aws:sqs:us-west-2:123456789012:aeris-tempo-events"


def _body(collection: str, queue: str = QUEUE) -> dict:
    return {"Name": "t", "Type": "granule", "Method": "ingest", "CollectionConceptId": collection, "EndPoint": queue,
            "Mode": ["New"], "MetadataSpecification": {"URL": "https://cdn.earthdata.nasa.gov/umm/subscription/v1.1.1",
                                                       "Name": "UMM-Sub", "Version": "1.1.1"}}  # fmt: skip


def test_cmr_subscription_rules(fresh_emulator):
    base = fresh_emulator.base_url
    token = TokenProvider(base, username=EMULATOR_USER, password=EMULATOR_PASSWORD).get()
    auth = {"Authorization": f"Bearer {token}"}
    no2 = concept_id("NO2", "standard")
    assert requests.put(f"{base}/ingest/subscriptions/a", json=_body(no2), timeout=10).status_code == 401
    created = requests.post(f"{base}/ingest/subscriptions/a", json=_body(no2), headers=auth, timeout=10)
    assert created.status_code == 201 and created.json()["revision-id"] == 1
    assert (
        requests.post(f"{base}/ingest/subscriptions/a", json=_body(no2), headers=auth, timeout=10).status_code
        == 409
    )
    updated = requests.put(f"{base}/ingest/subscriptions/a", json=_body(no2), headers=auth, timeout=10).json()
    assert updated["revision-id"] == 2 and updated["concept-id"] == created.json()["concept-id"]
    # Another native id for the same collection and queue replaces the first.
    requests.put(f"{base}/ingest/subscriptions/b", json=_body(no2), headers=auth, timeout=10)
    listed = requests.get(f"{base}/search/subscriptions.umm_json", headers=auth, timeout=10).json()
    assert [i["meta"]["native-id"] for i in listed["items"]] == ["b"]
    bad = requests.put(f"{base}/ingest/subscriptions/c", json=_body(no2, "https://example.com/hook"),
                       headers=auth, timeout=10)  # fmt: skip
    assert bad.status_code == 400 and "not an AWS SQS ARN" in bad.json()["errors"][0]
    for n, gas in enumerate(["CH2O", "O3"]):
        requests.put(
            f"{base}/ingest/subscriptions/p{n}",
            json=_body(concept_id(gas, "standard")),
            headers=auth,
            timeout=10,
        )
    page2 = requests.get(
        f"{base}/search/subscriptions.umm_json?page_size=2&page_num=2", headers=auth, timeout=10
    ).json()
    assert page2["hits"] == 3 and len(page2["items"]) == 1
    assert (
        requests.delete(f"{base}/ingest/subscriptions/b", headers=auth, timeout=10).json()["revision-id"] == 2
    )
    assert requests.delete(f"{base}/ingest/subscriptions/b", headers=auth, timeout=10).status_code == 404
