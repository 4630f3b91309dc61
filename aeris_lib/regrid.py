"""A raster on a grid the product's files were once on -> the product's grid, cell for cell.

NASA reprocessed O3TOT L3 V04 from 0.04° (latitude) x 0.02° (longitude) onto 0.02° x 0.02° in April
2026 and overwrote the files under the same names (reference "Overwrites under the same name"); a copy
of an old file, or an hour read while the overwrite is under way, is on the former grid. The gas
catalog names such grids (`former_grids`). A file on one of them is split onto the product's grid:
each pixel becomes the product pixels it covers, with its own value (nothing is invented between
pixels), cut to the product pixels that intersect the bbox. The hour then loads the same cells as
from a file on today's grid, and the reprocess DAG reloads it when CMR lists the overwrite (a new
revision of the same granule). Any other grid is still refused.
"""

from __future__ import annotations

import math

import numpy as np

# A step may differ from a grid's by this fraction of it (float32 coordinates), as in raster.py.
STEP_TOLERANCE = 1e-3


def _close(step: float, grid: float) -> bool:
    return abs(abs(step) - grid) <= STEP_TOLERANCE * grid


def split_factors(
    step_x: float, step_y: float, pixel: float, former_grids: tuple[tuple[float, float], ...]
) -> tuple[int, int] | None:
    """(columns, rows) of product pixels per pixel when (step_x, step_y) is one of `former_grids`
    ((longitude step, latitude step) in degrees, each a whole multiple of `pixel`); None otherwise,
    and for a former grid that is the product's own (nothing to split)."""
    for grid_x, grid_y in former_grids:
        if _close(step_x, grid_x) and _close(step_y, grid_y):
            factors = round(grid_x / pixel), round(grid_y / pixel)
            return None if factors == (1, 1) else factors
    return None


def split_onto_grid(
    bands: np.ndarray,
    west: float,
    north: float,
    factors: tuple[int, int],
    pixel: float,
    bbox: tuple[float, float, float, float] | None,
) -> tuple[np.ndarray, float, float]:
    """(bands, west, north) on the product's grid: each pixel of `bands` (…, rows, cols), whose
    north-west edge is (west, north), split into `factors` (columns, rows) product pixels, cut to those
    that intersect `bbox` (None: all)."""
    kx, ky = factors
    fine = np.repeat(np.repeat(bands, ky, axis=-2), kx, axis=-1)
    if bbox is None:
        return fine, west, north
    b_west, b_south, b_east, b_north = bbox
    rows, cols = fine.shape[-2:]
    c0, c1 = _cut(west, pixel, cols, b_west, b_east)
    r0, r1 = _cut(-north, pixel, rows, -b_north, -b_south)  # rows counted from the north edge
    return np.ascontiguousarray(fine[..., r0:r1, c0:c1]), west + c0 * pixel, north - r0 * pixel


def _cut(first_edge: float, step: float, size: int, low: float, high: float) -> tuple[int, int]:
    """[i0, i1) of the pixels that intersect [low, high] (pixel i spans first_edge + i*step …)."""
    i0 = math.floor(round((low - first_edge) / step, 6))
    i1 = math.ceil(round((high - first_edge) / step, 6))
    return min(max(i0, 0), size), min(max(i1, 0), size)


def describe(factors: tuple[int, int], pixel: float) -> str:
    """How a log line names the former grid: '0.02 x 0.04° (lon x lat)'."""
    kx, ky = factors
    return f"{kx * pixel:g} x {ky * pixel:g}° (lon x lat)"
