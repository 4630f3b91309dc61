"""What the AERIS view shows for a window of hours: each gas's outcome per hour (from the ledger) and
where each loaded hour came from, the newest loaded hour per gas (its map), the gaps, and how fresh
the data is over the week before. Plain data: the Airflow plugin renders it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aeris_lib.db.sql import load_sql
from aeris_lib.defaults import CONUS
from aeris_lib.freshness import LagPoint
from aeris_lib.gaps import find_gaps

# Ledger statuses as an operator reads them.
OUTCOME_LABELS = {
    "success": "loaded",
    "unchanged": "unchanged",
    "kept_standard": "unchanged",
    "not_published": "not published",
    "no_scan": "no scan",
    "no_product": "no product",
    "circuit_open": "breaker open",
    "wrong_version": "wrong version",
    "failed": "failed",
    "harmony_failed": "failed",
    "quality_failed": "failed",
}


@dataclass(frozen=True)
class Cell:
    status: str
    label: str
    detail: str = ""
    product: str = ""  # "short_name version" the attempt asked for ("" when not recorded)
    source: Source | None = None  # where a loaded hour came from


@dataclass(frozen=True)
class Source:
    """A load's provenance, as the ledger records it."""

    line: str  # "nrt" or "standard"
    granules: tuple[str, ...]
    shape: str  # the request shape: native, netcdf, hoss, geotiff ("" when not recorded)
    bytes_moved: int | None


FRESHNESS_DAYS = 7


@dataclass
class Overview:
    start: datetime
    end: datetime
    gases: list[str]
    hours: list[datetime] = field(default_factory=list)  # newest first
    cells: dict[tuple[str, datetime], Cell] = field(default_factory=dict)
    newest_loaded: dict[str, datetime] = field(default_factory=dict)
    gaps: dict[datetime, list[str]] = field(default_factory=dict)
    # The week before `end`: each published hour's lag, the hours never published, each gas's newest.
    lags: list[LagPoint] = field(default_factory=list)
    never_published: list[tuple[str, datetime]] = field(default_factory=list)
    latest: dict[str, datetime] = field(default_factory=dict)

    def wrong_versions(self) -> list[tuple[str, datetime, Cell]]:
        """(gas, hour, cell) of every hour whose product had no granules while another version did."""
        return sorted(
            ((gas, hour, cell) for (gas, hour), cell in self.cells.items() if cell.status == "wrong_version"),
            key=lambda item: item[1], reverse=True,
        )  # fmt: skip

    def counts(self, gas: str) -> dict[str, int]:
        """How many hours of the window ended in each label, for one gas."""
        counted: dict[str, int] = {}
        for (cell_gas, _), cell in self.cells.items():
            if cell_gas == gas:
                counted[cell.label] = counted.get(cell.label, 0) + 1
        return counted


def window_end(conn, until: datetime | None = None) -> datetime:
    """The end of the window: `until`, else one hour after the newest hour in the ledger."""
    if until is not None:
        return until
    with conn.cursor() as cur:
        cur.execute(load_sql("ui/newest_hour.sql"))
        (newest,) = cur.fetchone()
    conn.rollback()
    if newest is None:
        raise LookupError("the ledger is empty: no hour has been ingested yet")
    return newest + timedelta(hours=1)


def load_overview(
    conn, gases: Iterable[str], end: datetime, *, hours: int = 24, bbox: Sequence[float] | None = None
) -> Overview:
    """The `hours` hours before `end`: outcomes, newest loaded hour per gas, gaps (daytime hours of
    `bbox` without a load)."""
    end = end.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=hours)
    overview = Overview(start, end, list(gases))
    overview.hours = [end - timedelta(hours=h) for h in range(1, hours + 1)]
    with conn.cursor() as cur:
        cur.execute(load_sql("ui/ledger_window.sql"), {"start": start, "end": end})
        for gas, hour, status, detail, product, line, granules, shape, moved in cur.fetchall():
            if gas in overview.gases:
                source = Source(line, tuple(granules), shape, moved) if status == "success" else None
                overview.cells[(gas, hour)] = Cell(
                    status, OUTCOME_LABELS.get(status, status), detail, product, source
                )
        cur.execute(load_sql("ui/newest_loaded.sql"), {"start": start, "end": end})
        overview.newest_loaded = {gas: hour for gas, hour in cur.fetchall() if gas in overview.gases}
        week = {"start": end - timedelta(days=FRESHNESS_DAYS), "end": end}
        cur.execute(load_sql("ui/freshness.sql"), week)
        overview.lags = [LagPoint(gas, line, hour, float(lag), upgrade)
                         for gas, line, hour, lag, upgrade in cur.fetchall() if gas in overview.gases]  # fmt: skip
        cur.execute(load_sql("ui/never_published.sql"), week)
        overview.never_published = [(gas, hour) for gas, hour in cur.fetchall() if gas in overview.gases]
        cur.execute(load_sql("ui/latest_published.sql"))
        overview.latest = {gas: hour for gas, hour in cur.fetchall() if gas in overview.gases}
    conn.rollback()
    found = find_gaps(conn, overview.gases, end, math.ceil(hours / 24), bbox or CONUS)
    overview.gaps = {hour: missing for hour, missing in found.items() if start <= hour < end}
    return overview
