"""Load and recompute benchmark against the real PostGIS (`make bench`). Prints figures, not a test.

All figures come from one run on one machine, so their ratios hold even when the machine is noisy:
  (a) the AERIS loader end to end: GeoTIFF -> rows committed, indexed, queryable via pollution_grid
      (in a child process, whose peak RSS is reported);
  (b) the ceiling: the same rows as ready binary COPY into an unindexed table, index built after;
  (c) the original design: per-pixel WKT polygons + SQLAlchemy/GeoAlchemy2 add_all in chunks of 2,000,
      on a subset, its rate scaled;
  (d) route exposure for 10,000 saved routes (10-1,000 km): the set-based SQL (lattice arithmetic)
      vs a per-route loop of ST_Intersects queries over pollution_grid; both must give identical rows;
  (e) a native TEMPO L3 granule (NetCDF-4, whole field of regard, 7750 x 2950) read over CONUS and
      loaded, in a child process: time and peak RSS (target: at most 1 GB);
  (f) the app's reads (scripts/bench_reads.py) after 1 and after 24 stored native-CONUS gas-hours,
      and the bytes a stored cell costs; line READ;
  (g) a CONUS gas-hour read by byte range from NASA-size granules (scripts/bench_native.py); line NATIVE;
  (h) a backfill of 6 hours x 4 gases through the real scheduler against its ceiling
      (scripts/bench_backfill.py, bench_ceiling.py); line BACKFILL.
Runs in a scratch database `aeris_bench` on the same server (dropped and recreated each run).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg2
import rasterio
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aeris_lib import config  # noqa: E402
from aeris_lib.db.load import load_slice  # noqa: E402
from aeris_lib.db.migrate import apply_migrations  # noqa: E402
from aeris_lib.db.pgcopy import PGCOPY_HEADER, PGCOPY_TRAILER, encode_rows  # noqa: E402
from aeris_lib.db.roles import fresh_database  # noqa: E402
from aeris_lib.db.routes import recompute_route_exposure  # noqa: E402
from aeris_lib.gases import CONUS  # noqa: E402
from aeris_lib.raster import inspect, iter_cells  # noqa: E402

STEP = 0.02
HOUR = datetime(2024, 9, 1, 18, tzinfo=UTC)
BENCH_DB = "aeris_bench"


def say(message: str) -> None:
    print(message, flush=True)


# ----------------------------------------------------------------------------------- inputs
def synthetic_conus(path: Path, seed: int = 7) -> tuple[int, int]:
    """1300 x 2950 float32 NO2-like columns on the TEMPO lattice, ~30 % fill in cloud-like blobs."""
    rng = np.random.default_rng(seed)
    height, width = round((CONUS[3] - CONUS[1]) / STEP), round((CONUS[2] - CONUS[0]) / STEP)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    field = np.zeros((height, width), np.float32)
    for _ in range(40):  # smooth cloud field: a sum of random Gaussian bumps
        cy, cx, s = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(30, 160)
        field += np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s), dtype=np.float32)
    cloud = field > np.quantile(field, 0.70)
    values = rng.lognormal(mean=np.log(3e15), sigma=0.6, size=(height, width)).astype(np.float32)
    values[cloud] = np.float32(-1e30)
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
        crs="EPSG:4326", transform=from_origin(CONUS[0], CONUS[3], STEP, STEP), nodata=-1e30,
        tiled=True, blockxsize=512, blockysize=512, compress="deflate",
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    return width * height, int(cloud.sum())


def bench_database(url: str) -> str:
    bench_url = fresh_database(BENCH_DB, url, config.Databases.from_env().admin or None)
    conn = psycopg2.connect(bench_url)
    apply_migrations(conn)
    conn.close()
    return bench_url


# ----------------------------------------------------------------------------------- (a) loader
def peak_rss_mb() -> float:
    """This process image's own peak RSS (VmHWM). Not getrusage: after fork + exec, ru_maxrss still
    counts the parent's pages at the fork, so a child of a big parent would look big."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_load(url: str, path: str, hour: str) -> None:
    conn = psycopg2.connect(url)
    result = load_slice(conn, path, "NO2", datetime.fromisoformat(hour))
    conn.close()
    print(
        json.dumps({"rows": result.rows_written, "seconds": result.duration_s, "peak_rss_mb": peak_rss_mb()})
    )


