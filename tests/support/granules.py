"""Small TEMPO L3 NetCDF-4 granules for unit tests: TEMPO's layout (root 1-D coordinates, ascending,
at pixel centres; the science variable in its group, shaped (time, latitude, longitude), fill -1e30)."""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np

PIXEL = 0.02
VARIABLE = "product/vertical_column_troposphere"


def small_granule(
    dest: Path,
    bbox: tuple[float, float, float, float],
    *,
    variable: str = VARIABLE,
    value: float = 2e15,
    lat_step: float = PIXEL,
    lon_step: float = PIXEL,
) -> Path:
    """A granule over `bbox` whose `variable` holds `value` everywhere."""
    west, south, east, north = bbox
    # Centres computed in float64 and stored as float32, as TEMPO's are (no float32 running sum).
    lat = (south + lat_step * (np.arange(round((north - south) / lat_step)) + 0.5)).astype(np.float32)
    lon = (west + lon_step * (np.arange(round((east - west) / lon_step)) + 0.5)).astype(np.float32)
    group, _, name = variable.rpartition("/")
    with netCDF4.Dataset(dest, "w", format="NETCDF4") as ds:
        ds.createDimension("time", 1)
        ds.createDimension("latitude", lat.size)
        ds.createDimension("longitude", lon.size)
        ds.createVariable("latitude", "f4", ("latitude",))[:] = lat
        ds.createVariable("longitude", "f4", ("longitude",))[:] = lon
        science = ds.createGroup(group).createVariable(
            name, "f4", ("time", "latitude", "longitude"), fill_value=np.float32(-1e30)
        )
        science[:] = np.full((1, lat.size, lon.size), value, dtype=np.float32)
    return dest
