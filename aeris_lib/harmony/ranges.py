"""A granule on the DAAC, read by byte range instead of downloaded whole.

ASDC serves TEMPO through a Thin Egress App: a GET with the Earthdata token answers 303 to a pre-signed
S3 URL, which honours `Range` (416 for a range past the end). A full NO2 L3 granule is ~0.9 GB; a CONUS
window of one variable is a few of its chunks. `RemoteGranule` is a read-only, seekable file object
over that URL for h5py: every read becomes one ranged GET. A stored chunk (HDF5 reads each in one call)
is read exactly; a small read (HDF5 reads its metadata in many small pieces) takes the blocks it needs
(neighbouring missing blocks in one request), kept in a small LRU cache. Every byte moved counts
against `max_bytes` (AERIS_MAX_DOWNLOAD_BYTES) as it arrives.

Servers throttle, fail and lie (../shared/reference/harmony-and-tempo.md, "Transient faults at scale"),
and each read either advances or raises:
- a 206 with fewer bytes than asked (an honest `Content-Range`, or a body cut short) is completed by
  asking for the rest; an empty answer, or a `Content-Range` that does not start where asked, ends past
  what was asked or names another size, is an error naming the granule and the range;
- bodies are asked for and read as sent (`Accept-Encoding: identity`; a compressed one is refused),
  never more than the range, and the whole granule has one deadline (AERIS_DOWNLOAD_DEADLINE_SECONDS);
- S3's 503 SlowDown / 500 InternalError and CloudFront's 403 "Request blocked" are waited out (bounded,
  jittered: aeris_lib.harmony.faults); an expired pre-signed URL is signed again at the DAAC.
Those recoveries use this reader's own session, whose urllib3 `Retry` handles connection failures
only, so no status is retried twice over.

The token goes where `HarmonyClient.follow` sends it: to the DAAC's origin, never to the pre-signed host.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter, OrderedDict

import requests

from aeris_lib.harmony import bodies, faults
from aeris_lib.harmony.errors import DownloadError, HarmonyError
from aeris_lib.harmony.http import build_session, safe_url

# HDF5 reads metadata in pieces of a few hundred bytes, clustered (an object header and its B-tree
# node within a few KB) but the clusters scattered over the file (one per variable): a block this size
# takes a cluster in one request without dragging a megabyte of chunk data along.
BLOCK_BYTES = 64 << 10
# A read at least this large is a stored chunk (metadata reads are a few KB): read exactly.
DIRECT_READ_BYTES = 64 << 10
CACHE_BYTES = 64 << 20
# A range that takes more answers than this to complete comes from a server dribbling bytes: refused
# rather than read a few bytes per request until the deadline.
MAX_ANSWERS_PER_RANGE = 32
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class RangeNotHonoured(DownloadError):
    """The server answered a ranged GET with the whole object: read it by downloading instead."""


class RemoteGranule(io.RawIOBase):
    """
    :param client: a `HarmonyClient` (its token routes, its origins, its deadline).
    :param url: the granule's data link at the DAAC.
    :param max_bytes: the most this reader may move in all (AERIS_MAX_DOWNLOAD_BYTES).
    :param deadline_s: the longest the reads of this granule may take in all (default: the client's).
    :param recovery: how transient faults are waited out and counted (tests pass quick waits).
    """

    def __init__(self, client, url: str, *, max_bytes: int, block_bytes: int = BLOCK_BYTES,
                 cache_bytes: int = CACHE_BYTES, deadline_s: float | None = None,
                 recovery: faults.Recovery | None = None):  # fmt: skip
        super().__init__()
        self.client, self.url, self.max_bytes = client, url, max_bytes
        self.block_bytes = block_bytes
        self.max_blocks = max(cache_bytes // block_bytes, 4)
        self.name = safe_url(url)
        self.bytes_moved = 0
        self.requests = 0
        self.started = time.monotonic()
        self.deadline_s = deadline_s if deadline_s is not None else client.deadline_s
        self.deadline = self.started + self.deadline_s
        self.recovery = recovery or faults.Recovery()
        self._session = build_session(
            retries=3, backoff_factor=0.5, status_retries=0, peer_check=client.routes.check_peer
        )
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._pos = 0
        self._signed: str | None = None
        self.size = 0  # known from the first answer's Content-Range
        self.failure: Exception | None = None
        try:
            self._keep(0, self._read_range(0, self.block_bytes - 1))
        except BaseException:
            self._session.close()
            raise

    def close(self) -> None:
        self._session.close()
        super().close()

    # ------------------------------------------------------------------ HTTP
    def _read_range(self, first: int, last: int) -> bytes:
        """Bytes [first, last] (clipped to the granule's end), in as many answers as the server needs."""
        parts: list[bytes] = []
        pos = first
        for _ in range(MAX_ANSWERS_PER_RANGE):
            piece = self._piece(pos, last)
            parts.append(piece)
            pos += len(piece)
            last = min(last, self.size - 1) if self.size else last
            if pos > last:
                return b"".join(parts)
        raise DownloadError(
            f"{self.name}: bytes {first}-{last} still incomplete after {MAX_ANSWERS_PER_RANGE} answers "
            f"({pos - first:,} bytes): the server keeps answering short"
        )

    def _piece(self, pos: int, last: int) -> bytes:
        """One answer's bytes from `pos` (at least one, at most up to `last`)."""
        what = f"{self.name} bytes {pos}-{last}"
        for attempt in range(1, self.recovery.backoffs[faults.BROKEN].tries + 1):
            response = self._answer(pos, last, what)
            got = bytearray()
            try:
                bodies.refuse_encoding(response, what)
                want = self._content_range(response, pos, last, what)
                if self.bytes_moved + want > self.max_bytes:
                    raise DownloadError(
                        f"reading {self.name} would move more than AERIS_MAX_DOWNLOAD_BYTES "
                        f"({self.max_bytes:,} bytes): {self.bytes_moved:,} moved, {want:,} more asked"
                    )
                for chunk in bodies.chunks(response, most=want, deadline=self.deadline, what=what):
                    got += chunk
                    self.bytes_moved += len(chunk)
            except DownloadError:
                raise
            except Exception as error:  # the connection broke mid-body (requests', urllib3's, the socket's)
                if not got:
                    self.recovery.wait(faults.BROKEN, attempt, deadline=self.deadline,
                                       what=f"{what}: {type(error).__name__}")  # fmt: skip
                    continue
            finally:
                response.close()
                self.requests += 1
            if not got:
                raise DownloadError(f"{what}: the server answered 206 with no bytes")
            return bytes(got)
        raise AssertionError("unreachable: Recovery.wait raises on the last try")

    def _answer(self, pos: int, last: int, what: str) -> requests.Response:
        """A 206 answer for bytes [pos, last], through the DAAC's redirect when no signed URL is at hand;
        transient faults waited out, expired signatures renewed."""
        tries: Counter[str] = Counter()
        while True:
            if time.monotonic() > self.deadline:
                raise DownloadError(
                    f"{what}: not read within the granule's deadline of {self.deadline_s:,.0f} s "
                    "(AERIS_DOWNLOAD_DEADLINE_SECONDS)"
                )
            signed = self._signed
            try:
                response, where = self.client.follow(
                    signed or self.url, {"Range": f"bytes={pos}-{last}"}, session=self._session
                )
            except HarmonyError as error:
                if error.fault == faults.EXPIRED:
                    self.recovery.resigned(what)  # the DAAC signs a new one (the token goes to it, not S3)
                    self._signed = None
                    continue
                if error.fault in (faults.SLOWDOWN, faults.THROTTLE):
                    # Keep a signature that answered: S3's throttle is no reason to ask the DAAC again.
                    self._signed = getattr(error, "where", None) if signed is None else signed
                    tries[error.fault] += 1
                    self.recovery.wait(error.fault, tries[error.fault], deadline=self.deadline, what=what)
                    continue
                raise
            if response.status_code != 206:
                response.close()
                raise RangeNotHonoured(
                    f"{safe_url(where)} answered a ranged GET with HTTP {response.status_code}, not 206"
                )
            self._signed = where
            return response

    def _content_range(self, response: requests.Response, pos: int, last: int, what: str) -> int:
        """How many bytes the answer says it holds, once its `Content-Range` is what was asked."""
        header = response.headers.get("Content-Range", "")
        match = _CONTENT_RANGE.match(header)
        if not match:
            raise DownloadError(f"{what}: the answer has no valid Content-Range ({header[:60]!r})")
        start, end, total = (int(n) for n in match.groups())
        problem = (
            f"starts at byte {start}, not at {pos} as asked" if start != pos
            else f"ends at byte {end}, past {last} as asked" if end > last
            else f"names a granule of {total:,} bytes, not {self.size:,}" if self.size and total != self.size
            else f"ends at byte {end}, past the end of its {total:,} bytes" if end >= total
            else None
        )  # fmt: skip
        if problem:
            raise DownloadError(f"{what}: the answer's Content-Range ({header}) {problem}")
        self.size = total
        return end - start + 1

    def _fetch(self, first_block: int, last_block: int) -> None:
        first = first_block * self.block_bytes
        last = min((last_block + 1) * self.block_bytes, self.size) - 1
        body = self._read_range(first, last)
        for number in range(first_block, last_block + 1):
            offset = (number - first_block) * self.block_bytes
            self._keep(number, body[offset : offset + self.block_bytes])

    def _keep(self, number: int, block: bytes) -> None:
        self._blocks[number] = block
        self._blocks.move_to_end(number)
        while len(self._blocks) > self.max_blocks:
            self._blocks.popitem(last=False)

    # ------------------------------------------------------------------ file object
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def readinto(self, buffer) -> int:
        # HDF5 calls this from C: an exception raised here reaches the reader as a SystemError or an
        # OSError. It is kept, so the reader can raise it instead (tempo_l3.read_window does).
        try:
            return self._readinto(buffer)
        except Exception as error:
            self.failure = error
            raise

    def _readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        count = min(len(view), max(self.size - self._pos, 0))
        if count == 0:
            return 0
        if count >= DIRECT_READ_BYTES:
            # A chunk's bytes (HDF5 reads each stored chunk in one call): exactly them, in one GET,
            # not rounded out to blocks, and not cached (HDF5 never reads a chunk twice).
            data = self._read_range(self._pos, self._pos + count - 1)
            view[: len(data)] = data
            self._pos += len(data)
            return len(data)
        first_block, last_block = self._pos // self.block_bytes, (self._pos + count - 1) // self.block_bytes
        missing = [n for n in range(first_block, last_block + 1) if n not in self._blocks]
        if missing:
            self._fetch(missing[0], missing[-1])
        written = 0
        while written < count:
            number, offset = divmod(self._pos + written, self.block_bytes)
            block = self._blocks.get(number)
            if block is None:  # evicted by a read larger than the cache: fetch it again
                self._fetch(number, number)
                block = self._blocks[number]
            else:
                self._blocks.move_to_end(number)
            piece = block[offset : offset + count - written]
            if not piece:  # a block shorter than the granule says: never loop without progress
                raise DownloadError(
                    f"{self.name}: no bytes at offset {self._pos + written:,} of {self.size:,}"
                )
            view[written : written + len(piece)] = piece
            written += len(piece)
        self._pos += written
        return written

    def summary(self) -> str:
        """One line for the task log: how much of the granule was moved, in how many requests."""
        share = self.bytes_moved / self.size if self.size else 0
        recovered = self.recovery.summary()
        return (
            f"read {self.bytes_moved:,} of {self.size or 0:,} bytes ({share:.1%}) in {self.requests} range "
            f"request(s), {time.monotonic() - self.started:.1f} s"
            + (f"; recovered {recovered}" if recovered else "")
        )