def child_native(url: str, path: str, hour: str) -> None:
    from aeris_lib.tempo_l3 import granule_to_geotiff

    started = time.perf_counter()
    tif = Path(path).with_suffix(".conus.tif")
    window = granule_to_geotiff(path, "product/vertical_column_troposphere", CONUS, tif)
    read_s = time.perf_counter() - started
    conn = psycopg2.connect(url)
    result = load_slice(conn, str(tif), "NO2", datetime.fromisoformat(hour))
    conn.close()
    print(json.dumps({"rows": result.rows_written, "seconds": time.perf_counter() - started,
                      "read_s": read_s, "shape": window.shape, "peak_rss_mb": peak_rss_mb()}))  # fmt: skip


def run_loader(url: str, path: Path, mode: str = "--child-load") -> tuple[dict, float]:
    """The loader in a child process; returns its result and its peak RSS in MB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, mode, url, str(path), HOUR.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"loader child failed (exit {proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    return result, result["peak_rss_mb"]


def queryable_count(url: str) -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %s"
            " AND ST_Intersects(geom, ST_MakeEnvelope(-100, 35, -99, 36, 4326))",
            (HOUR,),
        )
        return cur.fetchone()[0]


# ----------------------------------------------------------------------------------- (b) ceiling
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
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        # A plain logged table like the loader's slice table, with the slice's constant columns as defaults.
        cur.execute("DROP TABLE IF EXISTS bench_ceiling")
        cur.execute("CREATE TABLE bench_ceiling (LIKE pollution_obs_no2 INCLUDING DEFAULTS)")
        cur.execute("ALTER TABLE bench_ceiling ALTER COLUMN obs_time SET DEFAULT %s", (HOUR,))
        conn.commit()
        payload.seek(0)
        started = time.perf_counter()
        cur.copy_expert(
            "COPY bench_ceiling (cell_id, value, severity, quality_flag) FROM STDIN WITH (FORMAT binary)",
            payload,
            size=1 << 20,
        )
        cur.execute("CREATE INDEX ON bench_ceiling ((cell_id >> 6)) WITH (fillfactor = 100)")
        conn.commit()
        seconds = time.perf_counter() - started
    conn.close()
    return rows, seconds


# ----------------------------------------------------------------------------------- (c) original
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

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
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


# ----------------------------------------------------------------------------------- (d) routes
def make_routes(url: str, count: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    west, south, east, north = CONUS
    routes = []
    while len(routes) < count:
        lon, lat = rng.uniform(west + 1, east - 1), rng.uniform(south + 1, north - 1)
        km, bearing = rng.uniform(10, 1000), rng.uniform(0, 2 * math.pi)
        dlat = km * math.cos(bearing) / 111.0
        dlon = km * math.sin(bearing) / (111.0 * math.cos(math.radians(lat)))
        if west <= lon + dlon <= east and south <= lat + dlat <= north:
            routes.append((f"bench route {len(routes)}", lon, lat, lon + dlon, lat + dlat))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE saved_routes, route_exposure")
        buffer = io.StringIO("".join("\t".join(map(str, r)) + "\n" for r in routes))
        cur.copy_expert(
            "COPY saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat) FROM STDIN", buffer
        )


def exposure_rows(url: str, route_ids: list[int]) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT e.route_id, e.gas_type, e.cell_count, round(e.avg_value::numeric, 3), e.max_severity,"
            "       round(e.mean_severity::numeric, 9), round(s.last_computed_score::numeric, 9)"
            " FROM route_exposure e JOIN saved_routes s ON s.id = e.route_id"
            " WHERE e.route_id = ANY(%s) ORDER BY 1, 2",
            (route_ids,),
        )
        return cur.fetchall()


PER_ROUTE_QUERY = """
SELECT gas_type, count(*), avg(pollution_value), max(severity_level), avg(severity_level::float8)
FROM pollution_grid
WHERE timestamp = %(hour)s
  AND ST_Intersects(geom, (SELECT COALESCE(geom, ST_MakeLine(ST_SetSRID(ST_MakePoint(origin_lon, origin_lat), 4326),
                                                          ST_SetSRID(ST_MakePoint(dest_lon, dest_lat), 4326)))
                           FROM saved_routes WHERE id = %(route_id)s))
