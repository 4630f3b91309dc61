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
from functools import lru_cache

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from harmony_emulator.scans import FAMILY, Scan, is_nrt
from harmony_emulator.sun import cos_zenith as sun_cos_zenith

TEMPO_WEST, TEMPO_NORTH = -168.0, 73.0
TEMPO_EAST, TEMPO_SOUTH = -13.0, 14.0
PIXEL = 0.02
FILL = -1e30
# Bad files on demand (emulator faults): every pixel fill, or a raster placed 10° east of the request.
RENDER_FAULTS = ("all_fill", "out_of_bbox", "deflate_bomb")

# variable -> (typical value, spread, hotspot peak)
VALUE_MODELS = {
    "product/vertical_column_troposphere": (2.0e15, 1.5e15, 2.2e16),
    "product/vertical_column": (6.0e15, 2.5e15, 2.0e16),
    "product/column_amount_o3": (300.0, 25.0, 420.0),
    "product/uv_aerosol_index": (0.2, 0.6, 4.5),
}
# Share of each scan's pixels under cloud (fill in every product of that scan, as in TEMPO's files).
CLOUD_FRACTION = 0.28
QUALITY_FLAG_FILL = -9999  # main_data_quality_flag's _FillValue in TEMPO's files

# The variables of each TEMPO L3 product family (reference table); NRT products carry their standard
# product's. Every collection of scans.PRODUCTS, by concept id.
FAMILY_VARIABLES = {
    "TEMPO_NO2_L3": ("product/vertical_column_troposphere",),
    "TEMPO_HCHO_L3": ("product/vertical_column",),
    "TEMPO_O3TOT_L3": ("product/column_amount_o3", "product/uv_aerosol_index"),
}
COLLECTIONS = {concept_id: FAMILY_VARIABLES[family] for concept_id, family in FAMILY.items()}
# Near-real-time values differ from the standard product's by up to this fraction (fast processing:
# preliminary calibration and navigation), smoothly over the field, so a test can tell them apart.
NRT_DEVIATION = 0.06
# A republished granule's values differ from its first publication's by this fraction per revision.
REPUBLISHED_CHANGE = 0.01


# TEMPO's main data quality flag (0 normal, 1 suspicious, 2 bad), in the NO2 and HCHO products.
QUALITY_FLAG = "product/main_data_quality_flag"
# O3TOT has no quality flag (it is pre-filtered); NO2 and HCHO, standard and NRT, carry it.
FLAGGED_COLLECTIONS = frozenset(c for c, family in FAMILY.items() if family != "TEMPO_O3TOT_L3")


# O3TOT V04's former grid (scans.REGRIDDED_DAYS before NASA's overwrite): 0.04° of latitude, two of
# today's rows; longitude unchanged. Its value is the mean of the two rows' valid values.
FORMER_GRID_ROWS = 2


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


