"""aeris_lib.harmony.http: the HTTP rules every Harmony request follows: retries for GETs only, no
credential in a log line or message, and the Earthdata token only for Harmony and trusted DAACs."""

from __future__ import annotations

import logging

import pytest

from aeris_lib.harmony.errors import HarmonyBadAnswer, UnsafeUrl
from aeris_lib.harmony.http import (
    RETRY_STATUSES,
    RedactQueryStrings,
    TokenRoutes,
    build_session,
    check_url,
    describe_error,
    error_code,
    parse_json,
    safe_url,
    snippet,
)

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HARMONY = "https://harmony.earthdata.nasa.gov"


def test_gets_retry_transient_answers_posts_never_and_no_netrc():
    session = build_session(retries=3)
    retry = session.get_adapter("https://x").max_retries
    assert retry.total == 3 and set(retry.status_forcelist) == set(RETRY_STATUSES)
    assert retry.allowed_methods == frozenset({"GET", "HEAD"}) and retry.respect_retry_after_header
    assert session.trust_env is False and retry.redirect == 0


def test_the_token_goes_to_harmony_and_the_trusted_daac_only():
    routes = TokenRoutes(HARMONY, ["https://data.asdc.earthdata.nasa.gov"])
    assert routes.takes_token(f"{HARMONY}/jobs/1") and routes.takes_token(
        "https://harmony.earthdata.nasa.gov:443/x"
    )
    assert routes.takes_token("https://data.asdc.earthdata.nasa.gov/asdc-prod-protected/a.nc")
    assert not routes.takes_token(
        "https://harmony-prod-staging.s3.us-west-2.amazonaws.com/a.nc?X-Amz-Signature=s"
    )
    assert not routes.takes_token(
        "http://harmony.earthdata.nasa.gov/jobs/1"
    )  # another scheme, another origin
    assert "refusing to send the Earthdata token to https://evil.example" in routes.refuse(
        "https://evil.example/x", HARMONY
    )


@pytest.mark.parametrize(
    "url",
    ["https://harmony.earthdata.nasa.gov\\@evil.example/", "https://user@evil.example/", "https://h/a b",
     "ftp://harmony.earthdata.nasa.gov/x", "https://h:99999/"],
)  # fmt: skip
def test_ambiguous_urls_are_refused_without_showing_them(url):
    with pytest.raises(UnsafeUrl) as caught:
        check_url(url)
    assert "evil.example" not in str(caught.value) and "user@" not in str(caught.value)


def test_messages_carry_harmonys_words_and_no_query_string():
    assert safe_url("https://s3/a.nc?X-Amz-Signature=s") == "https://s3/a.nc?…"
    assert (
        describe_error('{"code": "harmony.RequestValidationError", "description": "bad bbox"}') == "bad bbox"
    )
    assert error_code('{"code": "harmony.RequestValidationError"}') == "harmony.RequestValidationError"
    assert describe_error("<html><h1>502 Bad Gateway</h1></html>") == "502 Bad Gateway"
    assert snippet("x" * 200, limit=10) == "xxxxxxxxxx…" and error_code("not json") is None
    with pytest.raises(
        HarmonyBadAnswer, match=r"https://h/jobs/1\?… answered HTTP 200 with text/html, not JSON"
    ):
        parse_json("<html>", url="https://h/jobs/1?token=t", status=200, content_type="text/html", what="job")


def test_urllib3s_request_log_lines_lose_their_query_strings():
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        "",
        0,
        '%s "%s %s"',
        ("h", "GET", "/a.nc?X-Amz-Signature=s"),
        None,
    )
    assert RedactQueryStrings().filter(record) and record.getMessage() == 'h "GET /a.nc?…"'
