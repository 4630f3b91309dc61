"""Earthdata Login bearer tokens: a configured token, or one obtained with Basic auth.

The token is never logged and never part of a repr or an exception message.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import requests

from aeris_lib.harmony.errors import EarthdataLoginError

log = logging.getLogger(__name__)

FIND_OR_CREATE_PATH = "/api/users/find_or_create_token"


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    expires: date | None = None

    def expired(self, today: date | None = None) -> bool:
        today = today or datetime.now(UTC).date()
        return self.expires is not None and self.expires <= today


def parse_token(raw: dict) -> Token:
    """`{"access_token": ..., "expiration_date": "MM/DD/YYYY"}` as EDL returns it."""
    value = raw.get("access_token")
    if not value:
        raise EarthdataLoginError("Earthdata Login answered without an access_token")
    expires = None
    if raw.get("expiration_date"):
        try:
            expires = datetime.strptime(raw["expiration_date"], "%m/%d/%Y").date()
        except ValueError:
            log.warning("Earthdata token expiration %r not in MM/DD/YYYY form", raw["expiration_date"])
    return Token(value, expires)


class TokenProvider:
    """Hands out the current token; `refresh()` gets a new one from EDL when credentials allow.

    :param urs_url: Earthdata Login base URL (https://urs.earthdata.nasa.gov in production).
    :param bearer_token: a configured token, used first.
    :param username: EDL user for Basic auth, with `password`.
    :param on_new_token: called with each token obtained, e.g. to register it with a secret masker.
    """

    def __init__(
        self,
        urs_url: str,
        *,
        bearer_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        session: requests.Session | None = None,
        on_new_token=None,
        timeout: float = 30.0,
    ):
        self.urs_url = urs_url.rstrip("/")
        self._username = username
        self._password = password
        self._session = session or requests.Session()
        self._on_new_token = on_new_token
        self._timeout = timeout
        self._lock = threading.Lock()
        self._token = Token(bearer_token) if bearer_token else None
        self.refresh_count = 0

    def __repr__(self) -> str:
        return f"TokenProvider(urs_url={self.urs_url!r}, user={self._username!r})"

    @property
    def can_refresh(self) -> bool:
        return bool(self._username and self._password)

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._token.expired():
                self._token = self._obtain()
            return self._token.value

    def refresh(self, rejected: str) -> str:
        """A new token after Harmony rejected `rejected`; another thread may have refreshed already."""
        with self._lock:
            if self._token is not None and self._token.value != rejected:
                return self._token.value
            if not self.can_refresh:
                raise EarthdataLoginError(
                    "Harmony rejected the configured bearer token (expired or revoked) and no "
                    "Earthdata username/password is configured to obtain a new one: set a fresh "
                    "BEARER_TOKEN, or EARTHDATA_USERNAME and EARTHDATA_PASSWORD"
                )
            self.refresh_count += 1
            self._token = self._obtain(exclude=rejected)
            return self._token.value

    def _obtain(self, exclude: str | None = None) -> Token:
        if not self.can_refresh:
            raise EarthdataLoginError(
                "no Earthdata credentials: set BEARER_TOKEN, or EARTHDATA_USERNAME and EARTHDATA_PASSWORD"
            )
        url = self.urs_url + FIND_OR_CREATE_PATH
        try:
            response = self._session.post(
                url, auth=(self._username or "", self._password or ""), timeout=self._timeout
            )
        except requests.RequestException as error:
            raise EarthdataLoginError(
                f"Earthdata Login unreachable at {self.urs_url}: {type(error).__name__}"
            ) from None
        if response.status_code == 401:
            raise EarthdataLoginError(
                f"Earthdata Login rejected the username/password for user {self._username!r}", status=401
            )
        if not response.ok:
            raise EarthdataLoginError(
                f"Earthdata Login token request failed: HTTP {response.status_code} {_edl_error(response)}",
                status=response.status_code,
            )
        token = parse_token(response.json())
        if token.value == exclude:
            raise EarthdataLoginError("Earthdata Login returned the token Harmony just rejected")
        if self._on_new_token:
            self._on_new_token(token.value)
        log.info("Obtained an Earthdata Login token for %s (expires %s)", self._username, token.expires)
        return token


def _edl_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("error_description") or body.get("error") or body)[:200]
