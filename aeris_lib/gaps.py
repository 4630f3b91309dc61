"""Gap report: daytime hours of the last days with no successful load, per gas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from aeris_lib.db.sql import load_sql
from aeris_lib.gases import TEMPO_SCAN_HOURS_UTC


def daytime_hours(start: datetime, end: datetime) -> list[datetime]:
    """Hours in [start, end) that TEMPO scans (so data should exist)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        if hour.hour in TEMPO_SCAN_HOURS_UTC and hour >= start:
            hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def find_gaps(conn, gases: Iterable[str], now: datetime, days: int) -> dict[datetime, list[str]]:
    """{hour: [gases without a successful load]} for the daytime hours of the last `days` days,
    up to the last completed hour before `now`. Hours that are fine do not appear."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    with conn.cursor() as cur:
        cur.execute(load_sql("ingest/loaded_hours.sql"), {"start": start, "end": end})
        loaded = {(gas, hour) for gas, hour in cur.fetchall()}
    conn.rollback()
    gaps: dict[datetime, list[str]] = {}
    for hour in daytime_hours(start, end):
        missing = [gas for gas in gases if (gas, hour) not in loaded]
        if missing:
            gaps[hour] = missing
    return gaps
