"""Credentials cut from any text that leaves a process: logs, exceptions, ledger rows, alerts.

Pre-signed URLs carry their credential in the query string (`X-Amz-Signature`, `X-Amz-Credential`),
whether a message quotes the whole URL or, as urllib3 does, only its path (`… with url: /f.nc?X-Amz…`).
Earthdata tokens are JWTs, and an `Authorization: Bearer …` header may be echoed by a server.
"""

from __future__ import annotations

import re

MASK = "***"
# A URL's query string, absolute (`https://host/f?X-Amz-…`) or as urllib3 logs it (`url: /f?X-Amz-…`).
_URL_QUERY = re.compile(r"((?:https?://|(?<=url: ))[^\s?'\"]*)\?[^\s'\"]*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+")


def redact(text: object) -> str:
    """`text` with every URL's query string cut, and bearer tokens and JWTs masked."""
    text = _URL_QUERY.sub(lambda m: m.group(1) + "?…", str(text))
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _JWT.sub(MASK, text)
