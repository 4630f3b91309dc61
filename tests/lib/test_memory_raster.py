"""aeris_lib.memory_raster: a window held in memory reads like the rasterio dataset it stands for."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from aeris_lib.memory_raster import ArrayRaster
from aeris_lib.raster import FILL_VALUE

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def window() -> ArrayRaster:
    values = np.arange(12, dtype=np.float32).reshape(3, 4) * 1e15
    values[0, 0] = FILL_VALUE
    flags = np.array([[0, 1, 2, -1], [0, 0, 0, 0], [2, 2, 2, 2]], dtype=np.int16)
    return ArrayRaster.from_arrays(values, flags, -100.0, 32.0, 0.02, 0.02, "NO2 window")


def test_it_answers_what_the_checks_merge_and_loader_ask():
    raster = window()
    assert (raster.count, raster.height, raster.width, raster.dtypes) == (2, 3, 4, ("float32", "float32"))
    assert raster.bounds == pytest.approx((-100.0, 31.94, -99.92, 32.0))
    assert raster.read(1, Window(1, 1, 2, 1)).tolist() == [[np.float32(5e15), np.float32(6e15)]]
    with raster as same:
        assert same is raster


def test_flags_are_fill_where_the_value_is_or_no_flag_was_read():
    flags = window().read(2)
    assert flags[0, 0] == np.float32(FILL_VALUE) and flags[0, 3] == np.float32(FILL_VALUE)
    assert flags[0, 1:3].tolist() == [1.0, 2.0]
    only_values = ArrayRaster.from_arrays(np.zeros((2, 2)), None, 0.0, 1.0, 0.5, 0.5, "x")
    assert only_values.count == 1


def test_written_as_a_geotiff_it_reads_back_identically(tmp_path):
    raster = window()
    path = raster.write_geotiff(tmp_path / "w.tif")
    with rasterio.open(path) as src:
        assert src.descriptions == ("value", "quality_flag") and src.nodata == np.float32(FILL_VALUE)
        assert np.array_equal(src.read(), raster.bands) and src.transform == raster.transform
        assert ArrayRaster.from_dataset(src).bounds == pytest.approx(raster.bounds)


def test_a_raster_on_a_former_grid_is_split_onto_the_products_and_says_so():
    coarse = ArrayRaster.from_arrays(np.arange(6, dtype=np.float32).reshape(3, 2), None, -100.0, 32.0, 0.02,
                                     0.04, "O3 window")  # fmt: skip
    split = coarse.onto_grid(0.02, ((0.02, 0.04),), (-100.0, 31.9, -99.96, 32.0))
    assert (split.height, split.width, split.transform.e, split.former_grid) == (
        5,
        2,
        -0.02,
        "0.02 x 0.04° (lon x lat)",
    )
    assert split.read(1)[:, 0].tolist() == [0, 0, 2, 2, 4]  # the bbox's south edge cuts the last former row
    assert coarse.onto_grid(0.02, (), (-100.0, 31.9, -99.96, 32.0)) is coarse  # not a former grid: unchanged
    on_grid = window()
    assert on_grid.onto_grid(0.02, ((0.02, 0.04),), (-100.0, 31.94, -99.92, 32.0)) is on_grid
