"""Gap report: hours TEMPO scanned over the bbox in the last days with no successful load, per gas.

An hour is expected when `aeris_lib.publication.scan_expected` says TEMPO scans the bbox then (scan
window and daylight). It is not a gap when the ledger has a load (success, unchanged) or says why no
data can exist (no_scan: CMR showed no scan; no_product: no verified product). Hours recorded
`not_published` (missing at the deadline), failed or skipped by the circuit breaker are gaps, also
outside the daytime hours: a failed load means CMR listed data for the hour (the day's last scan runs
past sunset over the bbox, and the hourly run loads what is listed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from aeris_lib.db.sql import load_sql
from aeris_lib.gases import CONUS
from aeris_lib.publication import scan_expected


def daytime_hours(start: datetime, end: datetime, bbox: Sequence[float] = CONUS) -> list[datetime]:
    """Hours in [start, end) in which TEMPO scans the bbox (so data should exist)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        if hour >= start and scan_expected(hour, bbox) is None:
            hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def find_gaps(
    conn, gases: Iterable[str], now: datetime, days: float, bbox: Sequence[float] = CONUS
) -> dict[datetime, list[str]]:
    """{hour: [gases without a successful load]} for the daytime hours of the last `days` days,
    up to the last completed hour before `now`. Hours that are fine do not appear."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    window = {"start": start, "end": end}
    with conn.cursor() as cur:
        cur.execute(load_sql("ingest/loaded_hours.sql"), window)
        accounted = {(gas, hour) for gas, hour in cur.fetchall()}
        cur.execute(load_sql("ingest/failed_hours.sql"), window)
        tried = {(gas, hour) for gas, hour in cur.fetchall()}
    conn.rollback()
    daytime = set(daytime_hours(start, end, bbox))
    gaps: dict[datetime, list[str]] = {}
    for hour in sorted(daytime | {hour for _, hour in tried}):
        missing = [
            gas for gas in gases if (gas, hour) not in accounted and (hour in daytime or (gas, hour) in tried)
        ]
        if missing:
            gaps[hour] = missing
    return gaps
