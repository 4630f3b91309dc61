"""One raster per (gas, hour) from the granules that observed it.

A clock hour usually overlaps two TEMPO scans, and Harmony returns one output per granule. The hour's
raster is the union of their cells on the common lattice; where several granules observed a cell it
holds the mean of their valid values, where one did it keeps that value, elsewhere fill. A second
band (TEMPO's quality flag) keeps the worst flag of the granules that observed the cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rasterio.errors import RasterioIOError
from rasterio.transform import from_origin
from rasterio.windows import Window

from aeris_lib.memory_raster import ArrayRaster
from aeris_lib.raster import FILL_VALUE, RasterError, open_raster, valid_mask

# Pixel sizes and origins equal within this fraction of a pixel count as the same lattice.
ALIGN_TOLERANCE = 1e-6


def merge_granules(paths: Sequence[str], dest: Path) -> Path:
    """Write the mean-of-valid-values union of the GeoTIFFs `paths` (same CRS and lattice) to `dest`."""
    return merge_rasters(paths).write_geotiff(dest)


def merge_rasters(rasters: Sequence[str | ArrayRaster]) -> ArrayRaster:
    """The mean-of-valid-values union of GeoTIFF paths or in-memory rasters (same CRS and lattice)."""
    if not rasters:
        raise ValueError("merge needs at least one raster")
    sources = [open_raster(r) for r in rasters]
    try:
        first = sources[0]
        dx, dy = first.transform.a, -first.transform.e
        for src in sources[1:]:
            if src.crs != first.crs:
                raise RasterError(f"{src.name}: CRS {src.crs} differs from {first.name}'s {first.crs}")
            if (
                abs(src.transform.a - dx) > ALIGN_TOLERANCE * dx
                or abs(-src.transform.e - dy) > ALIGN_TOLERANCE * dy
            ):
                raise RasterError(f"{src.name}: pixel size differs from {first.name}'s ({dx} x {dy})")
            if src.count != first.count:
                raise RasterError(f"{src.name}: {src.count} band(s), {first.name} has {first.count}")
            for offset, step in (
                (src.transform.c - first.transform.c, dx),
                (src.transform.f - first.transform.f, dy),
            ):
                if abs(offset / step - round(offset / step)) > ALIGN_TOLERANCE:
                    raise RasterError(f"{src.name}: not on the same pixel lattice as {first.name}")
        west = min(s.bounds.left for s in sources)
        north = max(s.bounds.top for s in sources)
        width = max(round((s.bounds.right - west) / dx) for s in sources)
        height = max(round((north - s.bounds.bottom) / dy) for s in sources)
        sums = np.zeros((height, width), dtype=np.float64)
        counts = np.zeros((height, width), dtype=np.int32)
        worst = np.full((height, width), -1, dtype=np.int16) if first.count > 1 else None
        for src in sources:
            col, row = round((src.bounds.left - west) / dx), round((north - src.bounds.top) / dy)
            try:
                values = src.read(1, window=Window(0, 0, src.width, src.height))
                flags = src.read(2, window=Window(0, 0, src.width, src.height)) if worst is not None else None
            except RasterioIOError as error:
                raise RasterError(f"{src.name}: corrupt or truncated data ({error})") from None
            valid = valid_mask(values, src.nodata)
            target = (slice(row, row + src.height), slice(col, col + src.width))
            sums[target] += np.where(valid, values, 0.0)
            counts[target] += valid
            if worst is not None and flags is not None:
                flagged = valid & valid_mask(flags, src.nodata)
                known = np.where(flagged, flags, -1).astype(np.int16)  # fill never cast to int16
                worst[target] = np.maximum(worst[target], known)
        with np.errstate(invalid="ignore", divide="ignore"):
            merged = np.where(counts > 0, sums / np.maximum(counts, 1), FILL_VALUE).astype(np.float32)
        bands = [merged]
        if worst is not None:
            bands.append(np.where(worst >= 0, worst.astype(np.float32), np.float32(FILL_VALUE)))
        names = " + ".join(src.name for src in sources)
        return ArrayRaster(np.stack(bands), from_origin(west, north, dx, dy), names, FILL_VALUE, first.crs)
    finally:
        for src in sources:
            if not isinstance(src, ArrayRaster):
                src.close()
