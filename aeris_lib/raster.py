"""GeoTIFF -> grid cells: windowed reads, exact pixel edges, fill never stored, outliers flagged.

Cells are addressed on a global lattice per pixel size (see `GridSpec`), so the same pixel of two
hours has the same (row, col) and its polygon is stored once. A second band is the product's own
quality flag (0 good, 1 suspect, 2 bad); it is stored beside the project's outlier flag in one
smallint (`quality_flag`: bit 0 = physically implausible, bits 1-2 = the product's flag). With `max_cells` the raster is
aggregated by nan-aware k x k block means (k the smallest factor that fits), never by skipping pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from aeris_lib import regrid
from aeris_lib.memory_raster import FILL_VALUE, ArrayRaster
from aeris_lib.safe_files import MAX_CHUNK_BYTES, RasterError, open_geotiff
from aeris_lib.thresholds import classify_array, implausible_mask

__all__ = ["RasterError", "RequestGrid", "check_request", "inspect", "iter_cells", "read_requested"]

FLOAT32_MAX = float(np.finfo(np.float32).max)
# Reads this many source rows at a time: 512 x 7750 float32 (full TEMPO width) is ~16 MB.
BLOCK_ROWS = 512
MAX_INDEX = 1 << 20  # rows and columns per lattice, see aeris_lib.db.pgcopy.cell_ids
IMPLAUSIBLE = 1  # quality_flag bit 0: the project's outlier flag
PRODUCT_FLAG_SHIFT = 1  # quality_flag bits 1-2: the product's own flag (0 good, 1 suspect, 2 bad)


# A raster's pixel size may differ from the product's grid by this fraction of a pixel.
PIXEL_TOLERANCE = 1e-3


@dataclass(frozen=True)
class RequestGrid:
    """What was asked of Harmony: a raster for it must match, or it is refused unread."""

    bbox: tuple[float, float, float, float]  # west, south, east, north
    pixel: float  # degrees
    # Grids the product's files were once on (gases.GasProduct.former_grids): read, then split onto `pixel`.
    former_grids: tuple[tuple[float, float], ...] = ()

    def max_pixels(self) -> int:
        west, south, east, north = self.bbox
        return (math.ceil((east - west) / self.pixel) + 2) * (math.ceil((north - south) / self.pixel) + 2)


def check_blocks(path: str, src) -> None:
    """A GeoTIFF tile or strip is decompressed whole: refuse one larger than MAX_CHUNK_BYTES."""
    for band, ((rows, cols), dtype) in enumerate(zip(src.block_shapes, src.dtypes, strict=True), start=1):
        if (size := rows * cols * np.dtype(dtype).itemsize) > MAX_CHUNK_BYTES:
            raise RasterError(
                f"{path}: band {band} is stored in blocks of {cols} x {rows} {dtype} ({size:,} bytes, over "
                f"{MAX_CHUNK_BYTES:,} bytes decompressed)"
            )


def check_request(path: str, src, request: RequestGrid) -> None:
    """Pixel size, extent and size of an open raster against the request, from its header only."""
    check_blocks(path, src)
    t = src.transform
    dx, dy = abs(t.a), abs(t.e)
    if (
        abs(dx - request.pixel) > PIXEL_TOLERANCE * request.pixel
        or abs(dy - request.pixel) > PIXEL_TOLERANCE * request.pixel
    ) and not regrid.split_factors(dx, dy, request.pixel, request.former_grids):
        raise RasterError(
            f"{path}: pixel size {dx:g} x {dy:g}° is not the product's grid of {request.pixel:g}°"
        )
    west, south, east, north = request.bbox
    margin = request.pixel * (1 + PIXEL_TOLERANCE)
    left, bottom, right, top = src.bounds
    if left < west - margin or right > east + margin or bottom < south - margin or top > north + margin:
        raise RasterError(
            f"{path}: extent ({left:.4f}, {bottom:.4f}, {right:.4f}, {top:.4f}) is not within the requested "
            f"bbox ({west}, {south}, {east}, {north}) plus one pixel"
        )
    if src.width * src.height > request.max_pixels():
        raise RasterError(
            f"{path}: {src.width} x {src.height} pixels is more than the bbox can hold at "
            f"{request.pixel:g}° ({request.max_pixels():,})"
        )


def read_requested(path: str, request: RequestGrid, name: str | None = None) -> ArrayRaster:
    """A GeoTIFF checked against the request from its header (an oversized file is never read), then
    read into memory on the product's grid: a file on one of its former grids is split onto it."""
    with open_geotiff(path) as src:
        check_request(name or path, src, request)
        raster = ArrayRaster.from_dataset(src)
    return raster.onto_grid(request.pixel, request.former_grids, request.bbox)


