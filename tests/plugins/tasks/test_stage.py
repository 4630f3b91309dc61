"""aeris.tasks.stage, the checks on what Harmony handed back: a GeoTIFF read only when its header
matches the request, a NetCDF-4 read over the bbox, anything else refused unopened. The whole step
against the emulator: tests/e2e/test_request_shapes.py and tests/e2e/test_hourly_dag.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from aeris.tasks.stage import _as_raster, _request_identity
from airflow.sdk.exceptions import AirflowFailException

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from tests.support.geotiff import NORTH, STEP, WEST, write_geotiff

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
BBOX = (WEST, NORTH - 2 * STEP, WEST + 3 * STEP, NORTH)


def gas_hour(bbox=BBOX) -> GasHour:
    entry = DEFAULT_CATALOG["NO2"]
    return GasHour(entry, HOUR, bbox, "C3685896708-LARC_CLOUD", "standard", entry.short_name, "V04")


def test_a_geotiff_matching_the_request_is_read_into_memory(tmp_path):
    path = write_geotiff(tmp_path / "no2.tif", np.full((2, 3), 6e15, np.float32))
    raster = _as_raster(gas_hour(), str(path))
    assert (raster.height, raster.width) == (2, 3) and float(raster.read(1)[0, 0]) == pytest.approx(6e15)


def test_a_geotiff_for_another_place_fails_the_gas_naming_the_product(tmp_path):
    path = write_geotiff(tmp_path / "no2.tif", np.full((2, 3), 6e15, np.float32))
    far = (WEST + 10, NORTH - 12, WEST + 11, NORTH - 11)
    with pytest.raises(AirflowFailException, match=r"NO2: Harmony's output of .* is not what was asked"):
        _as_raster(gas_hour(far), str(path))


def test_anything_but_tiff_or_netcdf_is_refused_unopened(tmp_path):
    page = tmp_path / "error.html"
    page.write_text("<html>Earthdata Login</html>")
    with pytest.raises(AirflowFailException, match="NO2: Harmony's output of"):
        _as_raster(gas_hour(), str(page))


def test_the_request_identity_is_what_was_asked():
    identity = json.loads(_request_identity(gas_hour(), {"shape": "native"}))
    assert identity == {"bbox": [round(v, 6) for v in BBOX], "variable": DEFAULT_CATALOG["NO2"].variable,
                        "quality": DEFAULT_CATALOG["NO2"].quality_variable or None, "shape": "native"}  # fmt: skip
