"""The benchmarks' inputs: a synthetic NO2-like raster on the TEMPO lattice, and the scratch database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import rasterio
from rasterio.transform import from_origin

from aeris_lib import config
from aeris_lib.db.migrate import apply_migrations
from aeris_lib.db.roles import fresh_database
from scripts.bench import BENCH_DB

STEP = 0.02


def synthetic_raster(path: Path, bbox: tuple[float, ...], seed: int = 7) -> tuple[int, int]:
    """float32 NO2-like columns on the TEMPO lattice over `bbox`, ~30 % fill in cloud-like blobs.
    Returns (pixels, fill pixels)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = bbox
    height, width = round((north - south) / STEP), round((east - west) / STEP)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    field = np.zeros((height, width), np.float32)
    scale = max(width, height) / 2950  # blob sizes relative to CONUS's width
    for _ in range(40):  # smooth cloud field: a sum of random Gaussian bumps
        cy, cx, s = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(30, 160) * scale
        field += np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s), dtype=np.float32)
    cloud = field > np.quantile(field, 0.70)
    values = rng.lognormal(mean=np.log(3e15), sigma=0.6, size=(height, width)).astype(np.float32)
    values[cloud] = np.float32(-1e30)
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
        crs="EPSG:4326", transform=from_origin(west, north, STEP, STEP), nodata=-1e30,
        tiled=True, blockxsize=512, blockysize=512, compress="deflate",
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    return width * height, int(cloud.sum())


def bench_database(url: str) -> str:
    """A fresh scratch database `aeris_bench` on the server of `url`, migrated; its URL."""
    bench_url = fresh_database(BENCH_DB, url, config.Databases.from_env().admin or None)
    conn = psycopg.connect(bench_url)
    apply_migrations(conn)
    conn.close()
    return bench_url
