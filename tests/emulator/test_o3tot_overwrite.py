"""The emulator's NASA overwrites O3TOT L3 V04 as NASA did in April 2026 (reference "Overwrites under
the same name"): the days first shipped on 0.04° of latitude x 0.02° of longitude are listed at a new
CMR revision, on 0.02°, under the same names; before the overwrite, revision 1 on the former grid."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import netCDF4
import numpy as np
import rasterio
from aeris.hooks.cmr import CmrHook
from rasterio.io import MemoryFile

from harmony_emulator.granules import FILL, grid_window, render_geotiff, render_values
from harmony_emulator.netcdf import write_granule
from harmony_emulator.scans import O3TOT_V04, REGRIDDED_ON, scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.emulator import Emulator

BBOX = (-100.0, 35.0, -98.0, 37.0)
OVERWRITTEN_HOUR = datetime(2024, 7, 20, 17, tzinfo=UTC)  # within 2024-07-15..08-15
KEPT_HOUR = datetime(2024, 9, 2, 17, tzinfo=UTC)
OZONE = "product/column_amount_o3"


def _listed(base_url: str, gas: str, hour: datetime) -> list:
    return CmrHook(base_url).granules(concept_id(gas, "standard"), hour, hour + timedelta(hours=1), BBOX)


def test_cmr_lists_the_overwrite_as_a_new_revision_of_the_same_names(fresh_emulator):
    emulator = Emulator(fresh_emulator.base_url)
    overwritten = _listed(fresh_emulator.base_url, "O3", OVERWRITTEN_HOUR)
    assert overwritten and {g.revision for g in overwritten} == {2}
    assert {g.listed_at for g in overwritten} == {REGRIDDED_ON}
    emulator.o3tot_overwritten(False)
    before = _listed(fresh_emulator.base_url, "O3", OVERWRITTEN_HOUR)
    assert [g.name for g in before] == [g.name for g in overwritten] and {g.revision for g in before} == {1}
    # Other days, and other products the same day, were never regridded.
    assert {g.revision for g in _listed(fresh_emulator.base_url, "O3", KEPT_HOUR)} == {1}
    assert {g.revision for g in _listed(fresh_emulator.base_url, "NO2", OVERWRITTEN_HOUR)} == {1}


def _scan(former: bool):
    scan = scans_overlapping(OVERWRITTEN_HOUR, OVERWRITTEN_HOUR + timedelta(hours=1))[0]
    return replace(scan, former_grid=former)


def test_a_file_before_the_overwrite_is_on_the_former_grid_each_cell_the_mean_of_todays_two(tmp_path):
    window = grid_window(*BBOX)
    today = render_values(O3TOT_V04, OZONE, window, _scan(False))
    path = write_granule(tmp_path / "former.nc", O3TOT_V04, _scan(True), window, variables=(OZONE,))
    with netCDF4.Dataset(path) as ds:
        lat = ds["latitude"][:].astype(np.float64)
        stored = ds[OZONE][0].filled(FILL).astype(np.float32)[::-1]  # north-up (stored as float64)
    assert np.allclose(np.diff(lat), 0.04, atol=1e-5) and stored.shape == (50, 100)
    pairs = today.reshape(50, 2, 100)
    both = (pairs != np.float32(FILL)).all(axis=1)
    assert np.allclose(stored[both], pairs.mean(axis=1)[both], rtol=1e-3)
    assert ((stored == np.float32(FILL)) == (pairs == np.float32(FILL)).all(axis=1)).all()

    tiff = render_geotiff(O3TOT_V04, (OZONE,), BBOX, _scan(True))
    with MemoryFile(tiff) as memory, memory.open() as src:
        assert (src.transform.a, src.transform.e, src.height, src.width) == (0.02, -0.04, 50, 100)
        assert np.array_equal(src.read(1), stored)


def test_the_geotiff_profile_is_unchanged_on_todays_grid():
    with MemoryFile(render_geotiff(O3TOT_V04, (OZONE,), BBOX, _scan(False))) as memory, memory.open() as src:
        assert (src.transform.e, src.height) == (-0.02, 100) and src.crs == rasterio.crs.CRS.from_epsg(4326)
