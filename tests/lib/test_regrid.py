"""aeris_lib.regrid: a raster on one of the product's former grids is split onto the product's grid,
pixel for pixel, cut to the bbox; any other grid is not."""

from __future__ import annotations

import numpy as np
import pytest

from aeris_lib.regrid import describe, split_factors, split_onto_grid

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

O3TOT_FORMER = ((0.02, 0.04),)


def test_only_a_named_former_grid_has_split_factors():
    assert split_factors(0.02, 0.04, 0.02, O3TOT_FORMER) == (1, 2)
    assert split_factors(0.0200001, -0.0399999, 0.02, O3TOT_FORMER) == (1, 2)  # float32 steps, south-up
    assert split_factors(0.04, 0.04, 0.02, O3TOT_FORMER) is None
    assert split_factors(0.02, 0.03, 0.02, O3TOT_FORMER) is None
    assert split_factors(0.02, 0.04, 0.02, ()) is None  # a product without former grids
    assert describe((1, 2), 0.02) == "0.02 x 0.04° (lon x lat)"


def test_each_pixel_becomes_the_product_pixels_it_covers_cut_to_the_bbox():
    coarse = np.arange(12, dtype=np.float32).reshape(3, 4)  # 3 rows of 0.04° from 37.00 north, 4 of 0.02°
    # A bbox whose north and south edges fall inside former pixels: only the product rows it touches.
    fine, west, north = split_onto_grid(coarse, -100.0, 37.0, (1, 2), 0.02, (-99.98, 36.89, -99.93, 36.97))
    assert (west, north) == pytest.approx((-99.98, 36.98))
    expected = np.repeat(coarse, 2, axis=0)[1:6, 1:4]
    assert np.array_equal(fine, expected)


def test_bands_split_together_and_no_bbox_keeps_every_pixel():
    bands = np.stack([np.ones((2, 2), np.float32), np.full((2, 2), 2, np.float32)])
    fine, west, north = split_onto_grid(bands, 10.0, 50.0, (2, 2), 0.01, None)
    assert fine.shape == (2, 4, 4) and (west, north) == (10.0, 50.0)
    assert (fine[0] == 1).all() and (fine[1] == 2).all()
