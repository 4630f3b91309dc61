"""tasks.harmony: a granule on a former grid of the product (O3TOT V04 was first gridded 0.04° × 0.02°,
then reprocessed to 0.02° and overwritten) is split onto the catalog's grid; any other grid is refused,
naming product, version and pixel size; a hostile output
(a VRT, HDF5 with external storage) fails the gas before anything is read or written."""

from __future__ import annotations

from datetime import UTC, datetime

import netCDF4
import numpy as np
import pytest
import rasterio
from aeris.tasks.stage import _as_raster
from airflow.sdk.exceptions import AirflowFailException
from rasterio.transform import from_origin

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from tests.support.granules import small_granule

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2026, 4, 2, 16, tzinfo=UTC)
BBOX = (-100.0, 35.0, -98.0, 37.0)


def _o3tot(path, lat_step: float):
    """A TEMPO O3TOT L3 granule's layout over the bbox: root coordinates, `product/column_amount_o3`."""
    return small_granule(path, BBOX, variable="product/column_amount_o3", value=300.0, lat_step=lat_step)


def _o3(version: str = "V04") -> GasHour:
    return GasHour(DEFAULT_CATALOG["O3"], HOUR, BBOX, "C3685896625-LARC_CLOUD", "standard",
                   "TEMPO_O3TOT_L3", version)  # fmt: skip


def test_o3tot_on_its_former_grid_is_split_onto_the_catalogs_grid_row_for_row(tmp_path):
    """NASA's pre-April-2026 O3TOT V04 files (0.04° of latitude): each row becomes two product rows."""
    coarse = _o3tot(tmp_path / "TEMPO_O3TOT_L3_V04_20240720T153000Z_S007.nc", lat_step=0.04)
    with netCDF4.Dataset(coarse, "a") as ds:
        rows = ds["product/column_amount_o3"].shape[1]  # south to north, as TEMPO stores them
        ds["product/column_amount_o3"][0] = np.repeat(
            np.arange(rows, dtype=np.float32)[:, None] + 250, 100, 1
        )
    raster = _as_raster(_o3(), str(coarse))
    assert (raster.width, raster.height) == (100, 100)  # the 2° bbox at 0.02°, as from today's files
    assert raster.transform.a == 0.02 and raster.transform.e == -0.02
    assert (raster.transform.c, raster.transform.f) == pytest.approx((-100.0, 37.0))
    north_up = np.repeat(np.arange(rows - 1, -1, -1, dtype=np.float32) + 250, 2)
    assert np.array_equal(raster.read(1)[:, 37], north_up)


def test_a_geotiff_on_the_former_grid_is_split_too(tmp_path):
    path = tmp_path / "subset.tif"
    values = np.arange(50 * 100, dtype=np.float32).reshape(1, 50, 100)
    profile = {"driver": "GTiff", "width": 100, "height": 50, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": from_origin(-100.0, 37.0, 0.02, 0.04), "nodata": -1e30}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values)
    raster = _as_raster(_o3(), str(path))
    assert (raster.width, raster.height, raster.transform.e) == (100, 100, -0.02)
    assert np.array_equal(raster.read(1), np.repeat(values[0], 2, axis=0))


def test_another_grid_is_refused_naming_product_version_and_pixel_size(tmp_path):
    """Only the grids the catalog names: NO2 never had a 0.04° grid, and O3TOT never a 0.03° one."""
    for gas_hour, lat_step in ((_no2(), 0.04), (_o3(), 0.03)):
        coarse = small_granule(tmp_path / f"{gas_hour.gas}.nc", BBOX, variable=gas_hour.entry.variable,
                               lat_step=lat_step)  # fmt: skip
        with pytest.raises(AirflowFailException) as refused:
            _as_raster(gas_hour, str(coarse))
        message = str(refused.value)
        assert f"{gas_hour.short_name} V04" in message and f"{lat_step:g}" in message and "0.02°" in message


def test_the_reprocessed_file_on_the_catalogs_grid_is_read(tmp_path):
    regridded = _o3tot(tmp_path / "TEMPO_O3TOT_L3_V04_20260402T153000Z_S007.nc", lat_step=0.02)
    raster = _as_raster(_o3(), str(regridded))
    assert (raster.width, raster.height) == (100, 100)  # the 2° bbox at 0.02°
    assert (raster.read(1) == 300.0).all()


def _no2() -> GasHour:
    return GasHour(DEFAULT_CATALOG["NO2"], HOUR, BBOX, "C3685668972-LARC_CLOUD", "standard",
                   "TEMPO_NO2_L3", "V04")  # fmt: skip


@pytest.mark.parametrize("kind", ["raw-band VRT", "external-storage HDF5"])
def test_a_hostile_output_fails_the_gas_before_anything_is_written(tmp_path, kind):
    """A Harmony output that reads the worker's environment: refused unread, nothing staged."""
    from tests.support import hostile_files

    secret = tmp_path / "environ"
    secret.write_bytes(b"BEARER_TOKEN=eyJsecret\0" * 500)
    path = tmp_path / "granule_1"
    if kind == "raw-band VRT":
        hostile_files.raw_band_vrt(path, BBOX, str(secret))
    else:
        hostile_files.external_storage_granule(path, BBOX, str(secret))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(AirflowFailException) as refused:
        _as_raster(_no2(), str(path))
    assert "neither signature" in str(refused.value) or "external file" in str(refused.value)
    assert "NO2" in str(refused.value) and "eyJsecret" not in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
