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
    ],
)  # fmt: skip
def test_credentials_are_cut(text, kept, gone):
    shown = redact(text)
    assert kept in shown and gone not in shown


def test_plain_text_and_non_strings_pass_unchanged():
    assert redact("NO2 2024-09-01 15:00: 2,640,000 rows") == "NO2 2024-09-01 15:00: 2,640,000 rows"
    assert redact(ValueError("bad bbox")) == "bad bbox"
    assert (
        redact("see https://harmony.earthdata.nasa.gov/jobs/1")
        == "see https://harmony.earthdata.nasa.gov/jobs/1"
    )
