"""Synthetic TEMPO Level-3 subsets: what the emulator serves in place of real granules.

Like TEMPO L3: EPSG:4326, 0.02° pixels on TEMPO's grid (west edge -168.00, north edge 73.00),
float32, fill -1e30, realistic per-gas value ranges, cloud holes, and fill where the sun was down at
the scan's mid-time. One file per scan (granule): two scans of the same hour differ in plumes and
clouds, as real ones do. Deterministic: the same (collection, variable, bbox, scan) always gives
byte-identical files.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from aeris_lib.emulator.scans import Scan
from aeris_lib.publication import solar_elevation

TEMPO_WEST, TEMPO_NORTH = -168.0, 73.0
TEMPO_EAST, TEMPO_SOUTH = -13.0, 14.0
PIXEL = 0.02
FILL = -1e30
# Bad files on demand (emulator faults): every pixel fill, or a raster placed 10° east of the request.
RENDER_FAULTS = ("all_fill", "out_of_bbox")

# variable -> (typical value, spread, hotspot peak, cloud fraction)
VALUE_MODELS = {
    "product/vertical_column_troposphere": (2.0e15, 1.5e15, 2.2e16, 0.30),
    "product/vertical_column": (6.0e15, 2.5e15, 2.0e16, 0.30),
    "product/column_amount_o3": (300.0, 25.0, 420.0, 0.25),
    "product/uv_aerosol_index": (0.2, 0.6, 4.5, 0.25),
}

# The TEMPO L3 V03 collections and the variables each carries (reference table).
COLLECTIONS = {
    "C2930763263-LARC_CLOUD": ("product/vertical_column_troposphere",),
    "C2930761273-LARC_CLOUD": ("product/vertical_column",),
    "C2930764281-LARC_CLOUD": ("product/column_amount_o3", "product/uv_aerosol_index"),
}


class GranuleError(ValueError):
    """The subset is outside TEMPO's field of regard or names an unknown collection/variable."""


@dataclass(frozen=True)
class Window:
    col_off: int
    row_off: int
    width: int
    height: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        west = TEMPO_WEST + self.col_off * PIXEL
        north = TEMPO_NORTH - self.row_off * PIXEL
        return west, north - self.height * PIXEL, west + self.width * PIXEL, north


def grid_window(west: float, south: float, east: float, north: float) -> Window:
    """TEMPO-grid pixels that intersect the box, clipped to TEMPO's field of regard."""
    west, east = max(west, TEMPO_WEST), min(east, TEMPO_EAST)
    south, north = max(south, TEMPO_SOUTH), min(north, TEMPO_NORTH)
    if west >= east or south >= north:
        raise GranuleError("the requested bbox does not intersect TEMPO's field of regard")
    col0 = math.floor(round((west - TEMPO_WEST) / PIXEL, 6))
    col1 = math.ceil(round((east - TEMPO_WEST) / PIXEL, 6))
    row0 = math.floor(round((TEMPO_NORTH - north) / PIXEL, 6))
    row1 = math.ceil(round((TEMPO_NORTH - south) / PIXEL, 6))
    return Window(col0, row0, col1 - col0, row1 - row0)


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "little")


def _smooth_field(
    rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray, blobs: int, scale: float
) -> np.ndarray:
    """Sum of Gaussian blobs placed over the whole TEMPO domain, so adjoining subsets agree."""
    field = np.zeros((lat.size, lon.size), dtype=np.float32)
    centres_lon = rng.uniform(TEMPO_WEST, TEMPO_EAST, blobs)
    centres_lat = rng.uniform(TEMPO_SOUTH, TEMPO_NORTH, blobs)
    widths = rng.uniform(0.5, 1.5, blobs) * scale
    weights = rng.uniform(0.3, 1.0, blobs)
    for cx, cy, w, a in zip(centres_lon, centres_lat, widths, weights, strict=True):
        gx = np.exp(-(((lon - cx) / w) ** 2)).astype(np.float32)
        gy = np.exp(-(((lat - cy) / w) ** 2)).astype(np.float32)
        if gx.max() > 1e-4 and gy.max() > 1e-4:
            field += a * np.outer(gy, gx)
    return field


def check_product(collection_id: str, variable: str) -> None:
    """`GranuleError` ("... not found") unless the collection exists and carries the variable."""
    if collection_id not in COLLECTIONS:
        raise GranuleError(
            f"collection {collection_id} not found: it is not a collection this Harmony serves"
        )
    if variable not in COLLECTIONS[collection_id]:
        raise GranuleError(f"variable {variable} not found in collection {collection_id}")


def render_values(collection_id: str, variable: str, window: Window, scan: Scan) -> np.ndarray:
    """The float32 grid (fill where cloudy or dark) for one variable and scan over `window`."""
    check_product(collection_id, variable)
    typical, spread, peak, cloud_fraction = VALUE_MODELS[variable]
    west, _, _, north = window.bounds
    lon = west + PIXEL * (np.arange(window.width) + 0.5)
    lat = north - PIXEL * (np.arange(window.height) + 0.5)
    scan_key = scan.start.strftime("%Y-%m-%dT%H%M%S")
    base = _smooth_field(np.random.default_rng(_seed(variable, "base")), lon, lat, 60, 6.0)
    plumes = _smooth_field(np.random.default_rng(_seed(variable, scan_key, "plume")), lon, lat, 40, 0.8)
    values = (
        typical
        + spread * (base - base.mean() if base.size else base)
        + (peak - typical) * np.clip(plumes, 0, 1)
    )
    clouds = _smooth_field(np.random.default_rng(_seed(scan_key, "clouds")), lon, lat, 120, 1.2)
    if clouds.size:
        threshold = np.quantile(clouds, 1 - cloud_fraction)
        values = np.where(clouds > threshold, np.float32(FILL), values)
    dark = solar_elevation(lon[np.newaxis, :], lat[:, np.newaxis], scan.mid) <= 0
    values = np.where(dark, np.float32(FILL), values)
    return values.astype(np.float32)


def render_geotiff(
    collection_id: str,
    variable: str,
    bbox: tuple[float, float, float, float],
    scan: Scan,
    fault: str | None = None,
) -> bytes:
    """The GeoTIFF bytes the emulator serves for this subset of one granule (`fault`: RENDER_FAULTS)."""
    window = grid_window(*bbox)
    values = render_values(collection_id, variable, window, scan)
    west, _, _, north = window.bounds
    if fault == "all_fill":
        values = np.full_like(values, np.float32(FILL))
    elif fault == "out_of_bbox":
        west += 10.0
    profile = {
        "driver": "GTiff",
        "width": window.width,
        "height": window.height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(west, north, PIXEL, PIXEL),
        "nodata": FILL,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(values, 1)
            dst.update_tags(
                collection=collection_id,
                variable=variable,
                start=scan.start.isoformat(),
                end=scan.end.isoformat(),
            )
        return memfile.read()
