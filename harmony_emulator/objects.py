"""Serving an object the way S3 does behind a pre-signed URL: whole, or one byte range.

S3 (and so ASDC's Thin Egress App, which passes `Range` through) answers `Range: bytes=a-b`,
`bytes=a-` and `bytes=-n` with 206 and `Content-Range: bytes a-b/size`; a range that starts at or past
the end with 416 and `Content-Range: bytes */size`; a header it does not parse (several ranges, other
units) is ignored and the whole object is sent. HEAD gives the same headers without the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
SEND_BLOCK = 1 << 20


class RangeNotSatisfiable(ValueError):
    pass


@dataclass(frozen=True)
class Body:
    """An object's bytes, in memory or in a file (native granules are up to ~0.9 GB)."""

    data: bytes | None = None
    path: Path | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def chunks(self, start: int, end: int):
        """The bytes [start, end] (inclusive), a block at a time."""
        if self.data is not None:
            yield self.data[start : end + 1]
            return
        with open(self.path, "rb") as source:
            source.seek(start)
            left = end - start + 1
            while left > 0:
                block = source.read(min(SEND_BLOCK, left))
                if not block:
                    return
                left -= len(block)
                yield block


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a `Range` header against an object of `size`, None for the whole
    object, `RangeNotSatisfiable` when it starts past the end."""
    match = _RANGE.match((header or "").strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last n bytes
        count = int(last)
        if count == 0:
            raise RangeNotSatisfiable(header)
        return max(size - count, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


def send(handler, body: Body, media_type: str, *, head: bool = False, count=None) -> tuple[int, int]:
    """Answer `handler`'s request with `body` (the Range it asked for); (status, bytes sent).
    `count(status, length)` is called before the answer goes out, so a client that has its answer
    always finds it counted."""
    size = body.size
    try:
        wanted = byte_range(handler.headers.get("Range"), size)
    except RangeNotSatisfiable:
        if count:
            count(416, 0)
        handler.send_response(416)
        handler.send_header("Content-Range", f"bytes */{size}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return 416, 0
    start, end = wanted if wanted else (0, size - 1)
    status = 206 if wanted else 200
    if count:
        count(status, 0 if head or not size else end - start + 1)
    handler.send_response(status)
    handler.send_header("Content-Type", media_type)
    handler.send_header("Accept-Ranges", "bytes")
    handler.send_header("Content-Length", str(end - start + 1 if size else 0))
    if wanted:
        handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
    handler.end_headers()
    sent = 0
    if not head and size:
        for block in body.chunks(start, end):
            handler.wfile.write(block)
            sent += len(block)
    return status, sent
