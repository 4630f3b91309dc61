"""A granule on the DAAC, read by byte range instead of downloaded whole.

ASDC serves TEMPO through a Thin Egress App: a GET with the Earthdata token answers 303 to a pre-signed
S3 URL, which honours `Range` (416 for a range past the end). A full NO2 L3 granule is ~0.9 GB; a CONUS
window of one variable is a few of its chunks. `RemoteGranule` is a read-only, seekable file object
over that URL for h5py: every read becomes one ranged GET of the blocks it needs (neighbouring missing
blocks in one request), blocks are kept in a small LRU cache (HDF5 reads its metadata in many small
pieces), and every byte moved counts against `max_bytes` (AERIS_MAX_DOWNLOAD_BYTES).

The token goes where `HarmonyClient.follow` sends it: to the DAAC's origin on the first request, never
to the pre-signed host. A pre-signed URL that expires mid-read (403) is asked for again, once.
"""

from __future__ import annotations

import io
import re
import time
from collections import OrderedDict

import requests

from aeris_lib.harmony.errors import DownloadError
from aeris_lib.harmony.http import safe_url

BLOCK_BYTES = 1 << 20
CACHE_BYTES = 64 << 20
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class RangeNotHonoured(DownloadError):
    """The server answered a ranged GET with the whole object: read it by downloading instead."""


class RemoteGranule(io.RawIOBase):
    def __init__(self, client, url: str, *, max_bytes: int, block_bytes: int = BLOCK_BYTES,
                 cache_bytes: int = CACHE_BYTES):  # fmt: skip
        super().__init__()
        self.client, self.url, self.max_bytes = client, url, max_bytes
        self.block_bytes = block_bytes
        self.max_blocks = max(cache_bytes // block_bytes, 4)
        self.name = safe_url(url)
        self.bytes_moved = 0
        self.requests = 0
        self.started = time.monotonic()
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._pos = 0
        self._signed: str | None = None
        self.failure: Exception | None = None
        self.size = self._open()

    # ------------------------------------------------------------------ HTTP
    def _open(self) -> int:
        """The first block, through the DAAC's redirect: remembers the URL that honours ranges and
        returns the object's size."""
        body, total, where = self._ranged(self.url, 0, self.block_bytes - 1)
        self._signed = where
        self._keep(0, body)
        return total

    def _ranged(self, url: str, first: int, last: int) -> tuple[bytes, int, str]:
        """Bytes [first, last] of `url` (following redirects): (body, object size, final URL)."""
        response, where = self.client.follow(url, {"Range": f"bytes={first}-{last}"})
        try:
            if response.status_code != 206:
                raise RangeNotHonoured(
                    f"{safe_url(where)} answered a ranged GET with HTTP {response.status_code}, not 206"
                )
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != first:
                raise DownloadError(f"{safe_url(where)}: unexpected Content-Range for bytes {first}-{last}")
            wanted = int(match.group(2)) - first + 1
            if self.bytes_moved + wanted > self.max_bytes:
                raise DownloadError(
                    f"reading {self.name} would move more than AERIS_MAX_DOWNLOAD_BYTES "
                    f"({self.max_bytes:,} bytes): {self.bytes_moved:,} moved, {wanted:,} more asked"
                )
            body = response.content
        except requests.RequestException as error:
            raise DownloadError(f"range read from {safe_url(where)} broke: {type(error).__name__}") from None
        finally:
            response.close()
        if len(body) != wanted:
            raise DownloadError(f"range read from {safe_url(where)} truncated: {len(body)} of {wanted} bytes")
        self.bytes_moved += len(body)
        self.requests += 1
        return body, int(match.group(3)), where

    def _fetch(self, first_block: int, last_block: int) -> None:
        first = first_block * self.block_bytes
        last = min((last_block + 1) * self.block_bytes, self.size) - 1
        try:
            body, _, _ = self._ranged(self._signed or self.url, first, last)
        except DownloadError as error:
            if error.status != 403:
                raise
            # The pre-signed URL expired: the DAAC signs a new one (the token goes to it, not to S3).
            body, _, self._signed = self._ranged(self.url, first, last)
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
            view[written : written + len(piece)] = piece
            written += len(piece)
        self._pos += written
        return written

    def summary(self) -> str:
        """One line for the task log: how much of the granule was moved, in how many requests."""
        share = self.bytes_moved / self.size if self.size else 0
        return (
            f"read {self.bytes_moved:,} of {self.size:,} bytes ({share:.1%}) in {self.requests} range "
            f"request(s), {time.monotonic() - self.started:.1f} s"
        )
