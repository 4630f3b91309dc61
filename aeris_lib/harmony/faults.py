"""What a data host's error answer means to a reader: wait and ask again, sign again, or give up.

From the public record (../shared/reference/harmony-and-tempo.md, "Transient faults at scale"):
- S3 answers 503 `SlowDown` when asked too fast, and now and then 500 `InternalError`;
- ASDC's CloudFront answers bursts of range requests with 403 "Request blocked" (an auth 403 from the
  Thin Egress App or S3 says something else, so the body tells them apart);
- a pre-signed URL expires (403 `AccessDenied` "Request has expired"; 400 `ExpiredToken` with STS keys):
  the DAAC signs a new one for the same token.
Waits follow botocore's standard retry mode: full jitter over an exponential bound, capped. Every count
ends in the task log ("3 SlowDown, 1 throttle, 1 re-sign").
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3

from aeris_lib.harmony.errors import DownloadError

SLOWDOWN = "SlowDown"  # S3 503 SlowDown / 500 InternalError: ask again after a short wait
THROTTLE = "throttle"  # CloudFront 403 "Request blocked", or 429: ask again after a longer wait
EXPIRED = "re-sign"  # the pre-signed URL expired: ask the DAAC for a new one
BROKEN = "broken answer"  # a 206 whose body stopped before its first byte: ask again
# An error answer is read this far, never further: an endless "error page" cannot fill memory.
ERROR_BODY_BYTES = 64 * 1024
_S3_CODE = re.compile(rb"<Code>([A-Za-z]{1,64})</Code>")
_JSON_CODE = re.compile(rb'"Code"\s*:\s*"([A-Za-z]{1,64})"')


def error_body(response: requests.Response, limit: int = ERROR_BODY_BYTES) -> bytes:
    """At most `limit` bytes of an error answer's body, as sent (no decoding), then closed."""
    try:
        raw = response.raw
        if raw is None:
            return (response.content or b"")[:limit]
        return raw.read(limit, decode_content=False) or b""
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError):
        return b""  # an error page that broke off says nothing more
    finally:
        response.close()


def s3_code(body: bytes) -> str | None:
    """S3's error `Code` (`SlowDown`, `AccessDenied`…) from an XML or JSON error body: a bare word,
    safe to show; nothing else of the body ever is."""
    match = _S3_CODE.search(body) or _JSON_CODE.search(body)
    return match.group(1).decode() if match else None


def fault_of(status: int, body: bytes) -> str | None:
    """The transient fault an error answer reports, or None when asking again would not help."""
    code = s3_code(body)
    text = body[:ERROR_BODY_BYTES].lower()
    if status == 503 or code in ("SlowDown", "ServiceUnavailable", "InternalError") or status == 500:
        return SLOWDOWN
    if status == 429 or (status == 403 and b"request blocked" in text):
        return THROTTLE
    if status in (400, 403) and (code == "ExpiredToken" or b"request has expired" in text):
        return EXPIRED
    return None


def describe(status: int, body: bytes) -> str:
    """An error answer of a data host in words that never echo its bytes: the status and S3's code."""
    code = s3_code(body)
    if fault_of(status, body) == THROTTLE and status == 403:
        return "HTTP 403 Request blocked (throttled)"
    return f"HTTP {status}" + (f" {code}" if code else "")


@dataclass(frozen=True)
class Backoff:
    """Bounded, jittered waits (botocore's standard mode: random() * min(cap, base * 2**n)).

    :param base_s: the first bound, in seconds.
    :param cap_s: no wait is longer than this.
    :param tries: how many answers of this fault one range may get before the read gives up.
    """

    base_s: float
    cap_s: float
    tries: int

    def wait_s(self, attempt: int) -> float:
        return random.random() * min(self.cap_s, self.base_s * 2 ** max(attempt - 1, 0))


# S3 asks for a short back-off; CloudFront's block lasts longer, so its waits start longer.
BACKOFFS = {
    SLOWDOWN: Backoff(base_s=0.5, cap_s=20.0, tries=8),
    THROTTLE: Backoff(base_s=5.0, cap_s=60.0, tries=6),
    BROKEN: Backoff(base_s=0.5, cap_s=10.0, tries=4),
}
_GIVE_UP = {
    SLOWDOWN: "S3 kept answering SlowDown/InternalError",
    THROTTLE: "the DAAC kept throttling range requests (403 Request blocked)",
    BROKEN: "the connection kept breaking before the first byte",
}
# A read of many hours may outlive several signatures (ASDC signs for up to an hour); more than this
# many in one granule is a DAAC that signs URLs already expired.
MAX_RESIGNS = 6


class Recovery:
    """What one reader recovered from, and the waits it took, for its task log line.

    :param backoffs: the wait policy per fault (tests pass shorter ones).
    :param sleep: how to wait (tests pass one that records instead of sleeping).
    """

    def __init__(
        self, backoffs: dict[str, Backoff] | None = None, sleep: Callable[[float], None] = time.sleep
    ):
        self.backoffs = backoffs or BACKOFFS
        self.sleep = sleep
        self.counts: Counter[str] = Counter()
        self.waited_s = 0.0

    def wait(self, fault: str, attempt: int, *, deadline: float, what: str) -> None:
        """Count `fault` and wait before the next try; `GiveUp` when this was the last try or the wait
        would pass the transfer's deadline."""
        policy = self.backoffs[fault]
        self.counts[fault] += 1
        if attempt >= policy.tries:
            raise GiveUp(f"{what}: {_GIVE_UP.get(fault, fault)} after {attempt} tries", fault=fault)
        pause = policy.wait_s(attempt)
        if time.monotonic() + pause > deadline:
            raise GiveUp(f"{what}: {fault} again, and waiting {pause:.1f} s more would pass the deadline")
        self.waited_s += pause
        self.sleep(pause)

    def resigned(self, what: str) -> None:
        self.counts[EXPIRED] += 1
        if self.counts[EXPIRED] > MAX_RESIGNS:
            raise GiveUp(f"{what}: the pre-signed URL expired {self.counts[EXPIRED]} times in one read")

    def summary(self) -> str:
        """'3 SlowDown, 1 throttle, 1 re-sign' (empty when nothing needed recovering)."""
        parts = [
            f"{self.counts[name]} {name}"
            for name in (SLOWDOWN, THROTTLE, EXPIRED, BROKEN)
            if self.counts[name]
        ]
        return ", ".join(parts) + (f" (waited {self.waited_s:.1f} s)" if self.waited_s >= 0.05 else "")


class GiveUp(DownloadError):
    """A transient fault that did not pass within its bound: the read fails with that reason."""