def former_grid_window(window: Window) -> Window:
    """`window` widened to whole rows of the former grid (counted from TEMPO's north edge)."""
    k = FORMER_GRID_ROWS
    first = window.row_off // k * k
    last = -(-(window.row_off + window.height) // k) * k
    return Window(window.col_off, first, window.width, last - first)


def onto_former_grid(values: np.ndarray, fill: float | None = FILL) -> np.ndarray:
    """(rows, cols) on today's grid (whole former rows, see former_grid_window) -> the former grid:
    each pair of rows becomes the mean of its valid values, `fill` where neither has one."""
    rows, cols = values.shape
    pairs = values.reshape(rows // FORMER_GRID_ROWS, FORMER_GRID_ROWS, cols).astype(np.float64)
    valid = np.ones(pairs.shape, bool) if fill is None else pairs != np.float64(np.float32(fill))
    count = valid.sum(axis=1)
    mean = np.where(valid, pairs, 0).sum(axis=1) / np.maximum(count, 1)
    mean = mean.astype(values.dtype)
    if mean.dtype == np.float32:
        mean = _groom(mean)  # before the fill goes in: grooming would change it
    return mean if fill is None else np.where(count > 0, mean, values.dtype.type(fill))


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "little")


# A blob's contribution is cut to exactly zero beyond this many widths (exp(-9.2) ~ 1e-4), so every
# pixel's value is the same whatever window it is rendered in: a CONUS subset equals the same cells
# of the full-disk granule, as Harmony's subsets of one granule do.
BLOB_CUTOFF_WIDTHS = 3.035
# Mantissa bits dropped from values (23 kept minus these): about 4 significant digits stay, the
# full-disk NetCDF files compress to a few MB, and every format carries the same numbers.
DROPPED_MANTISSA_BITS = 10


def _blob_field(
    rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray, blobs: int, scale: float
) -> np.ndarray:
    """Sum of Gaussian blobs placed over the whole TEMPO domain; each blob is evaluated only on
    the pixels within its cut-off, so a full-disk field costs about as much as a regional one."""
    field = np.zeros((lat.size, lon.size), dtype=np.float32)
    centres_lon = rng.uniform(TEMPO_WEST, TEMPO_EAST, blobs)
    centres_lat = rng.uniform(TEMPO_SOUTH, TEMPO_NORTH, blobs)
    widths = rng.uniform(0.5, 1.5, blobs) * scale
    weights = rng.uniform(0.3, 1.0, blobs)
    for cx, cy, w, a in zip(centres_lon, centres_lat, widths, weights, strict=True):
        reach = BLOB_CUTOFF_WIDTHS * w
        cols = _index_range(lon, cx - reach, cx + reach, ascending=True)
        rows = _index_range(lat, cy - reach, cy + reach, ascending=False)
        if cols.start >= cols.stop or rows.start >= rows.stop:
            continue
        gx = np.exp(-(((lon[cols] - cx) / w) ** 2)).astype(np.float32)
        gy = np.exp(-(((lat[rows] - cy) / w) ** 2)).astype(np.float32)
        field[rows, cols] += np.float32(a) * np.outer(gy, gx)
    return field


def _index_range(centres: np.ndarray, low: float, high: float, ascending: bool) -> slice:
    """The slice of sorted `centres` (ascending or descending) that lies in [low, high]."""
    if ascending:
        return slice(int(np.searchsorted(centres, low, "left")), int(np.searchsorted(centres, high, "right")))
    reverse = centres[::-1]
    n = centres.size
    return slice(
        n - int(np.searchsorted(reverse, high, "right")), n - int(np.searchsorted(reverse, low, "left"))
    )


def _coarse_axes(step: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    lon = np.arange(TEMPO_WEST + step / 2, TEMPO_EAST, step)
    lat = np.arange(TEMPO_NORTH - step / 2, TEMPO_SOUTH, -step)
    return lon, lat


@lru_cache(maxsize=16)
def _base_mean(variable: str) -> float:
    """The mean of a variable's base field over the whole field of regard (from a coarse grid): a
    constant, so values do not depend on the window rendered."""
    lon, lat = _coarse_axes()
    return float(_blob_field(np.random.default_rng(_seed(variable, "base")), lon, lat, 60, 6.0).mean())


@lru_cache(maxsize=4)
def _base_field(variable: str, window: Window) -> np.ndarray:
    """A variable's scan-independent field over a window (0.7 s for the full disk, kept: every granule
    of the variable starts from it). Read-only: callers derive new arrays from it."""
    lon, lat = window_axes(window)
    field = _blob_field(np.random.default_rng(_seed(variable, "base")), lon, lat, 60, 6.0)
    field.flags.writeable = False
    return field


@lru_cache(maxsize=64)
def _cloud_threshold(scan_key: str, cloud_fraction: float) -> float:
    """The cloud-field level above which a scan's pixels are cloudy, over the whole field of regard."""
    lon, lat = _coarse_axes()
    clouds = _blob_field(np.random.default_rng(_seed(scan_key, "clouds")), lon, lat, 120, 1.2)
    return float(np.quantile(clouds, 1 - cloud_fraction))


@lru_cache(maxsize=64)
def _quality_levels(scan_key: str) -> tuple[float, float]:
    """Noise levels above which a scan's pixels are flagged suspect (top 11 %) and bad (top 3 %)."""
    lon, lat = _coarse_axes(0.1)
    noise = _blob_field(np.random.default_rng(_seed(scan_key, "quality")), lon, lat, 6000, 0.15)
    return float(np.quantile(noise, 0.89)), float(np.quantile(noise, 0.97))


def _groom(values: np.ndarray) -> np.ndarray:
    """float32 values with their lowest mantissa bits cleared (see DROPPED_MANTISSA_BITS)."""
    mask = np.uint32((0xFFFFFFFF >> DROPPED_MANTISSA_BITS) << DROPPED_MANTISSA_BITS)
    return (values.astype(np.float32).view(np.uint32) & mask).view(np.float32)


def check_product(collection_id: str, variable: str) -> None:
    """`GranuleError` ("... not found") unless the collection exists and carries the variable."""
    if collection_id not in COLLECTIONS:
        raise GranuleError(
            f"collection {collection_id} not found: it is not a collection this Harmony serves"
        )
    if variable == QUALITY_FLAG and collection_id in FLAGGED_COLLECTIONS:
        return
    if variable not in COLLECTIONS[collection_id]:
        raise GranuleError(f"variable {variable} not found in collection {collection_id}")


def window_axes(window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre longitudes (west to east) and latitudes (north to south) of `window`."""
    lon = TEMPO_WEST + PIXEL * (window.col_off + np.arange(window.width) + 0.5)
    lat = TEMPO_NORTH - PIXEL * (window.row_off + np.arange(window.height) + 0.5)
    return lon, lat


def scan_fields(window: Window, scan: Scan) -> tuple[np.ndarray, np.ndarray]:
    """(cloud mask, solar zenith angle in degrees) of one scan over `window`, north-up."""
    lon, lat = window_axes(window)
    scan_key = scan.start.strftime("%Y-%m-%dT%H%M%S")
    clouds = _blob_field(np.random.default_rng(_seed(scan_key, "clouds")), lon, lat, 120, 1.2)
    cloudy = clouds > np.float32(_cloud_threshold(scan_key, CLOUD_FRACTION))
    zenith = np.degrees(np.arccos(np.clip(sun_cos_zenith(lon, lat, scan.mid), -1, 1)))
    return cloudy, zenith.astype(np.float32)


def render_values(
    collection_id: str,
    variable: str,
    window: Window,
    scan: Scan,
    fields: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The float32 grid (fill where cloudy or dark) for one variable and scan over `window`.
    `fields`: the scan's (cloud mask, solar zenith) over the same window, when already computed."""
    check_product(collection_id, variable)
    typical, spread, peak = VALUE_MODELS[variable]
    lon, lat = window_axes(window)
    scan_key = scan.start.strftime("%Y-%m-%dT%H%M%S")
    base = _base_field(variable, window)
    plumes = _blob_field(np.random.default_rng(_seed(variable, scan_key, "plume")), lon, lat, 40, 0.8)
    values = (
        np.float32(typical)
        + np.float32(spread) * (base - np.float32(_base_mean(variable)))
        + np.float32(peak - typical) * np.clip(plumes, 0, 1)
    )
    if is_nrt(collection_id):  # a smooth +-NRT_DEVIATION pattern, the same whatever the window
        phase = np.random.default_rng(_seed(variable, scan_key, "nrt")).uniform(0, 2 * np.pi, 2)
        wobble = np.sin(lat[:, None] / 1.7 + phase[0]) * np.cos(lon[None, :] / 2.3 + phase[1])
        values = values * (np.float32(1) + np.float32(NRT_DEVIATION) * wobble.astype(np.float32))
    if scan.revision > 1:  # a republished file: the same name, slightly different numbers
        values = values * np.float32(1 + REPUBLISHED_CHANGE * (scan.revision - 1))
    values = _groom(values)
    cloudy, zenith = fields if fields is not None else scan_fields(window, scan)
    return np.where(cloudy | (zenith >= 90), np.float32(FILL), values).astype(np.float32)


def render_quality_flags(window: Window, scan: Scan, values: np.ndarray) -> np.ndarray:
    """TEMPO's main_data_quality_flag beside `values`: 0 good, 1 suspect (about 8 %), 2 bad (about 3 %),
    clustered like real retrieval problems; fill where the value is fill."""
    lon, lat = window_axes(window)
    scan_key = scan.start.strftime("%Y-%m-%dT%H%M%S")
    noise = _blob_field(np.random.default_rng(_seed(scan_key, "quality")), lon, lat, 6000, 0.15)
    suspect, bad = _quality_levels(scan_key)
    flags = np.where(noise > np.float32(bad), 2, np.where(noise > np.float32(suspect), 1, 0)).astype(np.int16)
    return np.where(values == np.float32(FILL), np.int16(QUALITY_FLAG_FILL), flags).astype(np.int16)


def render_geotiff(
    collection_id: str,
    variables: str | tuple[str, ...],
    bbox: tuple[float, float, float, float],
    scan: Scan,
    fault: str | None = None,
) -> bytes:
    """The GeoTIFF bytes the emulator serves for this subset of one granule: one float32 band per
    variable, in the order asked (the quality flag as 0/1/2, fill where there is no value);
    `fault`: RENDER_FAULTS."""
    names = (variables,) if isinstance(variables, str) else tuple(variables)
    window = grid_window(*bbox)
    if scan.former_grid:
        window = former_grid_window(window)
    science = next((v for v in names if v != QUALITY_FLAG), COLLECTIONS[collection_id][0])
    fields = scan_fields(window, scan)
    reference = render_values(collection_id, science, window, scan, fields)
    bands = []
    for name in names:
        if name == QUALITY_FLAG:
            check_product(collection_id, name)
            flags = render_quality_flags(window, scan, reference)
            bands.append(np.where(flags < 0, np.float32(FILL), flags.astype(np.float32)))
        else:
            bands.append(
                reference if name == science else render_values(collection_id, name, window, scan, fields)
            )
    values = np.stack([onto_former_grid(band) for band in bands] if scan.former_grid else bands)
    west, _, _, north = window.bounds
    rows = FORMER_GRID_ROWS if scan.former_grid else 1
    if fault == "all_fill":
        values = np.full_like(values, np.float32(FILL))
    elif fault == "out_of_bbox":
        west += 10.0
    profile = {
        "driver": "GTiff",
        "width": window.width,
        "height": window.height // rows,
        "count": len(names),
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(west, north, PIXEL, PIXEL * rows),
        "nodata": FILL,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(values)
            dst.descriptions = names
            dst.update_tags(collection=collection_id, variable=",".join(names),
                            start=scan.start.isoformat(), end=scan.end.isoformat())  # fmt: skip
        return memfile.read()