GROUP BY gas_type
"""


def per_route_loop(conn, route_ids: list[int]) -> None:
    """The straightforward alternative: per route, one ST_Intersects query over pollution_grid
    (GIST index), then its exposure rows and score written back."""
    with conn.cursor() as cur:
        cur.execute("SET jit = off")
        for route_id in route_ids:
            cur.execute(PER_ROUTE_QUERY, {"hour": HOUR, "route_id": route_id})
            rows = cur.fetchall()
            for gas, cells, avg_value, max_severity, mean_severity in rows:
                cur.execute(
                    "INSERT INTO route_exposure (route_id, gas_type, timestamp, cell_count, avg_value,"
                    " max_severity, mean_severity) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (route_id, gas, HOUR, cells, avg_value, max_severity, mean_severity),
                )
            if rows:
                score = 25 * sum(r[4] for r in rows) / len(rows)
                cur.execute(
                    "UPDATE saved_routes SET last_computed_score = %s, last_updated_at = now() WHERE id = %s",
                    (score, route_id),
                )
            conn.commit()


def recompute(url: str, routes: int, loop_routes: int) -> tuple[float, float, bool]:
    make_routes(url, routes)
    conn = psycopg2.connect(url)
    started = time.perf_counter()
    result = recompute_route_exposure(conn, HOUR)
    set_seconds = time.perf_counter() - started
    # Routes lying wholly under clouds (fill) have no cells with data and keep their old score.
    assert result.routes_updated > 0.5 * routes, result
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM saved_routes ORDER BY id LIMIT %s", (loop_routes,))
        sample = [row[0] for row in cur.fetchall()]
    conn.commit()
    set_based = exposure_rows(url, sample)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM route_exposure WHERE route_id = ANY(%s)", (sample,))
        cur.execute("UPDATE saved_routes SET last_computed_score = NULL WHERE id = ANY(%s)", (sample,))
    conn.commit()
    started = time.perf_counter()
    per_route_loop(conn, sample)
    loop_seconds = time.perf_counter() - started
    conn.close()
    identical = exposure_rows(url, sample) == set_based
    return routes / set_seconds, len(sample) / loop_seconds, identical


def native_granule(url: str, workdir: Path) -> tuple[dict, float, float]:
    """(e): the emulator's full-disk NO2 granule of a daytime scan, read over CONUS and loaded."""
    from harmony_emulator.netcdf import write_granule
    from harmony_emulator.scans import scans_overlapping

    scan = scans_overlapping(HOUR, HOUR.replace(hour=HOUR.hour + 1))[0]
    path = workdir / "native_no2.nc"
    if not path.exists():
        write_granule(path, "C2930763263-LARC_CLOUD", scan)
    result, rss_mb = run_loader(url, path, "--child-native")
    return result, rss_mb, path.stat().st_size / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--child-load", nargs=3, metavar=("URL", "PATH", "HOUR"), help=argparse.SUPPRESS)
    parser.add_argument("--child-native", nargs=3, metavar=("URL", "PATH", "HOUR"), help=argparse.SUPPRESS)
    parser.add_argument("--original-subset", type=int, default=20_000)
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--loop-routes", type=int, default=300)
    parser.add_argument("--read-hours", type=int, default=24, help="stored gas-hours for the READ line")
    parser.add_argument("--backfill-hours", type=int, default=6, help="hours x 4 gases for the BACKFILL line")
    parser.add_argument("--workdir", default=str(ROOT / ".aeris" / "bench"))
    args = parser.parse_args()
    if args.child_load:
        child_load(*args.child_load)
        return 0
    if args.child_native:
        child_native(*args.child_native)
        return 0

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "conus_no2.tif"
    started = time.perf_counter()
    pixels, fill = synthetic_conus(path)
    say(f"input: {path.name} 2950 x 1300 float32, {fill / pixels:.0%} fill, "
        f"{path.stat().st_size / 1e6:.1f} MB, made in {time.perf_counter() - started:.1f} s")  # fmt: skip

    url = bench_database(config.Databases.from_env().aeris)
    say(f"scratch database {BENCH_DB} ready")
    first, _ = run_loader(url, path)
    say(f"first load (registers the 0.02° lattice's cells once): {first['seconds']:.1f} s")
    loaded, peak_rss_mb = run_loader(url, path)
    load_rate = loaded["rows"] / loaded["seconds"]
    say(f"(a) loader: {loaded['rows']:,} rows in {loaded['seconds']:.2f} s = {load_rate:,.0f} rows/s, "
        f"peak RSS {peak_rss_mb:.0f} MB; {queryable_count(url):,} rows answer a 1° box query")  # fmt: skip

    ceiling_rows, ceiling_seconds = ceiling(url, path)
    ceiling_rate = ceiling_rows / ceiling_seconds
    say(f"(b) ceiling: {ceiling_rows:,} rows in {ceiling_seconds:.2f} s = {ceiling_rate:,.0f} rows/s")

    original_rows, original_seconds = original_method(url, path, args.original_subset)
    original_rate = original_rows / original_seconds
    say(f"(c) original ORM/WKT method: {original_rows:,} rows in {original_seconds:.1f} s = "
        f"{original_rate:,.0f} rows/s (whole grid would take {loaded['rows'] / original_rate / 60:.0f} min)")  # fmt: skip

    set_rate, loop_rate, identical = recompute(url, args.routes, args.loop_routes)
    say(f"(d) recompute: {args.routes:,} routes at {set_rate:,.0f} routes/s set-based; "
        f"per-route loop {loop_rate:,.1f} routes/s on {args.loop_routes}; identical rows: {identical}")  # fmt: skip
    if not identical:
        say("FAIL: the set-based recompute and the per-route loop disagree")
        return 1
    native, native_rss_mb, native_mb = native_granule(url, workdir)
    say(f"(e) native granule: {native_mb:.0f} MB NetCDF-4 (7750 x 2950 per variable), CONUS window "
        f"{native['shape'][1]} x {native['shape'][0]} read in {native['read_s']:.1f} s, {native['rows']:,} rows "
        f"loaded in {native['seconds']:.1f} s total, peak RSS {native_rss_mb:.0f} MB (target <= 1024 MB)")  # fmt: skip
    print(
        f"BENCH load_cells_per_s={load_rate:.0f} ceiling_cells_per_s={ceiling_rate:.0f}"
        f" load_vs_ceiling={load_rate / ceiling_rate:.2f} load_vs_original={load_rate / original_rate:.1f}"
        f" peak_rss_mb={peak_rss_mb:.0f} recompute_routes_per_s={set_rate:.0f}"
        f" recompute_vs_loop={set_rate / loop_rate:.1f} native_peak_rss_mb={native_rss_mb:.0f}"
        f" native_rows_per_s={native['rows'] / native['seconds']:.0f}"
    )
    from bench_reads import read_benchmark  # beside this script; imported late: it is (f) only

    print(read_benchmark(url, HOUR, args.read_hours, say))
    from bench_native import native_range_benchmark  # (g): the emulator's NASA-size granules

    print(native_range_benchmark(say))
    from bench_backfill import backfill_benchmark  # (h): a backfill through the real scheduler

    print(backfill_benchmark(config.Databases.from_env().aeris, workdir, say, args.backfill_hours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
