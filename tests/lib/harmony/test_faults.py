"""aeris_lib.harmony.faults: which error answers are transient, how long to wait, what the log says."""

from __future__ import annotations

import pytest

from aeris_lib.harmony.faults import (
    BROKEN,
    EXPIRED,
    SLOWDOWN,
    THROTTLE,
    Backoff,
    GiveUp,
    Recovery,
    describe,
    fault_of,
)
from tests.support.hostile_daac import CLOUDFRONT_BLOCKED, S3_DENIED, S3_EXPIRED, S3_INTERNAL, S3_SLOWDOWN

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("status", "body", "fault"),
    [
        (503, S3_SLOWDOWN, SLOWDOWN),
        (500, S3_INTERNAL, SLOWDOWN),
        (403, CLOUDFRONT_BLOCKED, THROTTLE),
        (429, b"", THROTTLE),
        (403, S3_EXPIRED, EXPIRED),
        (400, b"<Error><Code>ExpiredToken</Code></Error>", EXPIRED),
        (403, S3_DENIED, None),
        (404, b"<Error><Code>NoSuchKey</Code></Error>", None),
    ],
)
def test_each_answer_of_the_public_record_is_told_apart(status, body, fault):
    assert fault_of(status, body) == fault


def test_an_error_is_described_by_status_and_code_never_by_its_bytes():
    assert describe(503, S3_SLOWDOWN) == "HTTP 503 SlowDown"
    assert describe(403, CLOUDFRONT_BLOCKED) == "HTTP 403 Request blocked (throttled)"
    assert describe(500, b"root:x:0:0:root:/root:/bin/bash") == "HTTP 500"


def test_waits_are_jittered_and_bounded_and_the_last_try_gives_up():
    waits: list[float] = []
    recovery = Recovery({SLOWDOWN: Backoff(1.0, 4.0, 4)}, sleep=waits.append)
    for attempt in (1, 2, 3):
        recovery.wait(SLOWDOWN, attempt, deadline=float("inf"), what="g.nc bytes 0-9")
    assert [w <= cap for w, cap in zip(waits, (1.0, 2.0, 4.0), strict=True)] == [True] * 3
    with pytest.raises(
        GiveUp, match=r"g\.nc bytes 0-9: S3 kept answering SlowDown/InternalError after 4 tries"
    ):
        recovery.wait(SLOWDOWN, 4, deadline=float("inf"), what="g.nc bytes 0-9")
    assert recovery.counts[SLOWDOWN] == 4 and recovery.summary().startswith("4 SlowDown")


def test_a_wait_past_the_deadline_is_not_taken():
    recovery = Recovery({BROKEN: Backoff(100.0, 100.0, 9)}, sleep=pytest.fail)
    with pytest.raises(GiveUp, match="would pass the deadline"):
        for attempt in range(1, 9):  # random() may draw a tiny wait once; never eight times
            recovery.wait(BROKEN, attempt, deadline=0.0, what="g.nc")


def test_nothing_recovered_says_nothing():
    assert Recovery().summary() == ""
