"""TEMPO Level-3 NetCDF-4 granules -> the hour's raster on TEMPO's grid.

A TEMPO L3 file (TEMPO L3 user guide; ASDC's TEMPO data recipes) has 1-D `latitude` (ascending)
and `longitude` coordinates at pixel centres, science variables in groups (`product/...`) shaped
(time, latitude, longitude) with `_FillValue` -1e30, and covers the whole field of regard unless a
Harmony service subset it. This module reads the bbox's window of one variable with h5py (only the
HDF5 chunks it touches: a full-disk file is never read whole, and a remote one is read by byte range
through a file object), turns the coordinates into pixel edges
(centres ± half a step), sets fill, NaN and ±inf to the fill value, and writes a north-up GeoTIFF
on the same lattice as Harmony's GeoTIFF subsets, so every request shape loads the same cells.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import h5py
import numpy as np

from aeris_lib import regrid
from aeris_lib.hdf5_chunks import ChunkError, disable_filter_plugins, read_box, stored_bytes
from aeris_lib.memory_raster import ArrayRaster
from aeris_lib.raster import FILL_VALUE, RasterError
from aeris_lib.safe_files import check_layout, signature

# Coordinates are float32 in TEMPO's files (~1e-5° at 168°W): edges within this fraction of a pixel
# of the global lattice (multiples of the step from -180 / 90) are snapped onto it.
SNAP_PIXELS = 1e-3
# Spacing between consecutive centres may differ from the mean step by this fraction of it.
REGULAR_TOLERANCE = 1e-3
# A coordinate longer than the globe at the product's pixel (or at 0.01° when none is given) is
# refused before it is read: a few KB of file can declare 400 million latitudes.
FINEST_PIXEL = 0.01
# What one window read may allocate (values, mask, flags; a CONUS hour is ~80 MB). Reads are
# bounded before they start, not stopped by the kernel in the middle.
MAX_WINDOW_BYTES = 512 * 1024**2
DEFLATE_PROFILE = {"compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256}

# A granule names its filters; none may make this process load a plugin from disk.
disable_filter_plugins()


@dataclass(frozen=True)
class GridWindow:
    """One variable over a window: north-up values (fill = FILL_VALUE), and where they lie."""

    values: np.ndarray  # float32, (rows, cols), row 0 = north
    flags: np.ndarray | None  # the quality-flag variable over the same cells, when asked for
    west: float  # pixel edges
    north: float
    step_x: float
    step_y: float
    granule_shape: tuple[int, int]  # (rows, cols) of the whole file
    time_coverage: tuple[str, str]
    # The file's own grid when it was one of the product's former grids, split onto the product's.
    former_grid: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def to_raster(self, name: str) -> ArrayRaster:
        """The window as an in-memory raster (values and flag bands), called `name` in messages."""
        return ArrayRaster.from_arrays(
            self.values, self.flags, self.west, self.north, self.step_x, self.step_y, name, self.former_grid
        )


def _open(source: str | os.PathLike | BinaryIO, name: str) -> h5py.File:
    """The file, once its signature and layout are checked (nothing outside it, no oversized chunk)."""
    if isinstance(source, (str, os.PathLike)) and signature(str(source)) != "hdf5":
        raise RasterError(f"{name}: not a NetCDF-4 file (no HDF5 signature)")
    try:
        file = h5py.File(source, "r")
    except (OSError, ValueError) as error:
        raise RasterError(f"{name}: unreadable NetCDF-4 file ({error})") from None
    try:
        check_layout(file, name)
    except BaseException:
        file.close()
        raise
    return file


def _is_variable(node) -> bool:
    """An HDF5 dataset that is a netCDF variable (a bare dimension scale is not)."""
    label = node.attrs.get("NAME", b"") if isinstance(node, h5py.Dataset) else b""
    return isinstance(node, h5py.Dataset) and not (
        isinstance(label, bytes) and label.startswith(b"This is a netCDF dimension but not a netCDF variable")
    )


def _variable(file: h5py.File, path: str, variable: str):
    group, _, name = variable.rpartition("/")
    node = file
    for part in filter(None, group.split("/")):
        child = node.get(part)
        if not isinstance(child, h5py.Group):
            groups = [key for key, value in node.items() if isinstance(value, h5py.Group)]
            raise RasterError(
                f"{path}: no group '{part}' for variable '{variable}' (groups here: {', '.join(groups) or 'none'})"
            )
        node = child
    found = node.get(name)
    if found is None or not _is_variable(found):
        names = [key for key, value in node.items() if _is_variable(value)]
        raise RasterError(
            f"{path}: no variable '{variable}' (group '{group or '/'}' has: {', '.join(names) or 'no variables'})"
        )
    return found


def _dimensions(data) -> tuple[str, ...]:
    """A variable's netCDF dimension names, from its attached dimension scales."""
    return tuple(scales[0].name.rsplit("/", 1)[-1] if len(scales) else "?" for scales in data.dims)


