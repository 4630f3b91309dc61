"""PostgreSQL's binary COPY format for slice rows (cell_id, value, severity, quality_flag), encoded
from numpy arrays in one pass, and written through psycopg 3 (`cursor.copy`) or psycopg2."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from aeris_lib.raster import CellBlock

COPY_READ_BYTES = 1 << 20
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# One binary COPY row: field count, then (length, value) for cell_id, value, severity, quality_flag.
_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"), ("cell", ">i8"),
        ("l2", ">i4"), ("value", ">f4"),
        ("l3", ">i4"), ("severity", ">i2"),
        ("l4", ">i4"), ("flag", ">i2"),
    ]
)  # fmt: skip


def cell_ids(grid_id: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """cell_id = grid_id * 2^40 + row * 2^20 + col, the formula the schema documents."""
    return (np.int64(grid_id) << 40) | (rows.astype(np.int64) << 20) | cols.astype(np.int64)


def encode_rows(block: CellBlock, grid_id: int) -> bytes:
    rows = np.empty(len(block), dtype=_ROW)
    rows["n"], rows["l1"], rows["l2"], rows["l3"], rows["l4"] = 4, 8, 4, 2, 2
    rows["cell"] = cell_ids(grid_id, block.rows, block.cols)
    rows["value"] = block.values
    rows["severity"] = block.severity
    rows["flag"] = block.flags
    return rows.tobytes()


class ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks, for `cursor.copy_expert` (no re-copying)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._current = memoryview(b"")
        self._pos = 0
        self.error: BaseException | None = None  # what the producer raised, if anything

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self._pos >= len(self._current):
            try:
                chunk = next(self._chunks, None)
            except BaseException as error:
                self.error = error
                raise
            if chunk is None:
                return b""
            self._current, self._pos = memoryview(chunk), 0
        end = len(self._current) if size < 0 else self._pos + size
        out = self._current[self._pos : end]
        self._pos += len(out)
        return bytes(out)


def copy_binary(cur: Any, statement: str, chunks: Iterator[bytes]) -> None:
    """Binary COPY through psycopg 3 (`cursor.copy`, PostgresHook's default) or psycopg2."""
    if hasattr(cur, "copy"):
        with cur.copy(statement) as copy:
            for chunk in chunks:
                copy.write(chunk)
    else:
        reader = ChunkReader(chunks)
        try:
            cur.copy_expert(statement, reader, size=COPY_READ_BYTES)
        except Exception:
            # psycopg2 wraps an error raised while reading (e.g. a corrupt raster) in QueryCanceled;
            # the caller should see the original, which names the real problem.
            if reader.error is not None:
                raise reader.error from None
            raise
