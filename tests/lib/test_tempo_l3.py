"""Reading TEMPO L3 NetCDF-4 granules: the same cells as a GeoTIFF subset, fill never kept, windowed,
flags beside values, and a clear error naming what a malformed file lacks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import rasterio

from aeris_lib.raster import RasterError, inspect, iter_cells
from aeris_lib.tempo_l3 import granule_to_geotiff, read_window
from harmony_emulator.granules import FILL, Window, grid_window, render_values
from harmony_emulator.netcdf import QUALITY_FLAG, write_granule
from harmony_emulator.scans import scans_overlapping

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

NO2 = "C2930763263-LARC_CLOUD"
VARIABLE = "product/vertical_column_troposphere"
SCAN = scans_overlapping(datetime(2024, 9, 2, 17, tzinfo=UTC), datetime(2024, 9, 2, 18, tzinfo=UTC))[0]
REGION = Window(2800, 1700, 300, 200)  # 112°W..106°W, 35°N..39°N of the TEMPO grid (mostly clear)


@pytest.fixture(scope="module")
def granule(tmp_path_factory) -> Path:
    """A TEMPO-structured granule over REGION with every product variable (as a native file has)."""
    path = tmp_path_factory.mktemp("l3") / "TEMPO_NO2_L3_V03_test.nc"
    return write_granule(path, NO2, SCAN, REGION, variables=(VARIABLE, QUALITY_FLAG))


def test_window_equals_the_geotiff_subset_cell_for_cell(granule, tmp_path):
    bbox = (-110.0, 35.0, -108.5, 36.2)
    window = read_window(str(granule), VARIABLE, bbox)
    expected = render_values(NO2, VARIABLE, grid_window(*bbox), SCAN)
    assert window.values.shape == expected.shape == (60, 75)
    assert np.array_equal(window.values, expected)
    assert (window.west, window.north) == pytest.approx((-110.0, 36.2), abs=1e-9)
    # Pixel edges from 1-D centres: -127.99 +- 0.01 etc.; the GeoTIFF lands on the global lattice.
    granule_to_geotiff(str(granule), VARIABLE, bbox, tmp_path / "w.tif")
    info = inspect(str(tmp_path / "w.tif"))
    assert info.spec.dx == 0.02 and info.col_offset == round((-110.0 + 180) / 0.02)
    assert info.row_offset == round((90 - 36.2) / 0.02)


def test_fill_nan_and_infinity_are_never_cells(tmp_path):
    path = write_granule(tmp_path / "g.nc", NO2, SCAN, Window(2000, 1700, 20, 10), variables=(VARIABLE,))
    with netCDF4.Dataset(path, "a") as ds:
        data = ds[VARIABLE]
        data.set_auto_maskandscale(False)
        values = data[0]
        values[0, :4] = [np.nan, np.inf, -np.inf, FILL]
        values[1, :] = 1.5e15
        data[0] = values
    tif = tmp_path / "g.tif"
    granule_to_geotiff(str(path), VARIABLE, None, tif)
    cells = sum(len(block) for block in iter_cells(inspect(str(tif)), "NO2"))
    with rasterio.open(tif) as src:
        raw = src.read(1)
    assert np.isfinite(raw).all()
    assert cells == int((raw > FILL / 10).sum())
    # latitude ascends in the file: its first row is the raster's last (southernmost)
    assert (raw[-1, :4] == np.float32(FILL)).all() and (raw[-2] == np.float32(1.5e15)).all()


def test_quality_flag_is_read_beside_the_value(granule):
    window = read_window(str(granule), VARIABLE, (-110.0, 35.0, -108.0, 37.0), quality_variable=QUALITY_FLAG)
    assert window.flags is not None and window.flags.shape == window.values.shape
    observed = window.values != np.float32(FILL)
    assert set(np.unique(window.flags[observed])) <= {0, 1, 2}
    assert (window.flags[~observed] < 0).all()  # the flag's own fill where there is no value
    assert observed.sum() > 1000
    shares = np.bincount(window.flags[observed], minlength=3) / observed.sum()
    assert shares[0] > 0.6 and shares[1] > 0.01 and shares[2] > 0.002


def test_a_full_disk_granule_is_read_only_over_the_bbox(tmp_path):
    """7750 x 2950 per variable, as TEMPO's native files: the window is read, not the file."""
    path = write_granule(tmp_path / "native.nc", NO2, SCAN)
    window = read_window(str(path), VARIABLE, (-125.0, 24.0, -66.0, 50.0))
    assert window.granule_shape == (2950, 7750)
    assert window.shape == (1300, 2950)
    expected = render_values(NO2, VARIABLE, grid_window(-125.0, 24.0, -66.0, 50.0), SCAN)
    assert np.array_equal(window.values, expected)


def _broken(tmp_path: Path, change) -> str:
    path = write_granule(tmp_path / "broken.nc", NO2, SCAN, Window(2000, 1700, 12, 8), variables=(VARIABLE,))
    change(path)
    return str(path)


def _rebuild(path: Path, *, lat=True, lon=True, product=True, lat_values=None, times=1) -> None:
    path.unlink()
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("time", times)
        ds.createDimension("latitude", 8)
        ds.createDimension("longitude", 12)
        if lat:
            ds.createVariable("latitude", "f4", ("latitude",))[:] = (
                lat_values if lat_values is not None else 30.01 + 0.02 * np.arange(8)
            )
        if lon:
            ds.createVariable("longitude", "f4", ("longitude",))[:] = -120 + 0.02 * np.arange(12) + 0.01
        group = ds.createGroup("product" if product else "support_data")
        group.createVariable("vertical_column_troposphere", "f4", ("time", "latitude", "longitude"))[:] = 1e15


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: _rebuild(p, product=False), "no group 'product'"),
        (lambda p: _rebuild(p, lat=False), "no 1-D 'latitude' coordinate"),
        (lambda p: _rebuild(p, lon=False), "no 1-D 'longitude' coordinate"),
        (lambda p: _rebuild(p, lat_values=np.array([30, 30.02, 30.05, 30.06, 30.08, 30.1, 30.12, 30.14])),
         "'latitude' is not evenly spaced"),
        (lambda p: _rebuild(p, times=2), r"holds \(2,\) time steps"),
        (lambda p: p.write_bytes(b"II*\x00" + bytes(100)), "not a NetCDF-4 file"),
        (lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200)), "unreadable NetCDF-4 file"),
    ],
)  # fmt: skip
def test_a_malformed_file_names_what_is_wrong(tmp_path, change, message):
    path = _broken(tmp_path, change)
    with pytest.raises(RasterError, match=message) as error:
        read_window(path, VARIABLE, None)
    assert "broken.nc" in str(error.value)


def test_a_missing_variable_lists_what_the_group_has(granule):
    with pytest.raises(
        RasterError, match=r"no variable 'product/vertical_column'.*vertical_column_troposphere"
    ):
        read_window(str(granule), "product/vertical_column", None)


def test_a_bbox_outside_the_granule_is_an_error(granule):
    with pytest.raises(RasterError, match="does not intersect the granule"):
        read_window(str(granule), VARIABLE, (-80.0, 35.0, -79.0, 36.0))
