"""(a) the loader end to end, (b) its ceiling, (c) the original ORM/WKT design, (e) a native granule.

The loads run in a child process (`python -m scripts.bench --child-load/--child-native`) so that their
peak RSS is their own.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import psycopg
import rasterio
from psycopg import sql

from aeris_lib.db.load import load_slice
from aeris_lib.db.pgcopy import PGCOPY_HEADER, PGCOPY_TRAILER, encode_rows
from aeris_lib.gases import CONUS
from aeris_lib.raster import inspect, iter_cells
from scripts.bench import HOUR, ROOT


def peak_rss_mb() -> float:
    """This process image's own peak RSS (VmHWM). Not getrusage: after fork + exec, ru_maxrss still
    counts the parent's pages at the fork, so a child of a big parent would look big."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_load(url: str, path: str, hour: str) -> None:
    conn = psycopg.connect(url)
    result = load_slice(conn, path, "NO2", datetime.fromisoformat(hour))
    conn.close()
    print(
        json.dumps({"rows": result.rows_written, "seconds": result.duration_s, "peak_rss_mb": peak_rss_mb()})
    )


def child_native(url: str, path: str, hour: str, bbox: str) -> None:
    from aeris_lib.tempo_l3 import granule_to_geotiff

    started = time.perf_counter()
    tif = Path(path).with_suffix(".conus.tif")
    window = granule_to_geotiff(path, "product/vertical_column_troposphere", _bbox(bbox), tif)
    read_s = time.perf_counter() - started
    conn = psycopg.connect(url)
    result = load_slice(conn, str(tif), "NO2", datetime.fromisoformat(hour))
    conn.close()
    print(json.dumps({"rows": result.rows_written, "seconds": time.perf_counter() - started,
                      "read_s": read_s, "shape": window.shape, "peak_rss_mb": peak_rss_mb()}))  # fmt: skip


def _bbox(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in json.loads(text))


def run_loader(url: str, path: Path, mode: str = "--child-load", *extra: str) -> tuple[dict, float]:
    """The loader in a child process; returns its result and its peak RSS in MB."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench", mode, url, str(path), HOUR.isoformat(), *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"loader child failed (exit {proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    return result, result["peak_rss_mb"]


def queryable_count(url: str, bbox: tuple[float, ...]) -> int:
    """Rows a 1° box query at the middle of `bbox` finds through pollution_grid."""
    lon, lat = round((bbox[0] + bbox[2]) / 2), round((bbox[1] + bbox[3]) / 2)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %s"
            " AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
            (HOUR, lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5),
        )
        return cur.fetchone()[0]


def ceiling(url: str, path: Path) -> tuple[int, float]:
    """Ready binary COPY of the loader's own rows into an unindexed table, index built after."""
    info = inspect(str(path))
    payload = io.BytesIO()
    payload.write(PGCOPY_HEADER)
    rows = 0
    for block in iter_cells(info, "NO2"):
        payload.write(encode_rows(block, 1))
        rows += len(block)
    payload.write(PGCOPY_TRAILER)
    conn = psycopg.connect(url)
    with conn.cursor() as cur:
        # A plain logged table like the loader's slice table, with the slice's constant columns as defaults.
        cur.execute("DROP TABLE IF EXISTS bench_ceiling")
        cur.execute("CREATE TABLE bench_ceiling (LIKE pollution_obs_no2 INCLUDING DEFAULTS)")
        # DDL takes no bind parameters (psycopg 3 binds server-side): the hour as a quoted literal.
        cur.execute(
            sql.SQL("ALTER TABLE bench_ceiling ALTER COLUMN obs_time SET DEFAULT {}").format(
                sql.Literal(HOUR)
            )
        )
        conn.commit()
        payload.seek(0)
        started = time.perf_counter()
        with cur.copy(
            "COPY bench_ceiling (cell_id, value, severity, quality_flag) FROM STDIN WITH (FORMAT binary)"
        ) as copy:
            copy.write(payload.getvalue())
        cur.execute("CREATE INDEX ON bench_ceiling ((cell_id >> 6)) WITH (fillfactor = 100)")
        conn.commit()
        seconds = time.perf_counter() - started
    conn.close()
    return rows, seconds


def original_method(url: str, path: Path, subset: int) -> tuple[int, float]:
    """The seed design: one ORM object per pixel with a WKT polygon, add_all in chunks of 2,000."""
    from geoalchemy2 import Geometry
    from sqlalchemy import Column, DateTime, Float, Integer, String, create_engine
    from sqlalchemy.orm import Session, declarative_base

    base = declarative_base()

    class PollutionGrid(base):
        __tablename__ = "bench_original_pollution_grid"
        id = Column(Integer, primary_key=True)
        timestamp = Column(DateTime(timezone=True), nullable=False)
        gas_type = Column(String, nullable=False)
        geom = Column(Geometry("POLYGON", srid=4326))
        pollution_value = Column(Float)
        severity_level = Column(Integer)

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    base.metadata.drop_all(engine)
    base.metadata.create_all(engine)  # with GeoAlchemy2's GIST index, as the original had
    with rasterio.open(path) as src:
        values = src.read(1)
        transform = src.transform
    rows, cols = np.nonzero(values > -1e29)
    rows, cols = rows[:subset], cols[:subset]
    started = time.perf_counter()
    with Session(engine) as session:
        for start in range(0, len(rows), 2000):
            objects = []
            for r, c in zip(rows[start : start + 2000], cols[start : start + 2000], strict=True):
                x0, y0 = transform * (c, r)
                x1, y1 = transform * (c + 1, r + 1)
                wkt = f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"
                value = float(values[r, c])
                objects.append(
                    PollutionGrid(
                        timestamp=HOUR,
                        gas_type="NO2",
                        geom=f"SRID=4326;{wkt}",
                        pollution_value=value,
                        severity_level=int(np.searchsorted([5e15, 1e16, 1.5e16, 2e16], value, side="right")),
                    )
                )
            session.add_all(objects)
            session.commit()
    seconds = time.perf_counter() - started
    engine.dispose()
    return len(rows), seconds


def native_granule(url: str, workdir: Path, bbox: tuple[float, ...] = CONUS) -> tuple[dict, float, float]:
    """(e): the emulator's full-disk NO2 granule of a daytime scan, read over `bbox` and loaded."""
    from harmony_emulator.netcdf import write_granule
    from harmony_emulator.scans import scans_overlapping

    scan = scans_overlapping(HOUR, HOUR.replace(hour=HOUR.hour + 1))[0]
    path = workdir / "native_no2.nc"
    if not path.exists():  # the same file every run: NASA's granules do not change either
        write_granule(path, "C2930763263-LARC_CLOUD", scan)
    result, rss_mb = run_loader(url, path, "--child-native", json.dumps(list(bbox)))
    return result, rss_mb, path.stat().st_size / 1e6
