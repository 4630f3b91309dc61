"""`python -m scripts.cmr_subscriptions`: subscribes every TEMPO collection of the catalog (near-real-time
and standard lines) to one queue, idempotently, lists and deletes them, against the emulator's CMR over
real HTTP with the pipeline's own Earthdata login (its Harmony connection); the token is never printed."""

from __future__ import annotations

import pytest

from scripts.cmr_subscriptions import main
from tests.support.catalog_ids import concept_id

pytestmark = pytest.mark.unit  # the emulator in-process, no service: `make unit` runs it

QUEUE = "arn:aws:sqs:us-west-2:123456789012:aeris-tempo-events"


def _lines(out: str, start: str = "") -> list[str]:
    """The command's own lines (Airflow's logging shares stdout here: the in-process emulator logs)."""
    return [line for line in out.splitlines() if " -> arn:aws:sqs:" in line and line.startswith(start)]


@pytest.fixture
def earthdata(fresh_emulator, harmony_conn, monkeypatch) -> list[str]:
    """The emulator as CMR and Earthdata Login; its credentials in the test's Harmony connection."""
    monkeypatch.setenv("EARTHDATA_CMR_URL", fresh_emulator.base_url)
    monkeypatch.setenv("AERIS_EVENTS_QUEUE_ARN", QUEUE)
    for name in ("BEARER_TOKEN", "EARTHDATA_USERNAME", "EARTHDATA_PASSWORD", "AERIS_GAS_CATALOG_FILE"):
        monkeypatch.delenv(name, raising=False)
    return ["--conn-id", harmony_conn]


def test_create_is_idempotent_then_list_and_delete(earthdata, fresh_emulator, capsys):
    expected = {concept_id(g, line) for g in ("NO2", "CH2O") for line in ("nrt", "standard")}
    expected.add(concept_id("O3", "standard"))  # O3 and AI: one O3TOT collection; PM: no product
    assert main(["create", *earthdata]) == 0
    out = capsys.readouterr().out
    assert (
        f"5 put, 0 kept, 0 deleted: CMR sends New, Update, Delete events of 5 collection(s) to {QUEUE}" in out
    )
    assert {line.split()[3] for line in out.splitlines() if line.startswith("put ")} == expected
    assert main(["create", *earthdata]) == 0
    assert "0 put, 5 kept, 0 deleted" in capsys.readouterr().out
    assert main(["list", *earthdata]) == 0
    listed = _lines(capsys.readouterr().out, "SUB")
    assert len(listed) == 5 and all(line.endswith("(New, Update, Delete)") for line in listed)
    assert main(["delete", *earthdata]) == 0
    assert len(_lines(capsys.readouterr().out, "deleted ")) == 5
    assert main(["list", *earthdata]) == 0 and _lines(capsys.readouterr().out) == []
    assert not any(token in " ".join(listed) for token in fresh_emulator.state.tokens)


def test_a_bad_queue_or_credential_is_named_and_exits_1(earthdata, capsys, monkeypatch):
    assert main(["create", *earthdata, "--queue-arn", "https://sqs.example.com/q"]) == 1
    assert "not an SQS queue ARN" in capsys.readouterr().err
    monkeypatch.setenv("BEARER_TOKEN", "a-token-edl-never-issued")  # no connection: the settings' token
    assert main(["list", "--conn-id", "no_such_connection"]) == 1
    error = capsys.readouterr().err
    assert "401" in error and "a-token-edl-never-issued" not in error
