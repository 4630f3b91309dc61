"""A north-up EPSG:4326 raster held in memory, read the way an open rasterio dataset is read.

A NetCDF window or a merge of granules lives as arrays; wrapping them in `ArrayRaster` lets the
request check (`raster.check_request`), the loader (`raster.inspect` / `iter_cells`) and the merge take
them exactly as they take a GeoTIFF, without writing a file and reading it back. Band 1 holds the
values, band 2 (when read) the quality flag as float32 0/1/2; fill is FILL_VALUE in both, as in the
GeoTIFFs Harmony makes and the project writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.coords import BoundingBox
from rasterio.crs import CRS
from rasterio.transform import Affine, from_origin
from rasterio.windows import Window

from aeris_lib import regrid

FILL_VALUE = -1e30  # the same as aeris_lib.raster.FILL_VALUE (imported there from here)
WGS84 = CRS.from_epsg(4326)
# How staged rasters are written: ZSTD level 1 is ~7x faster to write than DEFLATE and reads as fast;
# the audit copy (a COG, aeris_lib.archive) is compressed harder, once, after the slice is published.
STAGED_PROFILE = {"compress": "zstd", "zstd_level": 1, "tiled": True, "blockxsize": 256, "blockysize": 256}


@dataclass(frozen=True)
class ArrayRaster:
    bands: np.ndarray  # (count, rows, cols) float32
    transform: Affine
    name: str
    nodata: float = FILL_VALUE
    crs: CRS = WGS84
    # The file's own grid when it was one of the product's former grids, split onto the product's.
    former_grid: str | None = None

    @classmethod
    def from_arrays(
        cls, values: np.ndarray, flags: np.ndarray | None, west: float, north: float, step_x: float,
        step_y: float, name: str, former_grid: str | None = None,
    ) -> ArrayRaster:  # fmt: skip
        """Values (fill = FILL_VALUE) and, when read, the quality flag (negative = none) on a lattice."""
        bands = [values.astype(np.float32, copy=False)]
        if flags is not None:
            missing = (flags < 0) | (bands[0] == np.float32(FILL_VALUE))
            bands.append(np.where(missing, np.float32(FILL_VALUE), flags.astype(np.float32)))
        return cls(np.stack(bands), from_origin(west, north, step_x, step_y), name, former_grid=former_grid)

    @classmethod
    def from_dataset(cls, src) -> ArrayRaster:
        """Every band of an open rasterio dataset (already checked against the request)."""
        return cls(src.read().astype(np.float32, copy=False), src.transform, src.name, src.nodata, src.crs)

    def onto_grid(
        self,
        pixel: float,
        former_grids: tuple[tuple[float, float], ...],
        bbox: tuple[float, float, float, float],
    ) -> ArrayRaster:
        """This raster on the product's `pixel` grid when it is on one of `former_grids` (each pixel split
        into the product pixels it covers, cut to the bbox: aeris_lib.regrid); else itself."""
        factors = regrid.split_factors(self.transform.a, self.transform.e, pixel, former_grids)
        if factors is None:
            return self
        bands, west, north = regrid.split_onto_grid(
            self.bands, self.transform.c, self.transform.f, factors, pixel, bbox
        )
        return ArrayRaster(bands, from_origin(west, north, pixel, pixel), self.name, self.nodata, self.crs,
                           regrid.describe(factors, pixel))  # fmt: skip

    # -- the rasterio dataset attributes the checks, the merge and the loader use
    @property
    def count(self) -> int:
        return self.bands.shape[0]

    @property
    def height(self) -> int:
        return self.bands.shape[1]

    @property
    def width(self) -> int:
        return self.bands.shape[2]

    @property
    def bounds(self) -> BoundingBox:
        left, top = self.transform.c, self.transform.f
        return BoundingBox(
            left, top + self.transform.e * self.height, left + self.transform.a * self.width, top
        )

    @property
    def dtypes(self) -> tuple[str, ...]:
        return ("float32",) * self.count

    @property
    def block_shapes(self) -> list[tuple[int, int]]:
        # Already decompressed in memory: one row is the unit a reader can take without copying.
        return [(1, self.width)] * self.count

    def read(self, band: int, window: Window | None = None) -> np.ndarray:
        data = self.bands[band - 1]
        return data if window is None else data[window.toslices()]

    def __enter__(self) -> ArrayRaster:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def write_geotiff(self, dest: Path, **profile) -> Path:
        """As a north-up GeoTIFF (the staging profile unless `profile` says otherwise)."""
        options = {
            "driver": "GTiff", "width": self.width, "height": self.height, "count": self.count,
            "dtype": "float32", "crs": self.crs, "transform": self.transform, "nodata": self.nodata,
            **(profile or STAGED_PROFILE),
        }  # fmt: skip
        with rasterio.open(dest, "w", **options) as out:
            out.write(self.bands)
            out.descriptions = ("value", "quality_flag")[: self.count]
        return dest
