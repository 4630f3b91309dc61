"""Retention: drop expired (gas, hour) slices as whole partitions, expired audit objects, old ledger rows.

Pure domain code: a DB-API connection and plain lists of object keys in, plain results out. A second
run with the same cutoff finds nothing more to remove.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aeris_lib.db.load import lock_slice
from aeris_lib.db.sql import load_sql, slice_table
from aeris_lib.gases import GAS_NAMES

log = logging.getLogger(__name__)

# audit/geotiff/2024-09-01/NO2_16.tif and its companions (.png map, .json STAC item) beside it.
AUDIT_KEY = re.compile(r"^audit/geotiff/(\d{4}-\d{2}-\d{2})/([A-Z0-9]+)_(\d{2})\.[a-z.]+$")
# What waits in the staging area beside the archive: staged COGs (kept after promotion, so a cleared
# load can read its file again; never promoted when their slice was rejected) and windows left for a
# companion gas that never took them. They go STAGED_DAYS after they were written (the object's own
# time, not the hour they hold: a backfill of last week stages hours older than that, and its load
# must still find them), or at the audit age if that is sooner.
STAGED_DAYS = 2
STAGED_KEY = re.compile(r"^staging/geotiff/(\d{4}-\d{2}-\d{2})/([A-Z0-9]+)_(\d{2})_[0-9a-f]{12}\.tif$")
SHARED_KEY = re.compile(r"^shared/(\d{4}-\d{2}-\d{2})/([0-9a-f-]+)/[^/]+/[^/]+\.npz$")
PREFIXES = ("audit/", "staging/", "shared/")


@dataclass
class PurgeReport:
    what: str
    dry_run: bool
    items: int = 0
    rows: int = 0
    bytes: int = 0
    names: list[str] = field(default_factory=list)
    related_rows: dict[str, int] = field(default_factory=dict)  # rows of other tables that went along

    def summary(self) -> dict[str, Any]:
        related = {f"{table}_rows": n for table, n in self.related_rows.items()}
        return {"what": self.what, "dry_run": self.dry_run, "items": self.items, "rows": self.rows,
                "bytes": self.bytes, **related}  # fmt: skip


def retention_hours_by_gas(default: int, overrides: Mapping[str, Any] | None) -> dict[str, int]:
    """Hours to keep per gas: `default`, with per-gas `overrides` (e.g. {"NO2": 336})."""
    hours = dict.fromkeys(GAS_NAMES, int(default))
    for gas, value in (overrides or {}).items():
        if gas not in hours:
            raise ValueError(f"retention override for unknown gas {gas!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValueError(f"retention for {gas} must be a whole number of hours, got {value!r}")
        if int(value) < 1:
            raise ValueError(f"retention for {gas} must be at least 1 hour, got {value}")
        hours[gas] = int(value)
    return hours


def purge_slices(conn: Any, now: datetime, hours_by_gas: Mapping[str, int], dry_run: bool) -> PurgeReport:
    """Drop every slice older than its gas's retention: one `DROP TABLE` per partition, no DELETE.
    The saved routes' exposure rows computed from a slice go with it, in the same transaction; slices
    the quality checks rejected (never published) go at the same age."""
    report = PurgeReport("grid slices", dry_run, related_rows={"route_exposure": 0})
    for gas, hours in hours_by_gas.items():
        cutoff = now - timedelta(hours=hours)
        with conn.cursor() as cur:
            cur.execute(load_sql("retention/find_expired_slices.sql"), {"gas": gas, "cutoff": cutoff})
            expired = cur.fetchall()
        conn.commit()
        for gas_type, hour, table, rows, size, exposure_rows in expired:
            report.items += 1
            report.rows += rows
            report.bytes += size or 0
            report.related_rows["route_exposure"] += exposure_rows
            report.names.append(f"{gas_type} {hour:%Y-%m-%d %H}:00 ({table})")
            if dry_run:
                continue
            with conn.cursor() as cur:
                lock_slice(cur, gas_type, hour)  # never drop a slice while it is being replaced
                slice_params = {"gas": gas_type, "hour": hour, "table": table}
                cur.execute(load_sql("retention/forget_slice.sql"), slice_params)
                if cur.rowcount:
                    cur.execute(load_sql("grid/drop_slice_table.sql").format(table=slice_table(cur, table)))
                    cur.execute(load_sql("retention/forget_route_exposure.sql"), slice_params)
            conn.commit()
        _purge_rejected(conn, gas, cutoff, dry_run, report)
    return report


def _purge_rejected(conn: Any, gas: str, cutoff: datetime, dry_run: bool, report: PurgeReport) -> None:
    with conn.cursor() as cur:
        cur.execute(load_sql("retention/find_expired_rejected_slices.sql"), {"gas": gas, "cutoff": cutoff})
        rejected = cur.fetchall()
        for gas_type, hour, table, rows, size in rejected:
            report.items += 1
            report.rows += max(rows, 0)
            report.bytes += size
            report.names.append(f"{gas_type} {hour:%Y-%m-%d %H}:00 ({table}, rejected by the quality checks)")
            if not dry_run:
                cur.execute(load_sql("retention/forget_rejected_slice.sql"), {"table": table})
                cur.execute(load_sql("grid/drop_slice_table.sql").format(table=slice_table(cur, table)))
    conn.commit()


def purge_ledger(conn: Any, now: datetime, days: int, dry_run: bool) -> PurgeReport:
    report = PurgeReport("ingest_log rows", dry_run)
    params = {"cutoff": now - timedelta(days=days)}
    with conn.cursor() as cur:
        if dry_run:
            cur.execute(load_sql("retention/count_ingest_log.sql"), params)
            report.rows = report.items = cur.fetchone()[0]
        else:
            cur.execute(load_sql("retention/purge_ingest_log.sql"), params)
            report.rows = report.items = cur.rowcount
            cur.execute(load_sql("retention/purge_stale_waits.sql"))
            report.related_rows["publication_wait"] = cur.rowcount
    conn.commit()
    return report


def expired_audit_objects(
    objects: Iterable[tuple[str, int, datetime]], now: datetime, days: int
) -> list[tuple[str, int]]:
    """(key, size) of what retention deletes among (key, size, written) objects: audit objects whose
    hour is older than `days`; staged and shared objects written more than STAGED_DAYS (or `days`, if
    sooner) ago. Keys of other shapes are kept."""
    cutoff = now - timedelta(days=days)
    staged_cutoff = now - timedelta(days=min(days, STAGED_DAYS))
    expired = []
    for key, size, written in objects:
        if STAGED_KEY.match(key) or SHARED_KEY.match(key):
            if written < staged_cutoff:
                expired.append((key, size))
            continue
        audit = AUDIT_KEY.match(key)
        if not audit:
            continue
        try:
            hour = datetime.strptime(f"{audit[1]} {audit[3]}", "%Y-%m-%d %H").replace(tzinfo=UTC)
        except ValueError:
            log.warning("audit retention: skipping %s: its date or hour is not a real one", key)
            continue
        if hour < cutoff:
            expired.append((key, size))
    return expired