@dataclass(frozen=True)
class GridSpec:
    """A lattice: pixel size and the edges of its global row 0 / column 0 (snapped near -180 / 90)."""

    dx: float
    dy: float
    x_origin: float
    y_origin: float


@dataclass(frozen=True)
class RasterInfo:
    path: str  # the file, or how an in-memory raster is called in messages
    width: int
    height: int
    spec: GridSpec  # of the cells produced (aggregated when factor > 1)
    row_offset: int  # global row of the first output row
    col_offset: int
    out_rows: int
    out_cols: int
    factor: int
    nodata: float | None
    flag_band: bool = False  # band 2 holds the product's quality flag
    in_memory: ArrayRaster | None = None  # the raster itself, when it was never a file

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass
class CellBlock:
    rows: np.ndarray  # global rows, int64
    cols: np.ndarray
    values: np.ndarray  # float64, finite
    severity: np.ndarray  # int16 0-4
    flags: np.ndarray  # int16 quality_flag: bit 0 physically implausible, bits 1-2 the product's flag
    skipped: int  # fill / NaN / inf cells in this block

    def __len__(self) -> int:
        return self.values.size


def _phase(distance: float, step: float) -> float:
    """`distance mod step`, with values within 1e-6 pixel of a lattice line snapped to 0."""
    q = distance / step
    frac = q - math.floor(q)
    if frac < 1e-6 or frac > 1 - 1e-6:
        return 0.0
    return round(frac * step, 12)


def open_raster(source: str | ArrayRaster):
    """`with open_raster(source) as src:` a GeoTIFF file (opened by its signature) or an in-memory raster."""
    return source if isinstance(source, ArrayRaster) else open_geotiff(source)


def inspect(
    source: str | ArrayRaster, max_cells: int | None = None, request: RequestGrid | None = None
) -> RasterInfo:
    """Open and validate a GeoTIFF path or an in-memory raster (against `request` when given); raises
    `RasterError` naming the problem before any pixel is read or anything is written."""
    path = source.name if isinstance(source, ArrayRaster) else source
    with open_raster(source) as src:
        if src.width == 0 or src.height == 0:
            raise RasterError(f"{path}: raster has zero size ({src.width} x {src.height})")
        check_blocks(path, src)
        if src.count not in (1, 2):
            raise RasterError(
                f"{path}: expected 1 band (the variable) or 2 (the variable and its quality flag), found {src.count}"
            )
        if src.crs is None or src.crs.to_epsg() != 4326:
            raise RasterError(
                f"{path}: CRS is {src.crs.to_string() if src.crs else 'missing'}; TEMPO L3 grids are "
                "EPSG:4326 (request outputCrs=EPSG:4326 from Harmony)"
            )
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise RasterError(
                f"{path}: rotated or sheared rasters are not supported (transform {tuple(t)[:6]})"
            )
        if t.a <= 0 or t.e >= 0:
            raise RasterError(
                f"{path}: expected a north-up raster with positive pixel width (transform {tuple(t)[:6]})"
            )
        if request is not None:
            check_request(path, src, request)
        factor = 1
        if max_cells is not None:
            if max_cells < 1:
                raise RasterError(f"max_cells must be positive, got {max_cells}")
            factor = max(1, math.ceil(math.sqrt(src.width * src.height / max_cells)))
            while math.ceil(src.width / factor) * math.ceil(src.height / factor) > max_cells:
                factor += 1
        # Rounded so the same lattice read from two files gets the same grid_spec row.
        dx, dy = round(t.a * factor, 12), round(-t.e * factor, 12)
        x_origin = -180.0 + _phase(t.c + 180.0, dx)
        y_origin = 90.0 - _phase(90.0 - t.f, dy)
        col_offset = round((t.c - x_origin) / dx)
        row_offset = round((y_origin - t.f) / dy)
        out_rows, out_cols = math.ceil(src.height / factor), math.ceil(src.width / factor)
        if (
            col_offset + out_cols > MAX_INDEX
            or row_offset + out_rows > MAX_INDEX
            or col_offset < 0
            or row_offset < 0
        ):
            raise RasterError(f"{path}: pixel size {dx} x {dy} degrees is too fine for the cell index")
        return RasterInfo(
            path=path,
            width=src.width,
            height=src.height,
            spec=GridSpec(dx, dy, x_origin, y_origin),
            row_offset=row_offset,
            col_offset=col_offset,
            out_rows=out_rows,
            out_cols=out_cols,
            factor=factor,
            nodata=src.nodata,
            flag_band=src.count == 2,
            in_memory=source if isinstance(source, ArrayRaster) else None,
        )


