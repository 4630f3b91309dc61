"""`make bench`: every benchmark in one run (see scripts/bench/__init__.py); `--smoke` runs them small."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from aeris_lib import config
from scripts.bench import BENCH_DB, HOUR, ROOT, SMOKE, Sizes, say
from scripts.bench.inputs import bench_database, synthetic_raster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--child-load", nargs=3, metavar=("URL", "PATH", "HOUR"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--child-native", nargs=4, metavar=("URL", "PATH", "HOUR", "BBOX"), help=argparse.SUPPRESS
    )
    parser.add_argument("--smoke", action="store_true", help="every benchmark, small: is each still running?")
    parser.add_argument("--routes", type=int, default=Sizes.routes)
    parser.add_argument("--read-hours", type=int, default=Sizes.read_hours, help="stored gas-hours for READ")
    parser.add_argument("--backfill-hours", type=int, default=Sizes.backfill_hours, help="hours x 4 gases")
    parser.add_argument(
        "--soak-days", type=int, default=Sizes.soak_days, help="simulated days (0: the short soak)"
    )
    parser.add_argument("--workdir", default=str(ROOT / ".aeris" / "bench"))
    args = parser.parse_args()
    from scripts.bench import loader  # after parsing: `--help` needs no database driver

    if args.child_load:
        loader.child_load(*args.child_load)
        return 0
    if args.child_native:
        loader.child_native(*args.child_native)
        return 0
    sizes = SMOKE if args.smoke else Sizes(routes=args.routes, read_hours=args.read_hours,
                                           backfill_hours=args.backfill_hours, soak_days=args.soak_days)  # fmt: skip
    return run_all(sizes, Path(args.workdir))


def run_all(sizes: Sizes, workdir: Path) -> int:
    from scripts.bench import loader, routes
    from scripts.bench.backfill import backfill_benchmark
    from scripts.bench.latency import latency_benchmark
    from scripts.bench.native_ranges import native_range_benchmark
    from scripts.bench.reads import read_benchmark
    from scripts.soak.__main__ import soak
    from scripts.soak.plan import SoakPlan

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / ("smoke_no2.tif" if sizes == SMOKE else "conus_no2.tif")
    started = time.perf_counter()
    pixels, fill = synthetic_raster(path, sizes.bbox)
    say(f"input: {path.name} {pixels:,} float32 pixels, {fill / pixels:.0%} fill, "
        f"{path.stat().st_size / 1e6:.1f} MB, made in {time.perf_counter() - started:.1f} s")  # fmt: skip

    url = bench_database(config.Databases.from_env().aeris)
    say(f"scratch database {BENCH_DB} ready")
    first, _ = loader.run_loader(url, path)
    say(f"first load (registers the 0.02° lattice's cells once): {first['seconds']:.1f} s")
    loaded, peak_rss_mb = loader.run_loader(url, path)
    load_rate = loaded["rows"] / loaded["seconds"]
    say(f"(a) loader: {loaded['rows']:,} rows in {loaded['seconds']:.2f} s = {load_rate:,.0f} rows/s, peak RSS "
        f"{peak_rss_mb:.0f} MB; {loader.queryable_count(url, sizes.bbox):,} rows answer a 1° box query")  # fmt: skip

    ceiling_rows, ceiling_seconds = loader.ceiling(url, path)
    ceiling_rate = ceiling_rows / ceiling_seconds
    say(f"(b) ceiling: {ceiling_rows:,} rows in {ceiling_seconds:.2f} s = {ceiling_rate:,.0f} rows/s")

    original_rows, original_seconds = loader.original_method(url, path, sizes.original_subset)
    original_rate = original_rows / original_seconds
    say(f"(c) original ORM/WKT method: {original_rows:,} rows in {original_seconds:.1f} s = "
        f"{original_rate:,.0f} rows/s (whole grid would take {loaded['rows'] / original_rate / 60:.0f} min)")  # fmt: skip

    set_rate, loop_rate, identical = routes.recompute(url, sizes.routes, sizes.loop_routes, sizes.bbox,
                                                      sizes.route_km)  # fmt: skip
    say(f"(d) recompute: {sizes.routes:,} routes at {set_rate:,.0f} routes/s set-based; "
        f"per-route loop {loop_rate:,.1f} routes/s on {sizes.loop_routes}; identical rows: {identical}")  # fmt: skip
    if not identical:
        say("FAIL: the set-based recompute and the per-route loop disagree")
        return 1
    native, native_rss_mb, native_mb = loader.native_granule(url, workdir, sizes.bbox)
    say(f"(e) native granule: {native_mb:.0f} MB NetCDF-4 (7750 x 2950 per variable), window "
        f"{native['shape'][1]} x {native['shape'][0]} read in {native['read_s']:.1f} s, {native['rows']:,} rows "
        f"loaded in {native['seconds']:.1f} s total, peak RSS {native_rss_mb:.0f} MB (target <= 1024 MB)")  # fmt: skip
    print(
        f"BENCH load_cells_per_s={load_rate:.0f} ceiling_cells_per_s={ceiling_rate:.0f}"
        f" load_vs_ceiling={load_rate / ceiling_rate:.2f} load_vs_original={load_rate / original_rate:.1f}"
        f" peak_rss_mb={peak_rss_mb:.0f} recompute_routes_per_s={set_rate:.0f}"
        f" recompute_vs_loop={set_rate / loop_rate:.1f} native_peak_rss_mb={native_rss_mb:.0f}"
        f" native_rows_per_s={native['rows'] / native['seconds']:.0f}",
        flush=True,
    )
    print(read_benchmark(url, HOUR, sizes.read_hours, say), flush=True)
    smoke = sizes == SMOKE
    print(native_range_benchmark(say, "compact" if smoke else "real", sizes.bbox), flush=True)
    print(
        backfill_benchmark(config.Databases.from_env().aeris, workdir, say, sizes.backfill_hours), flush=True
    )
    latency = {"hour_count": 1, "spacing_s": 5.0, "poll_s": 5.0} if smoke else {}
    print(latency_benchmark(config.Databases.from_env().aeris, workdir / "latency", say, bbox=sizes.bbox,
                            **latency), flush=True)  # fmt: skip
    now = datetime.now(UTC)
    plan = SoakPlan.whole_days(now, sizes.soak_days) if sizes.soak_days else SoakPlan.short(now)
    line, findings = soak(plan, workdir / "soak", say)
    print(line, flush=True)
    return 0 if findings.ok else 1


if __name__ == "__main__":
    sys.exit(main())
