"""A hostile Harmony: the token stays on Harmony's origin, paging and downloads stop, and bad answers
become clear `HarmonyError`s (in the client) and error events (in the trigger)."""

from __future__ import annotations

import asyncio

import pytest

from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.errors import DownloadError, HarmonyError
from aeris_lib.harmony.http import build_session, redact
from aeris_lib.harmony.jobs import MAX_JOB_PAGES
from tests.support.hostile import JOB_ID, HostileHarmony

TOKEN = "eyJhostile-test-token"


@pytest.fixture
def hostile():
    with HostileHarmony() as server:
        yield server


def _client(server: HostileHarmony, **kwargs) -> HarmonyClient:
    return HarmonyClient(
        server.base_url, TokenProvider(server.base_url, bearer_token=TOKEN),
        session=build_session(retries=0), **kwargs,
    )  # fmt: skip


def test_a_next_page_on_another_origin_gets_no_token(hostile):
    hostile.mode = "next_elsewhere"
    with pytest.raises(HarmonyError, match="refusing to send the Earthdata token"):
        _client(hostile).get_job(JOB_ID)
    assert hostile.tokens_sent_to("elsewhere") == []
    assert hostile.tokens_sent_to("harmony")  # Harmony itself did get it


def test_a_download_redirected_elsewhere_gets_no_token(hostile, tmp_path):
    hostile.mode = ""
    with pytest.raises(DownloadError):
        _client(hostile).download(f"{hostile.elsewhere_url}/files/none", tmp_path / "f")
    assert hostile.tokens_sent_to("elsewhere") == []


def test_a_paging_loop_stops_at_the_repeated_page(hostile):
    hostile.mode = "next_loop"
    with pytest.raises(HarmonyError, match="links back to an earlier page"):
        _client(hostile).get_job(JOB_ID)
    assert hostile.requests == 1


def test_paging_stops_at_the_page_cap(hostile):
    hostile.mode = "many_pages"
    with pytest.raises(HarmonyError, match=f"more than {MAX_JOB_PAGES} pages"):
        _client(hostile).get_job(JOB_ID)
    assert hostile.requests == MAX_JOB_PAGES


@pytest.mark.parametrize("path", ["/files/endless", "/files/huge"])
def test_a_download_over_the_limit_fails_and_leaves_no_file(hostile, tmp_path, path):
    dest = tmp_path / "out.bin"
    with pytest.raises(DownloadError, match="larger than AERIS_MAX_DOWNLOAD_BYTES") as error:
        _client(hostile, max_download_bytes=1_000_000).download(f"{hostile.base_url}{path}", dest)
    assert "1,000,000 bytes" in str(error.value)
    assert not dest.exists()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "not JSON: '502 Bad Gateway 502 Bad Gateway'"),
        ("not_json", "not JSON"),
        ("unknown_status", "unknown Harmony job status 'exploded'"),
    ],
)
def test_bad_job_answers_are_harmony_errors(hostile, mode, message):
    hostile.mode = mode
    with pytest.raises(HarmonyError, match=message) as error:
        _client(hostile).get_job(JOB_ID)
    assert TOKEN not in str(error.value)


def test_a_redirect_without_location_is_a_harmony_error(hostile, tmp_path):
    with pytest.raises(HarmonyError, match="without a Location header"):
        _client(hostile).download(f"{hostile.base_url}/files/redirect-no-location", tmp_path / "f")


def test_retry_after_is_capped():
    retry = build_session().adapters["https://"].max_retries
    assert retry.parse_retry_after("86400") == 300


def test_error_text_never_carries_a_query_string():
    text = (
        "HTTPSConnectionPool: Max retries exceeded with url: https://s3.example/k?X-Amz-Signature=abc&x=1 (x)"
    )
    assert "X-Amz-Signature" not in redact(text) and "https://s3.example/k?…" in redact(text)


@pytest.mark.parametrize("mode", ["html", "not_json", "unknown_status", "redirect_elsewhere"])
def test_the_trigger_turns_bad_answers_into_error_events(hostile, mode, monkeypatch):
    from triggers.harmony import HarmonyJobTrigger

    hostile.mode = mode
    conn = f'{{"conn_type": "harmony", "host": "{hostile.base_url}", "extra": {{"token": "{TOKEN}"}}}}'
    monkeypatch.setenv("AIRFLOW_CONN_HOSTILE_HARMONY", conn)
    trigger = HarmonyJobTrigger(
        job_id=JOB_ID, harmony_conn_id="hostile_harmony", poll_interval=0.05, timeout=5
    )

    async def first_event():
        async for event in trigger.run():
            return event

    event = asyncio.run(first_event())
    assert event.payload["status"] == "error", event.payload
    assert TOKEN not in str(event.payload)
    assert hostile.tokens_sent_to("elsewhere") == []
