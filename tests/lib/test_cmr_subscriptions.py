"""aeris_lib.cmr_subscriptions: the UMM-Sub body CMR documents, one subscription per collection and
queue under a stable native id, and `sync` that creates, updates, keeps and deletes so that a rerun
changes nothing. Against the emulator's CMR subscription API over real HTTP, with an Earthdata token."""

from __future__ import annotations

import pytest

from aeris_lib.cmr import CmrError
from aeris_lib.cmr_subscriptions import (
    MODES,
    Subscription,
    SubscriptionClient,
    checked_queue_arn,
    sync,
    unsubscribe,
    wanted,
)
from aeris_lib.harmony.auth import TokenProvider
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.catalog_ids import concept_id

pytestmark = pytest.mark.unit  # the emulator in-process, no service: `make unit` runs it

QUEUE = "arn:aws:sqs:us-west-2:123456789012:aeris-tempo-events"
OTHER_QUEUE = "arn:aws:sqs:us-west-2:123456789012:someone-else"


def test_the_body_is_a_umm_sub_ingest_subscription_with_a_stable_native_id():
    s = wanted(["C1-LARC_CLOUD", "C2-LARC_CLOUD", "C1-LARC_CLOUD"], QUEUE)
    assert [x.collection_id for x in s] == ["C1-LARC_CLOUD", "C2-LARC_CLOUD"]  # each once
    umm = s[0].umm()
    assert umm["Type"] == "granule" and umm["Method"] == "ingest" and umm["EndPoint"] == QUEUE
    assert umm["Mode"] == ["New", "Update", "Delete"] and umm["CollectionConceptId"] == "C1-LARC_CLOUD"
    assert umm["MetadataSpecification"] == {"URL": "https://cdn.earthdata.nasa.gov/umm/subscription/v1.1.1",
                                            "Name": "UMM-Sub", "Version": "1.1.1"}  # fmt: skip
    again = Subscription("C1-LARC_CLOUD", QUEUE, ("New",))
    assert again.native_id == s[0].native_id != Subscription("C1-LARC_CLOUD", OTHER_QUEUE).native_id
    assert s[0].native_id.startswith("aeris-C1-LARC_CLOUD-")


@pytest.mark.parametrize(
    "arn", ["", "https://sqs.us-west-2.amazonaws.com/123/q", "arn:aws:sns:us-west-2:123456789012:topic",
            "arn:aws:sqs:us-west-2:1234:q", "arn:aws:sqs:us-west-2:123456789012:bad name"],
)  # fmt: skip
def test_only_an_sqs_queue_arn_is_accepted(arn):
    with pytest.raises(ValueError, match="not an SQS queue ARN"):
        checked_queue_arn(arn)


def test_modes_are_some_of_new_update_delete():
    assert wanted(["C1-X"], QUEUE, ["Update", "New"])[0].modes == ("New", "Update")
    for bad in ([], ["Created"]):
        with pytest.raises(ValueError, match="modes must be some of"):
            wanted(["C1-X"], QUEUE, bad)


@pytest.fixture
def client(fresh_emulator) -> SubscriptionClient:
    tokens = TokenProvider(fresh_emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)
    return SubscriptionClient(fresh_emulator.base_url, tokens.get())


def test_sync_creates_then_keeps_then_updates_and_deletes_what_left_the_catalog(client):
    no2, o3 = concept_id("NO2", "standard"), concept_id("O3", "standard")
    first = sync(client, wanted([no2, o3], QUEUE))
    assert [s.collection_id for s in first.put] == [no2, o3] and not first.kept and not first.deleted
    assert all(s.concept_id.startswith("SUB") and s.revision_id == 1 for s in first.put)
    # A rerun changes nothing: CMR holds exactly what is wanted.
    again = sync(client, wanted([no2, o3], QUEUE))
    assert (
        not again.put
        and not again.deleted
        and {s.concept_id for s in again.kept} == {s.concept_id for s in first.put}
    )
    # Other modes: the same subscription (native id, concept id) updated; a gas gone: its subscription too.
    changed = sync(client, wanted([no2], QUEUE, ["New"]))
    assert [(s.collection_id, s.revision_id) for s in changed.put] == [(no2, 2)]
    assert changed.put[0].concept_id == first.put[0].concept_id
    assert [s.collection_id for s in changed.deleted] == [o3]
    assert [(s.collection_id, s.modes) for s in client.listing()] == [(no2, ("New",))]


def test_another_queues_subscriptions_are_left_alone_and_delete_takes_the_queues_own(client):
    no2 = concept_id("NO2", "standard")
    sync(client, wanted([no2], OTHER_QUEUE))
    sync(client, wanted([no2], QUEUE))
    assert {s.queue_arn for s in client.listing()} == {QUEUE, OTHER_QUEUE}
    assert [s.queue_arn for s in unsubscribe(client, QUEUE)] == [QUEUE]
    assert [s.queue_arn for s in client.listing()] == [OTHER_QUEUE]


def test_cmr_refusals_name_the_problem_and_the_token_never_shows(client, fresh_emulator):
    with pytest.raises(CmrError, match="does not exist"):
        client.put(Subscription("C0-NOWHERE", QUEUE))
    stranger = SubscriptionClient(fresh_emulator.base_url, "not-a-token")
    with pytest.raises(CmrError, match="401") as refused:
        stranger.listing()
    assert "not-a-token" not in str(refused.value) and "not-a-token" not in repr(stranger)
    assert MODES == ("New", "Update", "Delete")
