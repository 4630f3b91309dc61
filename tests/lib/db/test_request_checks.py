"""A raster is checked against what was asked (pixel size, extent, size) from its header alone:
a hostile file is refused before a pixel is read or a row or grid cell is written."""

from __future__ import annotations

import resource
from datetime import UTC, datetime

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from aeris_lib.db.load import load_slice
from aeris_lib.raster import RasterError, RequestGrid, inspect
from tests.support.db import ledger
from tests.support.geotiff import FILL, NORTH, STEP, WEST, write_geotiff

HOUR = datetime(2019, 3, 4, 15, tzinfo=UTC)
BBOX = (WEST, NORTH - 1.0, WEST + 1.0, NORTH)  # 1° x 1°: 50 x 50 cells at 0.02°
ASKED = RequestGrid(BBOX, STEP)


def _sparse(path, width: int, height: int, step: float = STEP):
    """A huge, almost empty GeoTIFF: tiles are written only where there is data (a few KB on disk)."""
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
        "crs": "EPSG:4326", "transform": from_origin(WEST, NORTH, step, step), "nodata": float(FILL),
        "tiled": True, "blockxsize": 1024, "blockysize": 1024, "sparse_ok": True, "compress": "deflate",
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.full((1, 1024, 1024), 1.0e15, np.float32), window=((0, 1024), (0, 1024)))
    return path


def test_a_huge_sparse_raster_is_refused_unread(tmp_path, conn):
    path = _sparse(tmp_path / "huge.tif", 1_000_000, 100_000)
    assert path.stat().st_size < 5_000_000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(
        RasterError, match=r"extent \(-100.0000, -1964.0000, 19900.0000, 36.0000\) is not within"
    ):
        inspect(str(path), request=RequestGrid((WEST, -90.0, 180.0, NORTH), STEP))
    with pytest.raises(RasterError, match="not within the requested bbox"):
        load_slice(conn, str(path), "NO2", HOUR, audit_bbox=BBOX, pixel_degrees=STEP)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 200_000  # KB: nothing read
    assert ledger(conn, "NO2", HOUR)[-1][0] == "failed"
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM grid_spec WHERE dx = %s", (STEP,))
        specs = cur.fetchone()[0]
    conn.rollback()
    assert specs <= 1  # no new lattice for the refused file


def test_a_pixel_size_other_than_the_products_is_refused(tmp_path):
    path = write_geotiff(tmp_path / "fine.tif", np.ones((100, 100)), step=0.01)
    with pytest.raises(RasterError, match=r"pixel size 0.01 x 0.01° is not the product's grid of 0.02°"):
        inspect(str(path), request=ASKED)


def test_an_extent_beyond_the_bbox_plus_one_pixel_is_refused(tmp_path):
    shifted = write_geotiff(tmp_path / "east.tif", np.ones((50, 50)), west=WEST + 10)
    with pytest.raises(RasterError, match="is not within the requested bbox"):
        inspect(str(shifted), request=ASKED)
    edge = write_geotiff(tmp_path / "edge.tif", np.ones((51, 51)), west=WEST - STEP)  # one pixel over: fine
    assert inspect(str(edge), request=ASKED).width == 51
