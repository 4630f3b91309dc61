"""Granules of one hour merged into one raster: union of cells, mean where several observed one."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from aeris_lib.merge import merge_granules
from aeris_lib.raster import RasterError
from tests.support.geotiff import FILL, NORTH, STEP, WEST, write_geotiff

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_union_and_mean_of_valid_values(tmp_path):
    first = np.array([[1.0, 2.0, FILL], [FILL, 4.0, 6.0]], dtype=np.float32)
    second = np.array([[3.0, FILL, FILL], [FILL, 8.0, 10.0]], dtype=np.float32)
    # The second granule's subset is one column further east: the union is 2 x 4.
    a = write_geotiff(tmp_path / "a.tif", first)
    b = write_geotiff(tmp_path / "b.tif", second, west=WEST + STEP)
    out = merge_granules([str(a), str(b)], tmp_path / "merged.tif")
    with rasterio.open(out) as src:
        merged = src.read(1)
        assert (src.width, src.height) == (4, 2)
        assert src.transform.c == pytest.approx(WEST) and src.transform.f == pytest.approx(NORTH)
    expected = np.array(
        [[1.0, (2.0 + 3.0) / 2, FILL, FILL], [FILL, 4.0, (6.0 + 8.0) / 2, 10.0]], dtype=np.float32
    )
    np.testing.assert_array_equal(merged, expected)


def test_granules_on_different_lattices_are_refused(tmp_path):
    a = write_geotiff(tmp_path / "a.tif", np.ones((2, 2), dtype=np.float32))
    b = write_geotiff(tmp_path / "b.tif", np.ones((2, 2), dtype=np.float32), west=WEST + STEP / 3)
    with pytest.raises(RasterError, match="same pixel lattice"):
        merge_granules([str(a), str(b)], tmp_path / "merged.tif")
