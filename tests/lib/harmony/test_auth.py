"""aeris_lib.harmony.auth: Earthdata tokens: a configured one first, a new one from EDL when it is
rejected or expired, and errors that say which credential to set. EDL here is the emulator's, over HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from aeris_lib.harmony.auth import Token, TokenProvider, parse_token
from aeris_lib.harmony.errors import EarthdataLoginError
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_tokens_expire_on_their_day_and_never_show_their_value():
    token = parse_token({"access_token": "tok-1", "expiration_date": "09/02/2024"})
    assert (
        token.expires == date(2024, 9, 2)
        and token.expired(date(2024, 9, 2))
        and not token.expired(date(2024, 9, 1))
    )
    assert "tok-1" not in repr(token) and not Token("t").expired()
    assert parse_token({"access_token": "t", "expiration_date": "2024-09-02"}).expires is None
    with pytest.raises(EarthdataLoginError, match="without an access_token"):
        parse_token({"token_type": "Bearer"})


def test_a_configured_token_is_used_and_without_credentials_it_cannot_be_replaced():
    tokens = TokenProvider("https://urs.example", bearer_token="configured")
    assert tokens.get() == "configured" and not tokens.can_refresh
    with pytest.raises(EarthdataLoginError, match="set a fresh BEARER_TOKEN, or EARTHDATA_USERNAME"):
        tokens.refresh("configured")
    with pytest.raises(EarthdataLoginError, match="no Earthdata credentials"):
        TokenProvider("https://urs.example").get()


def test_a_rejected_token_is_replaced_once_with_edl_and_each_new_one_reported(fresh_emulator):
    seen = []
    tokens = TokenProvider(fresh_emulator.base_url, bearer_token="stale", username=EMULATOR_USER,
                           password=EMULATOR_PASSWORD, on_new_token=seen.append)  # fmt: skip
    fresh = tokens.refresh("stale")
    assert fresh != "stale" and seen == [fresh] and tokens.refresh_count == 1
    assert tokens.refresh("stale") == fresh and tokens.refresh_count == 1  # another thread already did
    assert EMULATOR_PASSWORD not in repr(tokens)


def test_wrong_credentials_and_an_unreachable_edl_are_named(fresh_emulator):
    with pytest.raises(EarthdataLoginError, match="rejected the username/password for user 'nobody'"):
        TokenProvider(fresh_emulator.base_url, username="nobody", password="wrong").get()
    with pytest.raises(EarthdataLoginError, match=r"Earthdata Login unreachable at http://127\.0\.0\.1:9"):
        TokenProvider("http://127.0.0.1:9", username="u", password="p", timeout=2).get()
