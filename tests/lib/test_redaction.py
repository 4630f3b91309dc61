"""aeris_lib.redaction: what leaves a process (logs, errors, ledger rows, alerts) carries no credential."""

from __future__ import annotations

import pytest

from aeris_lib.redaction import MASK, redact

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("GET https://s3.example/f.nc?X-Amz-Signature=abc123&X-Amz-Credential=AKIA failed",
         "https://s3.example/f.nc?…", "abc123"),
        ("Max retries exceeded with url: /f.nc?X-Amz-Signature=abc123 (Caused by …)", "url: /f.nc?…", "abc123"),
        ("server echoed Authorization: Bearer tok-0123456789abcdef", f"Bearer {MASK}", "tok-0123456789abcdef"),
        (f"token {JWT} rejected", f"token {MASK} rejected", JWT),
        # An S3 XML error body: the signing material quoted outside any URL.
        ("<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>"
         "<StringToSign>AWS4-HMAC-SHA256\n20261206T080000Z\nsecret-scope</StringToSign>"
         "<SignatureProvided>f00dfeed</SignatureProvided><CanonicalRequest>GET /f.nc "
         "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261206&amp;X-Amz-Security-Token=FQoGZXIvYXdzEJr</CanonicalRequest>"
         "</Error>", "<Code>SignatureDoesNotMatch</Code>", "f00dfeed"),
        ("X-Amz-Security-Token=FQoGZXIvYXdzEJr&X-Amz-Signature=f00dfeed", "X-Amz-Security-Token=***", "FQoGZXIvYXdzEJr"),
        ("X-Amz-Signature%3Df00dfeed%26X-Amz-Credential%3DAKIAX", "X-Amz-Signature%3D***", "f00dfeed"),
        ("redirect=https%3A%2F%2Fs3.example%2Ff.nc%3FX-Amz-Signature%3Df00dfeed ok",
         "https%3A%2F%2Fs3.example%2Ff.nc%3F…", "f00dfeed"),
        ("redirect=https%253A%252F%252Fs3.example%252Ff.nc%253FX-Amz-Signature%253Df00dfeed ok",
         "s3.example", "f00dfeed"),
        ("could not connect to postgresql://aeris_pipeline:s3cr3t-pw@db:5432/aeris", "aeris_pipeline:***@db", "s3cr3t-pw"),
        ("redis://:r3dis-pw@redis:6379/0 refused", "redis://:***@redis", "r3dis-pw"),
        ("key ASIAY34FZKBOKMUTVV7A used", "key *** used", "ASIAY34FZKBOKMUTVV7A"),
    ],
)  # fmt: skip
def test_credentials_are_cut(text, kept, gone):
    shown = redact(text)
    assert kept in shown and gone not in shown


def test_log_records_of_aeris_loggers_are_redacted_for_every_handler(caplog):
    import logging

    from aeris_lib.redaction import install_log_redaction

    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("aeris.tasks.stage").info(
            "read %s with %s", "https://s3/f?X-Amz-Signature=f00d", f"Bearer {JWT}"
        )
        logging.getLogger("elsewhere").info("kept https://s3/f?X-Amz-Signature=f00d")
    assert "f00d" not in caplog.records[0].getMessage() and JWT not in caplog.text.splitlines()[0]
    assert "f00d" in caplog.records[1].getMessage()


def test_plain_text_and_non_strings_pass_unchanged():
    assert redact("NO2 2024-09-01 15:00: 2,640,000 rows") == "NO2 2024-09-01 15:00: 2,640,000 rows"
    assert redact(ValueError("bad bbox")) == "bad bbox"
    assert (
        redact("see https://harmony.earthdata.nasa.gov/jobs/1")
        == "see https://harmony.earthdata.nasa.gov/jobs/1"
    )


def test_records_rebuilt_by_formatters_pass_through_the_factory():
    """structlog's formatter rebuilds records with `logging.makeLogRecord`, whose factory call has no name."""
    import logging

    from aeris_lib.redaction import install_log_redaction

    install_log_redaction()
    record = logging.makeLogRecord({"name": "aeris.x", "msg": "%s: shape %s", "args": ("NO2", "native")})
    assert record.getMessage() == "NO2: shape native"
