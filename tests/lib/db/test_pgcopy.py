"""aeris_lib.db.pgcopy: PostgreSQL's binary COPY rows for slices, encoded without a per-row loop."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from aeris_lib.db.pgcopy import PGCOPY_HEADER, PGCOPY_TRAILER, cell_ids, encode_rows
from aeris_lib.raster import CellBlock

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def block(n: int) -> CellBlock:
    rows, cols = np.arange(n, dtype=np.int64) + 10, np.arange(n, dtype=np.int64) * 3
    return CellBlock(rows, cols, np.linspace(1e15, 2e16, n), np.arange(n, dtype=np.int16) % 5,
                     np.full(n, 2, np.int16), skipped=0)  # fmt: skip


def test_cell_ids_follow_the_schemas_formula():
    ids = cell_ids(3, np.array([0, 4499]), np.array([17999, 0]))
    assert ids.tolist() == [(3 << 40) + 17999, (3 << 40) + (4499 << 20)]


def test_each_row_decodes_as_postgresql_reads_it():
    data = block(3)
    encoded = encode_rows(data, grid_id=2)
    assert len(encoded) == 3 * 34  # 2 + (4+8) + (4+4) + (4+2) + (4+2) bytes per row
    for i in range(3):
        n, l1, cell, l2, value, l3, severity, l4, flag = struct.unpack_from(">hiqifihih", encoded, 34 * i)
        assert (n, l1, l2, l3, l4) == (4, 8, 4, 2, 2)
        assert cell == (2 << 40) | (int(data.rows[i]) << 20) | int(data.cols[i])
        assert value == pytest.approx(float(np.float32(data.values[i])))
        assert (severity, flag) == (int(data.severity[i]), 2)


def test_the_stream_frame_is_postgresqls():
    assert PGCOPY_HEADER.startswith(b"PGCOPY\n\xff\r\n\x00") and len(PGCOPY_HEADER) == 19
    assert PGCOPY_TRAILER == b"\xff\xff"
