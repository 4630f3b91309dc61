"""aeris_lib.harmony.ranges against a DAAC and an S3 that throttle, fail and lie (tests/support/
hostile_daac.py): every read ends within seconds with the right bytes or an error naming the granule
and the range; transient faults are absorbed inside one read and counted for the task log."""

from __future__ import annotations

import concurrent.futures
import os
import time

import pytest

from aeris_lib.harmony import HarmonyClient
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import DownloadError
from aeris_lib.harmony.faults import BROKEN, SLOWDOWN, THROTTLE, Backoff, Recovery
from aeris_lib.harmony.http import build_session
from aeris_lib.harmony.ranges import RemoteGranule
from tests.support.hostile_daac import HostileDaac

pytestmark = pytest.mark.unit

DATA = os.urandom(3 * 4096 + 123)  # three blocks and a bit
BLOCK = 4096
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZXJpcyJ9.c2lnbmF0dXJl"
QUICK = {SLOWDOWN: Backoff(0.01, 0.05, 8), THROTTLE: Backoff(0.02, 0.1, 6), BROKEN: Backoff(0.01, 0.05, 4)}


@pytest.fixture
def daac():
    with HostileDaac(DATA) as server:
        yield server


def _client(daac: HostileDaac) -> HarmonyClient:
    return HarmonyClient("http://127.0.0.1:9", TokenProvider("http://127.0.0.1:9", bearer_token=TOKEN),
                         session=build_session(retries=0), data_origins=[daac.daac_url],
                         private_origins=[daac.s3_url])  # fmt: skip


def _granule(daac: HostileDaac, **kwargs) -> RemoteGranule:
    kwargs.setdefault("recovery", Recovery(QUICK, sleep=time.sleep))
    return RemoteGranule(_client(daac), daac.link, max_bytes=kwargs.pop("max_bytes", 10**6),
                         block_bytes=BLOCK, **kwargs)  # fmt: skip


def _within(seconds: float, read):
    """`read()`'s result, or a failure when it has not ended within `seconds` (a spinning reader)."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(read).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"the read did not end within {seconds} s")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _read_all(daac: HostileDaac, **kwargs) -> tuple[bytes, RemoteGranule]:
    def read():
        remote = _granule(daac, **kwargs)
        with remote:
            remote.seek(0)
            return remote.read(len(DATA) + 10), remote

    return _within(20, read)


def test_short_answers_are_completed_by_asking_for_the_rest(daac):
    daac.then("short", "ok", "short", "short")
    data, remote = _read_all(daac)
    assert data == DATA
    firsts = [first for first, _, _ in daac.ranges]
    assert firsts[:2] == [0, BLOCK // 2]  # the rest of the first block, asked where the short one ended
    assert remote.bytes_moved == len(DATA)


def test_a_body_cut_before_its_first_byte_is_asked_again(daac):
    daac.then("cut", "ok")
    data, remote = _read_all(daac)
    assert data == DATA and remote.recovery.counts[BROKEN] == 1


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("empty", "answered 206 with no bytes"),
        ("wrong_start", "starts at byte 10, not at 0 as asked"),
        ("past_end", f"ends at byte {BLOCK + 99}, past {BLOCK - 1} as asked"),
        ("other_size", f"names a granule of {2 * len(DATA):,} bytes"),
        ("gzip", "Content-Encoding 'gzip'"),
    ],
)
def test_an_answer_that_lies_is_an_error_naming_the_granule_and_the_range(daac, mode, says):
    daac.then("ok", mode) if mode == "other_size" else daac.then(mode)
    with pytest.raises(DownloadError, match=says) as error:
        _read_all(daac)
    assert "127.0.0.1" in str(error.value) and "granule.nc bytes " in str(error.value)
    assert "X-Amz" not in str(error.value)


def test_an_endless_body_is_read_to_the_range_asked_and_no_further(daac):
    daac.then("endless", "endless", "endless", "endless")
    data, remote = _read_all(daac)
    assert data == DATA and remote.bytes_moved == len(DATA)


def test_a_trickle_stops_at_the_granules_deadline(daac):
    daac.then("trickle")
    started = time.monotonic()
    with pytest.raises(DownloadError, match="deadline"):
        _read_all(daac, deadline_s=1.0)
    assert time.monotonic() - started < 5


def test_slowdown_throttle_and_expiry_are_absorbed_in_one_read_and_counted(daac):
    daac.then("slowdown", "internal", "ok", "throttle", "slowdown", "expired", "ok")
    data, remote = _read_all(daac)
    assert data == DATA
    assert daac.signatures == 2 and daac.tokens_on_s3 == 0  # re-signed at the DAAC; S3 never saw the token
    assert "recovered 3 SlowDown, 1 throttle, 1 re-sign" in remote.summary()


def test_the_daacs_own_throttle_on_signing_is_waited_out(daac):
    daac.throttle_daac = 2
    data, remote = _read_all(daac)
    assert data == DATA and remote.recovery.counts[THROTTLE] == 2


def test_a_long_read_is_signed_again_each_time_its_url_expires(daac):
    daac.then("ok", "expired", "ok", "expired", "ok")

    def read_block_by_block():
        with _granule(daac) as remote:
            return b"".join(remote.read(BLOCK) for _ in range(4)), remote

    data, remote = _within(20, read_block_by_block)
    assert data == DATA and daac.signatures == 3 and "2 re-sign" in remote.summary()


def test_a_persistent_throttle_fails_with_that_reason(daac):
    daac.then(*["throttle"] * 20)
    with pytest.raises(
        DownloadError, match=r"kept throttling range requests \(403 Request blocked\) after 6 tries"
    ):
        _read_all(daac)


def test_a_real_refusal_is_not_retried(daac):
    daac.then("denied")
    with pytest.raises(DownloadError, match="HTTP 403 AccessDenied"):
        _read_all(daac)
    assert len(daac.ranges) == 1


def test_a_granule_whose_signature_never_holds_stops_within_its_bound(daac):
    daac.then(*["expired"] * 50)
    with pytest.raises(DownloadError, match="expired 7 times in one read"):
        _read_all(daac)
