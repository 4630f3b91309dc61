"""PostgreSQL's binary COPY format for slice rows (cell_id, value, severity, quality_flag), encoded
from numpy arrays in one pass, and written through psycopg 3 (`cursor.copy`)."""

from __future__ import annotations

from collections.abc import Iterator
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


def copy_binary(cur: Any, statement: str, chunks: Iterator[bytes]) -> None:
    """Binary COPY of `chunks` as psycopg 3 streams it (`cursor.copy`): an error raised while producing
    them (e.g. a corrupt raster) reaches the caller as itself."""
    with cur.copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk)