def _attr(data, name: str):
    """A netCDF attribute as a scalar (HDF5 keeps `_FillValue`, `valid_min`… as 1-element arrays)."""
    value = data.attrs.get(name)
    if value is None:
        return None
    value = np.asarray(value).reshape(-1)
    return value[0] if value.size else None


def _text(file: h5py.File, name: str) -> str:
    value = file.attrs.get(name, "")
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size else ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _coordinate(file: h5py.File, path: str, name: str, span: float, pixel: float | None) -> np.ndarray:
    node = file.get(name)
    if node is None or not _is_variable(node):
        root = [key for key, value in file.items() if _is_variable(value)]
        raise RasterError(
            f"{path}: no 1-D '{name}' coordinate at the root (root variables: {', '.join(root) or 'none'})"
        )
    longest = math.ceil(span / (pixel or FINEST_PIXEL)) + 1
    if (size := math.prod(node.shape or (1,))) > longest:
        raise RasterError(
            f"{path}: '{name}' declares {size:,} values; {span:g}° at {pixel or FINEST_PIXEL:g}° holds at most "
            f"{longest:,} (refused before reading it)"
        )
    values = np.asarray(read_box(node, tuple(slice(0, n) for n in node.shape), path), dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise RasterError(f"{path}: '{name}' must be a non-empty 1-D coordinate, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise RasterError(f"{path}: '{name}' has non-finite coordinate values")
    return values


def _step(path: str, name: str, centres: np.ndarray, default: float | None) -> float:
    if centres.size == 1:
        if default is None:
            raise RasterError(f"{path}: a single '{name}' value gives no pixel size")
        return default
    step = (centres[-1] - centres[0]) / (centres.size - 1)
    gaps = np.diff(centres)
    if step == 0 or np.max(np.abs(gaps - step)) > REGULAR_TOLERANCE * abs(step):
        raise RasterError(
            f"{path}: '{name}' is not evenly spaced (steps {gaps.min():.6g} to {gaps.max():.6g})"
        )
    # Centres are float32: the mean step is off by up to two float32 ulps over the span. Take the
    # shortest decimal within that error (0.0200000007 -> 0.02), so edges land on the lattice.
    error = 2 * float(np.spacing(np.float32(np.abs(centres).max()))) / (centres.size - 1)
    for digits in range(1, 10):
        if abs(round(step, digits) - step) <= error:
            return round(step, digits)
    return step


def _snap(edge: float, origin: float, step: float) -> float:
    n = (edge - origin) / step
    return origin + round(n) * step if abs(n - round(n)) < SNAP_PIXELS else edge


def _index_window(first_edge: float, step: float, size: int, low: float, high: float) -> tuple[int, int]:
    """Indices [i0, i1) of pixels that intersect [low, high] (pixel i spans first_edge + i*step ...)."""
    i0 = math.floor(round((low - first_edge) / step, 6))
    i1 = math.ceil(round((high - first_edge) / step, 6))
    return max(i0, 0), min(i1, size)


def read_window(
    source: str | os.PathLike | BinaryIO | io.RawIOBase,
    variable: str,
    bbox: tuple[float, float, float, float] | None = None,
    *,
    quality_variable: str | None = None,
    pixel: float | None = None,
    name: str | None = None,
    former_grids: tuple[tuple[float, float], ...] = (),
) -> GridWindow:
    """The cells of `variable` that intersect `bbox` (None: the whole file) from a path or a file
    object (e.g. a remote granule read by range); `RasterError` naming what is missing or wrong when
    it is not a TEMPO L3 granule, or when its grid is not the product's `pixel` size (checked from the
    coordinates, before any value is read). A file on one of the product's `former_grids` is split
    onto the product's grid (aeris_lib.regrid). `name`: how messages call it (default: the path)."""
    path = name or str(getattr(source, "name", source))
    try:
        return _read_window(source, path, variable, bbox, quality_variable, pixel, former_grids)
    except ChunkError as error:
        raise RasterError(f"refused: {error}") from None
    except (OSError, SystemError, RuntimeError, KeyError) as error:
        # A file object's own failure (a remote read that broke or hit its byte limit) comes back
        # through HDF5's C code as one of these: raise the original, which says what happened.
        if (failure := getattr(source, "failure", None)) is not None:
            raise failure from None
        raise RasterError(f"{path}: unreadable NetCDF-4 file ({type(error).__name__}: {error})") from None


def _split(window: GridWindow, factors: tuple[int, int], pixel: float, bbox) -> GridWindow:
    """A window read on one of the product's former grids, split onto the product's (aeris_lib.regrid)."""

    def split(array: np.ndarray) -> tuple[np.ndarray, float, float]:
        return regrid.split_onto_grid(array, window.west, window.north, factors, pixel, bbox)

    values, west, north = split(window.values)
    flags = None if window.flags is None else split(window.flags)[0]
    return GridWindow(
        values=values, flags=flags, west=west, north=north, step_x=pixel,
        step_y=pixel, granule_shape=window.granule_shape, time_coverage=window.time_coverage,
        former_grid=regrid.describe(factors, pixel),
    )  # fmt: skip


@dataclass(frozen=True)
class _Located:
    """Where a bbox falls in a granule's variable: file rows f0:f1 and columns c0:c1, and the edges."""

    data: h5py.Dataset
    f0: int
    f1: int
    c0: int
    c1: int
    west: float  # of the window
    north: float
    step_x: float
    step_y: float
    ascending: bool  # file rows run south to north
    granule_shape: tuple[int, int]
    factors: tuple[int, int] | None  # the product pixels per pixel of a former grid


def _locate(ds: h5py.File, path: str, variable: str, bbox, pixel: float | None, former_grids) -> _Located:
    data = _variable(ds, path, variable)
    lat = _coordinate(ds, path, "latitude", 180.0, pixel)
    lon = _coordinate(ds, path, "longitude", 360.0, pixel)
    dims = _dimensions(data)
    if dims[-2:] != ("latitude", "longitude"):
        raise RasterError(f"{path}: '{variable}' has dimensions {dims}; expected (time, latitude, longitude)")
    leading = data.shape[:-2]
    if any(n != 1 for n in leading):
        raise RasterError(f"{path}: '{variable}' holds {leading} time steps; an L3 granule holds one scan")
    step_x = _step(path, "longitude", lon, None)
    step_y = abs(_step(path, "latitude", lat, abs(step_x)))
    factors = regrid.split_factors(step_x, step_y, pixel, former_grids) if pixel else None
    if pixel is not None and max(abs(step_x - pixel), abs(step_y - pixel)) > 1e-3 * pixel and not factors:
        raise RasterError(
            f"{path}: grid step {step_x:g} x {step_y:g}° is not the product's grid of {pixel:g}°"
        )
    ascending = lat.size == 1 or lat[-1] > lat[0]
    west = _snap(lon[0] - step_x / 2, -180.0, step_x)
    south = _snap(lat.min() - step_y / 2, 90.0, step_y)  # edges snap onto 90 - k*step
    north_of_file = south + step_y * lat.size
    if bbox is None:
        c0, c1, r0, r1 = 0, lon.size, 0, lat.size
    else:
        b_west, b_south, b_east, b_north = bbox
        if b_west > b_east:
            raise RasterError(f"{path}: a bbox across the antimeridian is not supported for local windows")
        c0, c1 = _index_window(west, step_x, lon.size, b_west, b_east)
        # rows counted from the north edge, as in the output raster
        r0, r1 = _index_window(-north_of_file, step_y, lat.size, -b_north, -b_south)
        if c0 >= c1 or r0 >= r1:
            raise RasterError(
                f"{path}: the bbox {list(bbox)} does not intersect the granule "
                f"({west:.2f}, {south:.2f}, {west + step_x * lon.size:.2f}, {north_of_file:.2f})"
            )
    f0, f1 = (lat.size - r1, lat.size - r0) if ascending else (r0, r1)
    return _Located(data, f0, f1, c0, c1, west + c0 * step_x, north_of_file - r0 * step_y, step_x, step_y,
                    ascending, (lat.size, lon.size), factors)  # fmt: skip


def _read_window(
    source, path: str, variable: str, bbox, quality_variable: str | None, pixel: float | None, former_grids
):
    with _open(source, path) as ds:
        at = _locate(ds, path, variable, bbox, pixel, former_grids)
        f0, f1, c0, c1 = at.f0, at.f1, at.c0, at.c1
        flag_var = _variable(ds, path, quality_variable) if quality_variable else None
        split = math.prod(at.factors) if at.factors else 1  # the window grows by this once split
        _check_window_memory(path, (f1 - f0) * (c1 - c0) * split, at.data, flag_var)
        try:
            values = _read(at.data, f0, f1, c0, c1, path)
            flags = None
            if flag_var is not None:
                if flag_var.shape[-2:] != at.data.shape[-2:]:
                    raise RasterError(f"{path}: '{quality_variable}' is not on the grid of '{variable}'")
                flags = _window(flag_var, f0, f1, c0, c1, path)
        except MemoryError:
            raise RasterError(
                f"{path}: out of memory reading '{variable}' over {f1 - f0} x {c1 - c0} cells"
            ) from None
        if at.ascending:
            values = values[::-1]
            flags = flags[::-1] if flags is not None else None
        coverage = (_text(ds, "time_coverage_start"), _text(ds, "time_coverage_end"))
        window = GridWindow(
            values=np.ascontiguousarray(values),
            flags=None if flags is None else np.ascontiguousarray(flags),
            west=at.west,
            north=at.north,
            step_x=at.step_x,
            step_y=at.step_y,
            granule_shape=at.granule_shape,
            time_coverage=coverage,
        )
    # Factors are found only against a product pixel (`_locate`): split onto that grid.
    return _split(window, at.factors, pixel, bbox) if at.factors and pixel else window


def minimum_bytes(source: str | os.PathLike | BinaryIO, variables: list[str], bbox) -> int:
    """The physical minimum of reading `variables` over `bbox`: the bytes the file stores for the
    chunks of each that intersect the window (its chunk index), plus the coordinates. A reader can
    move no less; metadata (headers, the chunk index itself) comes on top."""
    path = str(getattr(source, "name", source))
    with _open(source, path) as ds:
        total = sum(stored_bytes(ds[name], (slice(None),)) for name in ("latitude", "longitude"))
        for variable in variables:
            at = _locate(ds, path, variable, bbox, None, ())
            total += stored_bytes(at.data, _box(at.data, at.f0, at.f1, at.c0, at.c1))
    return total


def _check_window_memory(path: str, cells: int, data, flag_var) -> None:
    """Refuse a window whose arrays would exceed MAX_WINDOW_BYTES: the raw values, the validity mask,
    the float32 result and its copy, and the flags."""
    per_cell = data.dtype.itemsize + 1 + 2 * 4 + (flag_var.dtype.itemsize if flag_var is not None else 0)
    if cells * per_cell > MAX_WINDOW_BYTES:
        raise RasterError(
            f"{path}: a window of {cells:,} cells needs ~{cells * per_cell:,} bytes, over the "
            f"{MAX_WINDOW_BYTES:,}-byte limit of one read (use a smaller bbox)"
        )


def _window(data, f0: int, f1: int, c0: int, c1: int, path: str) -> np.ndarray:
    """Rows f0:f1, columns c0:c1 of a (…, latitude, longitude) variable, as stored; its chunks are
    inflated within their declared size (aeris_lib.hdf5_chunks)."""
    return read_box(data, _box(data, f0, f1, c0, c1), path).reshape(f1 - f0, c1 - c0)


def _box(data, f0: int, f1: int, c0: int, c1: int) -> tuple[slice, ...]:
    """Every leading index (the one time step), rows f0:f1 and columns c0:c1."""
    return (*(slice(0, n) for n in data.shape[:-2]), slice(f0, f1), slice(c0, c1))


def _read(data, f0: int, f1: int, c0: int, c1: int, path: str) -> np.ndarray:
    """Rows f0:f1, columns c0:c1 as float32 with fill, NaN, ±inf and out-of-range values set to
    FILL_VALUE; scale and offset applied when the variable declares them."""
    raw = _window(data, f0, f1, c0, c1, path)
    valid = np.isfinite(raw) if np.issubdtype(raw.dtype, np.floating) else np.ones(raw.shape, bool)
    fill = _attr(data, "_FillValue")
    if fill is not None:
        valid &= raw != raw.dtype.type(fill)
    for name, keep in (("valid_min", np.greater_equal), ("valid_max", np.less_equal)):
        limit = _attr(data, name)
        if limit is not None:
            valid &= keep(raw, raw.dtype.type(limit))
    values = raw.astype(np.float32, copy=False)
    scale, offset = _attr(data, "scale_factor"), _attr(data, "add_offset")
    if scale is not None or offset is not None:
        values = values * np.float32(scale if scale is not None else 1) + np.float32(offset or 0)
    return np.where(valid, values, np.float32(FILL_VALUE)).astype(np.float32)


def write_geotiff(window: GridWindow, dest: Path) -> Path:
    """The window as a north-up EPSG:4326 GeoTIFF (nodata = FILL_VALUE, DEFLATE): band 1 the values,
    band 2 (when read) the quality flag as 0/1/2, fill where it has none."""
    return window.to_raster(str(dest)).write_geotiff(dest, **DEFLATE_PROFILE)


def granule_to_geotiff(
    path: str,
    variable: str,
    bbox: tuple[float, float, float, float] | None,
    dest: Path,
    pixel: float | None = None,
    quality_variable: str | None = None,
) -> GridWindow:
    """Read `variable` (and its quality flag) over `bbox` from a TEMPO L3 NetCDF-4 granule and write
    it to `dest`."""
    window = read_window(path, variable, bbox, pixel=pixel, quality_variable=quality_variable)
    write_geotiff(window, dest)
    return window
