"""Reading an answer's body within bounds: bytes, time, and no decompression.

`requests` would inflate a gzip body and read until the server stops: 1 MB on the wire becomes 1 GiB,
and a body without Content-Length has no end. Here a body is read as sent (`decode_content=False`),
a `Content-Encoding` other than identity is refused before a byte is read, no more than the bytes
wanted are read, and the whole transfer has one deadline (a socket timeout bounds one read only: a
server trickling a byte a minute would never time out).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests

from aeris_lib.harmony.errors import DownloadError

READ_BYTES = 1 << 20


def refuse_encoding(response: requests.Response, what: str) -> None:
    """`DownloadError` (the answer closed) when the body is compressed although identity was asked."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        response.close()
        raise DownloadError(
            f"{what}: the answer came with Content-Encoding {encoding[:40]!r} although identity was asked; "
            "a compressed body is refused, never inflated"
        )


def chunks(response: requests.Response, *, most: int, deadline: float, what: str) -> Iterator[bytes]:
    """The body as sent, a piece at a time, stopping after `most` bytes (the rest is never read) or at
    its end; `DownloadError` once `deadline` (time.monotonic()) passes."""
    raw = response.raw
    left = most
    while left > 0:
        if time.monotonic() > deadline:
            raise DownloadError(f"{what}: the transfer passed its deadline ({most - left:,} bytes in)")
        piece = raw.read1(min(READ_BYTES, left), decode_content=False)
        if not piece:
            return
        left -= len(piece)
        yield piece
