"""The ceiling of (h) BACKFILL: the smallest honest program for one gas-hour, serial, no Airflow.

For each gas-hour: read the variable and its quality flag over CONUS from the hour's two native granules
(local NetCDF-4 files of the product the backfill loaded), merge them (mean where both observed a cell,
worst flag), binary-COPY the cells into a new slice table, index it, and run the data-quality checks. No
ledger, lock, download, audit copy or publication: what is left is the work itself.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg

from aeris_lib.db.load import slice_literals
from aeris_lib.db.pgcopy import PGCOPY_HEADER, PGCOPY_TRAILER, encode_rows
from aeris_lib.db.sql import load_sql, slice_table
from aeris_lib.gases import CONUS, DEFAULT_CATALOG
from aeris_lib.quality import check_table
from aeris_lib.raster import FILL_VALUE, IMPLAUSIBLE, PRODUCT_FLAG_SHIFT, CellBlock, valid_mask
from aeris_lib.tempo_l3 import read_window
from aeris_lib.thresholds import classify_array, implausible_mask
from harmony_emulator.granule_store import native_granule
from harmony_emulator.scans import PRODUCTS, scans_overlapping

STEP = 0.02


def _loaded_product(url: str, gas: str, hour: datetime) -> str:
    """The emulator's concept id of the product the backfill loaded for (gas, hour); without a load
    (the smoke run has no backfill), the gas's standard product current at that hour."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT short_name, version FROM ingest_log WHERE gas_type = %s AND obs_time = %s"
            " AND status = 'success' ORDER BY id DESC LIMIT 1",
            (gas, hour),
        )
        loaded = cur.fetchone()
    if loaded is None:
        short_name = DEFAULT_CATALOG[gas].short_name
        return next(cid for cid, p in PRODUCTS.items() if p.short_name == short_name and p.holds(hour.date()))
    return next(cid for cid, p in PRODUCTS.items() if (p.short_name, p.version) == tuple(loaded))


def local_granules(collection: str, hour: datetime) -> list[Path]:
    """The hour's native granules of `collection` as local files: the emulator's own files (built
    once, on this machine's disk), the same bytes its DAAC served the backfill."""
    return [native_granule(collection, scan) for scan in scans_overlapping(hour, hour + timedelta(hours=1))]


def merged_cells(paths: list[Path], gas: str, bbox: tuple[float, ...]) -> CellBlock:
    """The cells of the mean of the granules' windows (all granules share TEMPO's lattice)."""
    entry = DEFAULT_CATALOG[gas]
    windows = [
        read_window(p, entry.variable, bbox, pixel=STEP, quality_variable=entry.quality_variable or None)
        for p in paths
    ]
    west, north = min(w.west for w in windows), max(w.north for w in windows)
    rows = max(round((north - w.north) / STEP) + w.shape[0] for w in windows)
    cols = max(round((w.west - west) / STEP) + w.shape[1] for w in windows)
    sums, counts = np.zeros((rows, cols)), np.zeros((rows, cols), np.int32)
    worst = np.full((rows, cols), -1, np.int16)
    for w in windows:
        r, c = round((north - w.north) / STEP), round((w.west - west) / STEP)
        target = (slice(r, r + w.shape[0]), slice(c, c + w.shape[1]))
        valid = valid_mask(w.values, FILL_VALUE)
        sums[target] += np.where(valid, w.values, 0.0)
        counts[target] += valid
        if w.flags is not None:
            worst[target] = np.maximum(worst[target], np.where(valid & (w.flags >= 0), w.flags, -1))
    r, c = np.nonzero(counts)
    values = (sums[r, c] / counts[r, c]).astype(np.float32)
    flags = implausible_mask(values, gas).astype(np.int16) * np.int16(IMPLAUSIBLE)
    flags |= np.clip(worst[r, c], 0, 2).astype(np.int16) << PRODUCT_FLAG_SHIFT
    row0, col0 = round((90.0 - north) / STEP), round((west + 180.0) / STEP)
    block = CellBlock(rows=r + row0, cols=c + col0, values=values.astype(np.float64),
                      severity=classify_array(values, gas), flags=flags, skipped=int(counts.size - r.size))  # fmt: skip
    return block


def copy_and_check(conn, block: CellBlock, gas: str, hour: datetime, bbox: tuple[float, ...]) -> None:
    with conn.cursor() as cur:
        lattice = {
            "dx": STEP,
            "dy": STEP,
            "x_origin": -180.0,
            "y_origin": 90.0,
        }  # TEMPO's, as the loader keys it
        cur.execute(load_sql("grid/upsert_grid_spec.sql"), lattice)
        grid_id = cur.fetchone()[0]
        table = f"pobs_{gas.lower()}_{hour:%Y%m%d%H}_{secrets.token_hex(4)}"
        literals = slice_literals(cur, table, gas, hour)
        cur.execute(load_sql("grid/create_slice_table.sql").format(**literals))
        with cur.copy(
            f"COPY {literals['table']} (cell_id, value, severity, quality_flag) FROM STDIN WITH (FORMAT binary)"
        ) as copy:
            copy.write(PGCOPY_HEADER + encode_rows(block, grid_id) + PGCOPY_TRAILER)
        cur.execute(load_sql("grid/index_slice_table.sql").format(**literals))
        checks = check_table(cur, table, gas, bbox, valid_in_source=len(block), published_rows=0)
        if not all(c.passed for c in checks):
            raise RuntimeError(f"ceiling {gas} {hour}: checks failed: {checks}")
        cur.execute(f"DROP TABLE {slice_table(cur, table)}")
    conn.commit()


def ceiling_gas_hours_per_min(
    url: str, hours: list[datetime], gases: list[str], say, bbox: tuple[float, ...] = CONUS
) -> float:
    import psycopg

    inputs = {
        (gas, hour): local_granules(_loaded_product(url, gas, hour), hour) for hour in hours for gas in gases
    }
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        for (gas, hour), paths in inputs.items():
            block = merged_cells(paths, gas, bbox)
            copy_and_check(conn, block, gas, hour, bbox)
    seconds = time.monotonic() - started
    say(f"    ceiling: {len(inputs)} gas-hours (read 2 granules, merge, COPY, index, check) in {seconds:.1f} s,"
        f" {seconds / len(inputs):.1f} s each")  # fmt: skip
    return len(inputs) / (seconds / 60)
