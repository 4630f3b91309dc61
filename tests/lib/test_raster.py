"""aeris_lib.raster: a raster checked from its header before a pixel is read, then its cells on TEMPO's
global lattice. On in-memory rasters here; GeoTIFF files from Harmony: tests/lib/db/test_load.py and
tests/lib/test_safe_files.py."""

from __future__ import annotations

import numpy as np
import pytest

from aeris_lib.memory_raster import ArrayRaster
from aeris_lib.raster import (
    FILL_VALUE,
    IMPLAUSIBLE,
    PRODUCT_FLAG_SHIFT,
    RasterError,
    RequestGrid,
    inspect,
    iter_cells,
    valid_mask,
)

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

STEP = 0.02


def raster(values, flags=None, west=-100.0, north=32.0, step=STEP) -> ArrayRaster:
    return ArrayRaster.from_arrays(np.asarray(values, np.float32), flags, west, north, step, step, "NO2 test")


def test_cells_land_on_tempos_global_lattice():
    info = inspect(raster(np.full((2, 3), 6e15)))
    assert (info.spec.dx, info.spec.x_origin, info.spec.y_origin) == (STEP, -180.0, 90.0)
    assert (info.row_offset, info.col_offset) == (round((90 - 32) / STEP), round((180 - 100) / STEP))
    cells = list(iter_cells(info, "NO2"))
    rows = np.concatenate([c.rows for c in cells])
    assert len(rows) == 6 and rows.min() == info.row_offset and rows.max() == info.row_offset + 1


def test_fill_and_non_finite_values_are_skipped_and_outliers_flagged_not_dropped():
    values = [[FILL_VALUE, np.nan, np.inf], [6e15, 2e17, 1.2e16]]
    flags = np.array([[0, 0, 0], [2, 0, 1]], np.int16)
    (block,) = iter_cells(inspect(raster(values, flags)), "NO2")
    assert block.skipped == 3 and len(block) == 3
    assert block.severity.tolist() == [1, 4, 2]
    assert (block.flags & IMPLAUSIBLE).tolist() == [0, 1, 0]
    assert (block.flags >> PRODUCT_FLAG_SHIFT).tolist() == [2, 0, 1]


def test_max_cells_aggregates_by_block_mean():
    info = inspect(raster(np.full((4, 4), 6e15)), max_cells=4)
    assert info.factor == 2 and (info.out_rows, info.out_cols) == (2, 2) and info.spec.dx == 2 * STEP
    (block,) = iter_cells(info, "NO2")
    assert len(block) == 4 and np.allclose(block.values, 6e15, rtol=1e-6)


def test_block_means_are_means_of_the_valid_pixels_not_a_max_or_a_sample():
    """4 x 4 to 2 x 2, each block different; fill and NaN leave their block's mean to the rest, a block
    of fill only stays empty. The expected means differ from each block's max and first pixel."""
    e = 1e15
    values = np.array([[1 * e, 2 * e, 10 * e, FILL_VALUE],
                       [3 * e, 6 * e, np.nan, 20 * e],
                       [FILL_VALUE, FILL_VALUE, 5 * e, 7 * e],
                       [FILL_VALUE, FILL_VALUE, 9 * e, 3 * e]], np.float32)  # fmt: skip
    (block,) = iter_cells(inspect(raster(values), max_cells=4), "NO2")
    means = {(int(r), int(c)): v for r, c, v in zip(block.rows, block.cols, block.values, strict=True)}
    row0, col0 = min(means)[0], min(c for _, c in means)
    got = {(r - row0, c - col0): v / e for (r, c), v in means.items()}
    assert set(got) == {(0, 0), (0, 1), (1, 1)} and block.skipped == 1  # (1, 0): fill only
    assert got[(0, 0)] == pytest.approx(3.0, rel=1e-6)  # (1 + 2 + 3 + 6) / 4; max 6, first 1
    assert got[(0, 1)] == pytest.approx(15.0, rel=1e-6)  # (10 + 20) / 2: fill and NaN left out; max 20
    assert got[(1, 1)] == pytest.approx(6.0, rel=1e-6)  # (5 + 7 + 9 + 3) / 4; max 9, first 5


def test_a_raster_that_does_not_match_the_request_is_refused_unread():
    request = RequestGrid((-100.0, 31.9, -99.9, 32.0), STEP)
    inspect(raster(np.zeros((5, 5))), request=request)
    with pytest.raises(RasterError, match=r"pixel size 0\.05"):
        inspect(raster(np.zeros((2, 2)), step=0.05), request=request)
    with pytest.raises(RasterError, match="not within the requested bbox"):
        inspect(raster(np.zeros((5, 5)), west=-90.0), request=request)
    with pytest.raises(RasterError, match="max_cells must be positive"):
        inspect(raster(np.zeros((2, 2))), max_cells=0)


def test_valid_mask_compares_fill_in_the_files_precision():
    values = np.array([np.float32(-9999.0), 1.0, np.nan], np.float32)
    assert valid_mask(values, -9999.0).tolist() == [False, True, False]
    assert valid_mask(values, None).tolist() == [True, True, False]
