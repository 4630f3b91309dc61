"""A hostile Harmony: the token stays on Harmony's origin, paging and downloads stop, and bad answers
become clear `HarmonyError`s (in the client) and error events (in the trigger)."""

from __future__ import annotations

import asyncio
import json

import pytest
from airflow.sdk.exceptions import AirflowException

from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.errors import DownloadError, HarmonyError, UnsafeUrl
from aeris_lib.harmony.http import TokenRoutes, build_session, redact
from aeris_lib.harmony.jobs import MAX_JOB_PAGES
from tests.support.hostile import JOB_ID, HostileHarmony

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

TOKEN = "eyJhostile-test-token"


@pytest.fixture
def hostile():
    with HostileHarmony() as server:
        yield server


def _client(server: HostileHarmony, **kwargs) -> HarmonyClient:
    return HarmonyClient(
        server.base_url, TokenProvider(server.base_url, bearer_token=TOKEN),
        **{"session": build_session(retries=0), "private_origins": [server.elsewhere_url], **kwargs},
    )  # fmt: skip


def test_a_next_page_on_another_origin_gets_no_token(hostile):
    hostile.mode = "next_elsewhere"
    with pytest.raises(HarmonyError, match="refusing to send the Earthdata token"):
        _client(hostile).get_job(JOB_ID)
    assert hostile.tokens_sent_to("elsewhere") == []
    assert hostile.tokens_sent_to("harmony")  # Harmony itself did get it


def test_a_backslash_next_page_gets_no_token_and_no_request(hostile):
    hostile.mode = "next_backslash"
    with pytest.raises(UnsafeUrl, match="a backslash"):
        _client(hostile).get_job(JOB_ID)
    assert hostile.tokens_sent_to("elsewhere") == []
    assert [p.split("?")[0] for p in hostile.tokens_sent_to("harmony")] == [f"/jobs/{JOB_ID}"]  # page 1 only


def test_a_backslash_data_link_or_redirect_is_never_fetched(hostile, tmp_path):
    client = _client(hostile)
    for link in (hostile.backslash_url("/files/granule.nc"), f"{hostile.base_url}/files/redirect-backslash"):
        with pytest.raises(UnsafeUrl, match="a backslash") as error:
            client.download(link, tmp_path / "f")
        assert "elsewhere" not in str(error.value) and not (tmp_path / "f").exists()
    assert hostile.tokens_sent_to("elsewhere") == []
    assert [path for name, path in hostile.seen_tokens] == ["/files/redirect-backslash"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:1\\@harmony.example/x", "a backslash"),
        ("https://user:secret@harmony.example/x", "userinfo"),
        ("https://harmony.example/x\r\nHost: other", "a control or space character"),
        ("https://harmony.example/x y", "a control or space character"),
        ("ftp://harmony.example/x", "no http or https scheme"),
    ],
)
def test_ambiguous_urls_are_refused_before_any_token(url, problem):
    routes = TokenRoutes("https://harmony.example", ["https://daac.example"])
    with pytest.raises(UnsafeUrl, match=problem) as error:
        routes.takes_token(url)
    assert "secret" not in str(error.value)


def test_the_origin_is_the_one_urllib3_sends_to():
    routes = TokenRoutes("https://harmony.example", ["https://daac.example:443"])
    assert routes.takes_token("HTTPS://Harmony.Example:443/jobs/1")
    assert routes.takes_token("https://daac.example/file.nc?x=@")  # '@' in a query is not userinfo
    assert not routes.takes_token("https://harmony.example.evil/jobs")
    assert not routes.takes_token("http://harmony.example/jobs")  # another scheme is another origin


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


def test_urllib3_wording_of_a_signed_url_is_cut():
    # urllib3 names the path only: "HTTPSConnectionPool(host='…', port=443): … with url: /k?X-Amz-…"
    pool = "HTTPSConnectionPool(host='s3.example', port=443): Max retries exceeded with url:"
    text = f"{pool} /granule.nc?X-Amz-Signature=abc123&X-Amz-Credential=AKIA (Caused by x)"
    assert redact(text) == f"{pool} /granule.nc?… (Caused by x)"


def _first_trigger_event(hostile, mode: str, monkeypatch):
    """The first event of a HarmonyJobTrigger polling the hostile Harmony in `mode`."""
    from aeris.triggers.harmony import HarmonyJobTrigger

    hostile.mode = mode
    conn = f'{{"conn_type": "harmony", "host": "{hostile.base_url}", "extra": {{"token": "{TOKEN}"}}}}'
    monkeypatch.setenv("AIRFLOW_CONN_HOSTILE_HARMONY", conn)
    trigger = HarmonyJobTrigger(
        job_id=JOB_ID, harmony_conn_id="hostile_harmony", poll_interval=0.05, timeout=5
    )

    async def first_event():
        async for event in trigger.run():
            return event

    return asyncio.run(first_event())


@pytest.mark.parametrize("mode", ["html", "not_json", "unknown_status", "redirect_elsewhere"])
def test_the_trigger_turns_bad_answers_into_error_events(hostile, mode, monkeypatch):
    event = _first_trigger_event(hostile, mode, monkeypatch)
    assert event.payload["status"] == "error", event.payload
    assert TOKEN not in str(event.payload)
    assert hostile.tokens_sent_to("elsewhere") == []


def test_a_failed_jobs_message_reaches_the_task_without_its_secrets(hostile, monkeypatch):
    from aeris.sensors.harmony import HarmonyJobSensor

    hostile.mode = "failed_with_secrets"
    conn = f'{{"conn_type": "harmony", "host": "{hostile.base_url}", "extra": {{"token": "{TOKEN}"}}}}'
    monkeypatch.setenv("AIRFLOW_CONN_HOSTILE_HARMONY", conn)
    sensor = HarmonyJobSensor(task_id="wait", job_id=JOB_ID, harmony_conn_id="hostile_harmony")
    with pytest.raises(AirflowException) as failed:
        sensor.poke({})
    text = str(failed.value)
    assert "Service failed" in text and "with url: /out.nc?…" in text and "Bearer ***" in text
    for secret in ("deadbeef", "AKIASECRET", "eyJhbGciOiJ", TOKEN):
        assert secret not in text, secret


def test_a_successful_jobs_message_reaches_the_event_without_its_secrets(hostile, monkeypatch):
    event = _first_trigger_event(hostile, "successful_with_secrets", monkeypatch)
    assert event.payload["status"] == "success", event.payload
    for secret in ("deadbeef", "AKIASECRET", "eyJhbGciOiJ", TOKEN):
        assert secret not in json.dumps(event.payload), secret


@pytest.mark.parametrize("status, sent", [(400, 1), (404, 1), (500, 4), (502, 4), (503, 4), (504, 4)])
def test_a_refusal_is_asked_once_a_server_error_again(hostile, status, sent):
    """Counted at the server: a 4xx is Harmony's answer and asking again cannot change it; a 5xx is
    asked again (3 retries here) before the error reaches the task."""
    hostile.mode = f"status_{status}"
    client = _client(hostile, session=build_session(retries=3, backoff_factor=0.01))
    with pytest.raises(HarmonyError, match=str(status)):
        client.get_job(JOB_ID)
    assert hostile.requests == sent
