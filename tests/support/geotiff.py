"""Tiny hand-built GeoTIFFs on the TEMPO 0.02° lattice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

FILL = np.float32(-1e30)
WEST, NORTH, STEP = -100.0, 36.0, 0.02  # on the TEMPO lattice (cell edges every 0.02° from -168, 14)


def write_geotiff(
    path: Path,
    values: np.ndarray,
    *,
    west: float = WEST,
    north: float = NORTH,
    step: float = STEP,
    crs: str = "EPSG:4326",
    nodata: float | None = float(FILL),
) -> Path:
    values = np.asarray(values, dtype=np.float32)
    bands = values if values.ndim == 3 else values[np.newaxis]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=bands.shape[2],
        height=bands.shape[1],
        count=bands.shape[0],
        dtype="float32",
        crs=crs,
        transform=from_origin(west, north, step, step),
        nodata=nodata,
    ) as dst:
        dst.write(bands)
    return path
