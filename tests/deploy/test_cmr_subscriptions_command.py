"""`python -m scripts.cmr_subscriptions`: subscribes every TEMPO collection of the catalog (near-real-time
and standard lines) to one queue, idempotently, lists and deletes them, against the emulator's CMR over
real HTTP with the Earthdata Login credentials of the environment; the token is never printed."""

from __future__ import annotations

import pytest

from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from scripts.cmr_subscriptions import main
from tests.support.catalog_ids import concept_id

pytestmark = pytest.mark.unit  # the emulator in-process, no service: `make unit` runs it

QUEUE = "arn:aws:sqs:us-west-2:123456789012:aeris-tempo-events"


@pytest.fixture
def earthdata(fresh_emulator, monkeypatch):
    for name, value in {"EARTHDATA_CMR_URL": fresh_emulator.base_url, "EARTHDATA_URS_URL": fresh_emulator.base_url,
                        "EARTHDATA_USERNAME": EMULATOR_USER, "EARTHDATA_PASSWORD": EMULATOR_PASSWORD,
                        "AERIS_EVENTS_QUEUE_ARN": QUEUE}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("BEARER_TOKEN", "AERIS_GAS_CATALOG_FILE"):
        monkeypatch.delenv(name, raising=False)
    return fresh_emulator


def test_create_is_idempotent_then_list_and_delete(earthdata, capsys):
    expected = {concept_id(g, line) for g in ("NO2", "CH2O") for line in ("nrt", "standard")}
    expected.add(concept_id("O3", "standard"))  # O3 and AI: one O3TOT collection; PM: no product
    assert main(["create"]) == 0
    out = capsys.readouterr().out
    assert (
        f"5 put, 0 kept, 0 deleted: CMR sends New, Update, Delete events of 5 collection(s) to {QUEUE}" in out
    )
    assert {line.split()[3] for line in out.splitlines() if line.startswith("put ")} == expected
    assert main(["create"]) == 0
    assert "0 put, 5 kept, 0 deleted" in capsys.readouterr().out
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 5 and all(line.endswith("(New, Update, Delete)") for line in listed)
    assert main(["delete"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert main(["list"]) == 0 and capsys.readouterr().out == ""
    for token in earthdata.state.tokens:
        assert token not in " ".join(listed)


def test_a_bad_queue_or_credential_is_named_and_exits_1(earthdata, capsys, monkeypatch):
    assert main(["create", "--queue-arn", "https://sqs.example.com/q"]) == 1
    assert "not an SQS queue ARN" in capsys.readouterr().err
    monkeypatch.setenv("EARTHDATA_PASSWORD", "wrong")
    assert main(["list"]) == 1
    assert "wrong" not in capsys.readouterr().err
