"""Load one (gas, hour) slice into PostGIS with binary COPY, replacing the previous slice atomically.

Write, audit, publish: the slice is built as a standalone table (COPY into an unindexed table, then the
index), judged by the data-quality checks (aeris_lib.quality) while users still see the old slice, and
only then swapped in as the hour's partition of the gas's table (`pollution_obs_<gas>`) in the same
transaction that drops the old one.
A slice that fails a check is kept unattached in `rejected_slice` for inspection. A transaction-scoped
advisory lock serialises writers of the same slice. Any failure rolls everything back, so the previous
slice stays intact; the attempt is recorded in `ingest_log` either way.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from aeris_lib.db.grid import ensure_grid
from aeris_lib.db.ledger import finish_load, record_load_failure, start_load
from aeris_lib.db.pgcopy import PGCOPY_HEADER, PGCOPY_TRAILER, copy_binary, encode_rows
from aeris_lib.db.sql import identifier, load_sql, slice_table
from aeris_lib.gases import GAS_NAMES, NRT, STANDARD
from aeris_lib.quality import CheckResult, check_table
from aeris_lib.raster import IMPLAUSIBLE, RequestGrid, inspect, iter_cells

log = logging.getLogger(__name__)

SLICE_LOCK_NAMESPACE = 7_341_002


@dataclass(frozen=True)
class LoadResult:
    gas: str
    hour: datetime
    # success | unchanged (same source as the slice already loaded: nothing written) | kept_standard
    # (a near-real-time load met a standard slice: nothing written)
    status: str
    cells_read: int
    cells_skipped: int
    cells_flagged: int
    rows_written: int
    duration_s: float
    table_name: str
    rows_in_slice: int = 0  # rows the slice holds after this attempt (loaded now, or kept as unchanged)
    checks: tuple[CheckResult, ...] = ()  # the data-quality checks the new slice passed before the swap

    @property
    def rows_per_s(self) -> float:
        return self.rows_written / self.duration_s if self.duration_s else 0.0


class SliceRejected(ValueError):
    """The new slice failed data-quality checks: it was not published (the previous slice stays) and is
    kept as `table` in `rejected_slice`."""

    def __init__(self, gas: str, hour: datetime, table: str, checks: list[CheckResult]):
        self.table, self.checks = table, checks
        failed = "; ".join(f"{c.name} ({c.detail})" for c in checks if not c.passed)
        super().__init__(
            f"{gas} {hour.isoformat()}: data-quality check(s) failed, slice not published "
            f"(kept as {table} for inspection): {failed}"
        )


def slice_literals(cur: Any, table: str, gas: str, hour: datetime) -> dict[str, str]:
    """SQL for slice DDL, which cannot take bind parameters: identifiers quoted by the driver (the
    table's name checked against SLICE_TABLE, the parent's gas against GAS_NAMES), and the times as
    literals of formatted datetimes."""
    if gas not in GAS_NAMES:
        raise ValueError(f"unknown gas {gas!r}")
    end = hour + timedelta(hours=1)
    return {
        "table": slice_table(cur, table),
        "slice_check": identifier(cur, f"{table}_slice"),
        "index": identifier(cur, f"{table}_cell"),
        "parent": identifier(cur, f"pollution_obs_{gas.lower()}"),
        "start": f"'{hour.isoformat()}'::timestamptz",
        "end": f"'{end.isoformat()}'::timestamptz",
    }


def _hour(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"hour must be timezone-aware, got naive {value.isoformat()}")
    value = value.astimezone(UTC)
    if (value.minute, value.second, value.microsecond) != (0, 0, 0):
        raise ValueError(f"hour must be the start of an hour, got {value.isoformat()}")
    return value


def lock_slice(cur: Any, gas: str, hour: datetime) -> None:
    """Transaction-scoped lock of one (gas, hour) slice: its loaders and retention take turns."""
    cur.execute(
        load_sql("grid/lock_slice.sql"),
        {"namespace": SLICE_LOCK_NAMESPACE, "slice": f"{gas}|{hour.isoformat()}"},
    )


def load_slice(
    conn: Any,
    path: str,
    gas: str,
    hour: datetime,
    *,
    source_sha256: str | None = None,
    harmony_job_id: str | None = None,
    max_cells: int | None = None,
    force: bool = False,
    audit_bbox: tuple[float, float, float, float] | None = None,
    granules: list[str] | None = None,
    pixel_degrees: float | None = None,
    product_line: str = STANDARD,
    upgraded_from: str | None = None,
    short_name: str | None = None,
    version: str | None = None,
    line_reason: str | None = None,
    granule_revisions: dict[str, int] | None = None,
    fetched: dict[str, Any] | None = None,
) -> LoadResult:
    """Replace the (gas, hour) slice with the cells of the GeoTIFF at `path`.

    When `source_sha256` equals the last successful load of the slice (same `max_cells`) and that
    slice is still there, nothing is written and the ledger says `unchanged` (unless `force`).

    :param conn: a psycopg connection (e.g. `PostgresHook.get_conn()`), not in autocommit mode.
    :param max_cells: cap by block-mean aggregation; None keeps native resolution.
    :param audit_bbox: the bbox that was requested: the new slice must pass the data-quality checks
        against it before it replaces the published one, else `SliceRejected`. None: no checks.
    :param granules: names of the source granules, for the ledger.
    :param pixel_degrees: the product's grid; with `audit_bbox`, a raster of another pixel size, an
        extent beyond the bbox or more pixels than it holds is refused before any pixel is read.
    :param product_line: `nrt` or `standard`, recorded with the slice. A near-real-time load never
        replaces a standard slice: it writes nothing and the ledger says `kept_standard`.
    :param upgraded_from: what this load replaces (the reprocess DAG's upgrades: `nrt`, or the older
        standard version), for the ledger.
    :param short_name: the product's CMR short name, recorded with the slice and in the ledger.
    :param version: the product's version (as resolved), recorded with the slice and in the ledger.
    :param line_reason: why the plan asked that product line, for the ledger.
    :param granule_revisions: {granule name: CMR revision} of the granules read, for the ledger (the
        reprocess DAG reloads a slice whose granules were republished).
    :param fetched: how the hour was fetched, for the ledger (the AERIS view's provenance and freshness):
        `listed_at` (when CMR listed the newest granule read), `request_shape`, `bytes_moved`.
    """
    if gas not in GAS_NAMES:
        raise ValueError(f"unknown gas {gas!r}; expected one of {', '.join(GAS_NAMES)}")
    hour = _hour(hour)
    started = time.monotonic()
    if product_line not in (NRT, STANDARD):
        raise ValueError(f"product_line must be {NRT} or {STANDARD}, got {product_line!r}")
    log_id = start_load(
        conn, gas, hour, sha256=source_sha256, job_id=harmony_job_id, max_cells=max_cells, granules=granules,
        product_line=product_line, upgraded_from=upgraded_from, short_name=short_name, version=version,
        line_reason=line_reason or None,
        granule_revisions=json.dumps(granule_revisions) if granule_revisions else None,
        request_bbox=[float(v) for v in audit_bbox] if audit_bbox else None, **(fetched or {}),
    )  # fmt: skip
    if product_line == NRT:
        kept = _standard_kept(conn, log_id, gas, hour, started)
        if kept is not None:
            return kept
    if source_sha256 and not force:
        unchanged = _unchanged(conn, log_id, gas, hour, source_sha256, max_cells, started)
        if unchanged is not None:
            return unchanged
    counts = {"cells_read": 0, "cells_skipped": 0, "cells_flagged": 0}
    try:
        request = RequestGrid(audit_bbox, pixel_degrees) if audit_bbox and pixel_degrees else None
        info = inspect(path, max_cells, request)
        grid_id = ensure_grid(conn, info)
        table = f"pobs_{gas.lower()}_{hour:%Y%m%d%H}_{secrets.token_hex(4)}"
        with conn.cursor() as cur:
            lock_slice(cur, gas, hour)
            if source_sha256 and not force:
                # A load of the same file (another run's, an event's) may have committed while this one
                # read it: asked again under the lock, the second of two writes nothing.
                unchanged = _unchanged(conn, log_id, gas, hour, source_sha256, max_cells, started)
                if unchanged is not None:
                    return unchanged
            cur.execute(
                load_sql("ingest/abandon_stale_attempts.sql"), {"gas": gas, "hour": hour, "id": log_id}
            )
            literals = slice_literals(cur, table, gas, hour)
            cur.execute(load_sql("grid/create_slice_table.sql").format(**literals))

            def chunks() -> Iterator[bytes]:
                yield PGCOPY_HEADER
                for block in iter_cells(info, gas):
                    counts["cells_read"] += len(block) + block.skipped
                    counts["cells_skipped"] += block.skipped
                    counts["cells_flagged"] += int(np.count_nonzero(block.flags & IMPLAUSIBLE))
                    yield encode_rows(block, grid_id)
                yield PGCOPY_TRAILER

            copy_binary(cur, load_sql("grid/copy_slice_rows.sql").format(**literals), chunks())
            rows = counts["cells_read"] - counts["cells_skipped"]
            cur.execute(load_sql("grid/index_slice_table.sql").format(**literals))
            slice_params = {
                "gas": gas,
                "start": hour,
                "table": table,
                "rows": rows,
                "product_line": product_line,
                "short_name": short_name,
                "version": version,
            }
            cur.execute(load_sql("grid/find_slice_partition.sql"), slice_params)
            previous = cur.fetchone()
            if previous and product_line == NRT and previous[2] == STANDARD:
                # A standard slice was published while this one was written: it stays.
                conn.rollback()
                kept = _standard_kept(conn, log_id, gas, hour, started)
                if kept is None:  # gone again between two reads (retention): a retry loads afresh
                    raise RuntimeError(f"{gas} {hour}: the hour's standard slice changed during the load")
                return kept
            checks = []
            if audit_bbox is not None:
                checks = check_table(
                    cur,
                    table,
                    gas,
                    audit_bbox,
                    valid_in_source=rows,
                    published_rows=previous[1] if previous else 0,
                )
                if not all(c.passed for c in checks):
                    _reject(cur, log_id, table, gas, hour, checks, counts)
                    conn.commit()
                    raise SliceRejected(gas, hour, table, checks)
            if previous:
                cur.execute(load_sql("grid/drop_slice_table.sql").format(table=slice_table(cur, previous[0])))
            cur.execute(load_sql("grid/register_slice_partition.sql"), slice_params)
            cur.execute(load_sql("grid/attach_slice_partition.sql").format(**literals))
            cur.execute(load_sql("grid/analyze_slice_table.sql").format(**literals))
            finish_load(cur, log_id, "success", rows_written=rows, **counts)
        conn.commit()
    except SliceRejected:
        raise
    except BaseException as error:
        record_load_failure(conn, log_id, error, counts)
        raise
    result = LoadResult(
        gas,
        hour,
        "success",
        counts["cells_read"],
        counts["cells_skipped"],
        counts["cells_flagged"],
        rows,
        time.monotonic() - started,
        table,
        rows_in_slice=rows,
        checks=tuple(checks),
    )
    if rows == 0:
        log.warning(
            "%s %s: every cell was fill (no valid pixel); the slice is now empty", gas, hour.isoformat()
        )
    return result


def _reject(
    cur: Any, log_id: int, table: str, gas: str, hour: datetime, checks: list[CheckResult], counts: dict
) -> None:
    failed = "; ".join(f"{c.name} ({c.detail})" for c in checks if not c.passed)
    cur.execute(
        load_sql("ingest/reject_slice.sql"),
        {"table": table, "gas": gas, "hour": hour, "log_id": log_id, "failed": failed},
    )
    rows = counts["cells_read"] - counts["cells_skipped"]
    finish_load(cur, log_id, "quality_failed", rows_written=0, error=f"slice {table} not published: {failed}"[:2000],
                **counts)  # fmt: skip
    log.warning(
        "%s %s: rejected by the data-quality checks, %s rows kept unpublished in %s", gas, hour, rows, table
    )


def _standard_kept(conn: Any, log_id: int, gas: str, hour: datetime, started: float) -> LoadResult | None:
    """The standard slice of the hour, when there is one: a near-real-time load leaves it alone."""
    with conn.cursor() as cur:
        cur.execute(load_sql("grid/find_slice_partition.sql"), {"gas": gas, "start": hour})
        row = cur.fetchone()
        if row is None or row[2] != STANDARD:
            conn.rollback()
            return None
        table, rows, _ = row
        finish_load(cur, log_id, "kept_standard", rows_written=0)
    conn.commit()
    log.info(
        "%s %s: the standard product's slice is published (%s rows in %s); a near-real-time load never"
        " replaces it: nothing written", gas, hour.isoformat(), f"{rows:,}", table,
    )  # fmt: skip
    return LoadResult(
        gas, hour, "kept_standard", 0, 0, 0, 0, time.monotonic() - started, table, rows_in_slice=rows
    )


def _unchanged(
    conn: Any, log_id: int, gas: str, hour: datetime, sha256: str, max_cells: int | None, started: float
) -> LoadResult | None:
    with conn.cursor() as cur:
        cur.execute(
            load_sql("ingest/find_unchanged_slice.sql"),
            {"gas": gas, "hour": hour, "sha256": sha256, "max_cells": max_cells},
        )
        row = cur.fetchone()
        if row is None:
            return None
        table, rows, cells_read, cells_skipped, cells_flagged = row
        finish_load(
            cur, log_id, "unchanged", rows_written=0, cells_read=cells_read,
            cells_skipped=cells_skipped, cells_flagged=cells_flagged,
        )  # fmt: skip
    conn.commit()
    log.info(
        "%s %s: source sha256 %s… equals the last successful load; %s rows kept in %s, nothing written",
        gas, hour.isoformat(), sha256[:12], f"{rows:,}", table,
    )  # fmt: skip
    return LoadResult(
        gas,
        hour,
        "unchanged",
        cells_read,
        cells_skipped,
        cells_flagged,
        0,
        time.monotonic() - started,
        table,
        rows_in_slice=rows,
    )
