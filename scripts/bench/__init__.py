"""The benchmarks behind `make bench`, one module per benchmark, against the real PostGIS.

Prints figures, not a test. All figures come from one run on one machine, so their ratios hold even
when the machine is noisy:
  (a) loader.py: the AERIS loader end to end: GeoTIFF -> rows committed, indexed, queryable via
      pollution_grid (in a child process, whose peak RSS is reported);
  (b) loader.py: the ceiling: the same rows as ready binary COPY into an unindexed table, index after;
  (c) loader.py: the original design: per-pixel WKT polygons + SQLAlchemy/GeoAlchemy2 add_all in chunks
      of 2,000, on a subset, its rate scaled;
  (d) routes.py: route exposure for 10,000 saved routes (10-1,000 km): the set-based SQL (lattice
      arithmetic) vs a per-route loop of ST_Intersects queries over pollution_grid; identical rows;
  (e) loader.py: a native TEMPO L3 granule (NetCDF-4, whole field of regard, 7750 x 2950) read over
      CONUS and loaded, in a child process: time and peak RSS (target: at most 1 GB);
  (f) reads.py: the app's reads after 1 and after 24 stored native-CONUS gas-hours, and the bytes a
      stored cell costs; line READ;
  (g) native_ranges.py: a CONUS gas-hour read by byte range from NASA-size NO2 and O3TOT granules,
      against the physical minimum (the chunks the window touches); lines NATIVE;
  (h) backfill.py: a backfill of 6 hours x 4 gases through the real scheduler against its ceiling
      (backfill_ceiling.py); line BACKFILL;
  (i) latency.py: from NASA listing an hour's last granule to its slice published, over 10 hours, the
      event path (CMR's messages on SQS, aeris_tempo_events) against the polling path (the hourly DAG
      asking CMR every 300 s); line LATENCY;
  (j) scripts/soak: 2 simulated days of production with the soak's fault schedule, invariants checked;
      line SOAK.
Runs in a scratch database `aeris_bench` on the same server (dropped and recreated each run).
`python -m scripts.bench --smoke` runs every benchmark small (a few thousand cells, one read hour, the
backfill's ceiling only, one LATENCY hour each way with CMR asked every 5 s, the short soak) so that
the test command catches a benchmark that no longer runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOUR = datetime(2024, 9, 1, 18, tzinfo=UTC)
BENCH_DB = "aeris_bench"


def say(message: str) -> None:
    print(message, flush=True)


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs: the figures in docs/measurements.md, or the smoke run's."""

    bbox: tuple[float, float, float, float] = (-125.0, 24.0, -66.0, 50.0)  # CONUS
    original_subset: int = 20_000
    routes: int = 10_000
    loop_routes: int = 300
    route_km: tuple[float, float] = (10, 1000)
    read_hours: int = 24
    backfill_hours: int = 6  # 0: the backfill's ceiling only (no Airflow cluster)
    soak_days: int = 2  # 0: the short soak (a few hours with every fault)


SMOKE = Sizes(bbox=(-100.0, 30.0, -98.0, 31.0), original_subset=500, routes=40, loop_routes=8,
              route_km=(10, 60), read_hours=1, backfill_hours=0, soak_days=0)  # fmt: skip