def valid_mask(values: np.ndarray, nodata: float | None) -> np.ndarray:
    valid = np.isfinite(values) & (values > FILL_VALUE / 10)
    if nodata is not None and math.isfinite(nodata):
        # Compare in the file's precision: -1e30 stored as float32 is not the float64 -1e30.
        fill = values.dtype.type(nodata) if np.issubdtype(values.dtype, np.floating) else nodata
        valid &= values != fill
    return valid


def _block_view(array: np.ndarray, factor: int) -> np.ndarray:
    """`array` zero-padded to whole k x k blocks, shaped (block rows, k, block cols, k)."""
    rows, cols = array.shape
    padded = np.pad(array, ((0, (-rows) % factor), (0, (-cols) % factor)))
    return padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)


def _block_mean(values: np.ndarray, valid: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Nan-aware k x k means; a block with no valid pixel stays invalid."""
    sums = _block_view(np.where(valid, values, 0.0), factor).sum(axis=(1, 3))
    counts = _block_view(valid.astype(np.int32), factor).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return means, counts > 0


def iter_cells(info: RasterInfo, gas: str, block_rows: int = BLOCK_ROWS) -> Iterator[CellBlock]:
    """Valid cells of the raster in blocks of about `block_rows` source rows."""
    step = max(block_rows // info.factor, 1) * info.factor
    with open_raster(info.in_memory or info.path) as src:
        for top in range(0, info.height, step):
            height = min(step, info.height - top)
            try:
                raw = src.read(1, window=Window(0, top, info.width, height))
            except RasterioIOError as error:
                raise RasterError(
                    f"{info.path}: corrupt or truncated data near row {top} ({error})"
                ) from None
            valid = valid_mask(raw, info.nodata)
            product_flags = _product_flags(src, info, top, height, valid) if info.flag_band else None
            if info.factor > 1:
                raw, valid = _block_mean(raw.astype(np.float64), valid, info.factor)
                if product_flags is not None:
                    product_flags = _block_view(product_flags, info.factor).max(axis=(1, 3))
            r, c = np.nonzero(valid)
            flags = implausible_mask(raw[r, c], gas).astype(np.int16) * np.int16(IMPLAUSIBLE)
            # Stored as real (TEMPO's own float32) and classified in that precision (see classify_array);
            # a value beyond float32's range is already flagged implausible and is kept at its limit.
            native = np.clip(raw[r, c], -FLOAT32_MAX, FLOAT32_MAX).astype(np.float32)
            values = native.astype(np.float64)
            if product_flags is not None:
                flags |= product_flags[r, c] << PRODUCT_FLAG_SHIFT
            yield CellBlock(
                rows=r.astype(np.int64) + info.row_offset + top // info.factor,
                cols=c.astype(np.int64) + info.col_offset,
                values=values,
                severity=classify_array(native, gas),
                flags=flags,
                skipped=int(valid.size - values.size),
            )


def _product_flags(src, info: RasterInfo, top: int, height: int, valid: np.ndarray) -> np.ndarray:
    """Band 2 as int16 0/1/2 (0 where the value is invalid or the flag missing or out of range)."""
    try:
        raw = src.read(2, window=Window(0, top, info.width, height))
    except RasterioIOError as error:
        raise RasterError(
            f"{info.path}: corrupt or truncated quality flags near row {top} ({error})"
        ) from None
    known = valid & valid_mask(raw, info.nodata) & (raw >= 0) & (raw <= 2)
    return np.where(known, raw, 0).astype(np.int16)
