"""How fresh the data is: for each published gas-hour, the time from the hour's end to its slice being
published, summed up per gas, product line and day (median, 95th percentile), and each gas's current
lag as an operator reads it. Pure: the AERIS view loads the points from the ledger."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class LagPoint:
    """One published gas-hour: `lag_min` from the hour's end to publication; `upgrade`: a standard slice
    that replaced the near-real-time one."""

    gas: str
    line: str  # "nrt" or "standard"
    hour: datetime
    lag_min: float
    upgrade: bool = False


@dataclass(frozen=True)
class DayStats:
    gas: str
    line: str
    day: date
    count: int
    median_min: float
    p95_min: float


def daily_stats(points: list[LagPoint]) -> list[DayStats]:
    """Median and 95th percentile of the lag per (gas, line, UTC day of the hour), in day order."""
    groups: dict[tuple[str, str, date], list[float]] = {}
    for point in points:
        groups.setdefault((point.gas, point.line, point.hour.date()), []).append(point.lag_min)
    stats = []
    for (gas, line, day), lags in sorted(
        groups.items(), key=lambda item: (item[0][2], item[0][0], item[0][1])
    ):
        p95 = statistics.quantiles(lags, n=20, method="inclusive")[18] if len(lags) > 1 else lags[0]
        stats.append(DayStats(gas, line, day, len(lags), statistics.median(lags), p95))
    return stats


def duration_text(minutes: float) -> str:
    """ "2 h 05 min", "45 min", "3 d 4 h": how long, as an operator reads it."""
    total = max(0, round(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def behind_text(gas: str, latest_hour: datetime, now: datetime) -> str:
    """ "NO2 latest hour 14:00, 2 h 05 min behind": measured from the end of the latest hour."""
    behind = (now - (latest_hour + timedelta(hours=1))).total_seconds() / 60
    return f"{gas} latest hour {latest_hour:%Y-%m-%d %H}:00 UTC, {duration_text(behind)} behind"
