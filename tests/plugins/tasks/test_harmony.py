"""tasks.harmony: a granule on a grid that is not the catalog's is refused, naming product, version
and pixel size (O3TOT V04 was first gridded 0.04° × 0.02°, then reprocessed to 0.02°); a hostile output
(a VRT, HDF5 with external storage) fails the gas before anything is read or written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.tasks.stage import _as_raster
from airflow.sdk.exceptions import AirflowFailException

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


def test_the_old_coarser_grid_is_refused_naming_product_version_and_pixel_size(tmp_path):
    coarse = _o3tot(tmp_path / "TEMPO_O3TOT_L3_V04_20260402T153000Z_S007.nc", lat_step=0.04)
    with pytest.raises(AirflowFailException) as refused:
        _as_raster(_o3(), str(coarse))
    message = str(refused.value)
    assert "TEMPO_O3TOT_L3 V04" in message and "0.04" in message and "0.02°" in message
    assert [p.name for p in tmp_path.iterdir()] == [coarse.name]  # nothing was written from it


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
