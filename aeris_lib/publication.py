"""Is a (gas, hour) published yet? The rules that decide, from CMR's granule list and the clock.

TEMPO writes one Level-3 granule per east-west scan (about an hour, starting at any minute), so a
clock hour [H, H+1) usually overlaps two granules, and each appears in CMR 20-90 min after its scan
ended. `assess` turns what CMR lists into one decision:

- **ready**: every scan of the hour is listed. That is, the listed granules cover [H, H+1) up to gaps
  of `COVERAGE_GAP_TOLERANCE` (TEMPO's turn-around between scans) and the time before the day's first
  scan or after its last (`uncovered`). A later scan being listed proves nothing here: files can be
  published out of order. At the deadline, whatever is listed is ready too, marked incomplete.
- **no_scan**: nothing overlaps the hour and it is known that nothing will: the hour is outside TEMPO's
  scan window (about 10:00-01:00 UTC) or the sun is below the horizon over the whole bbox for the
  whole hour (`scan_expected`), or CMR lists the observing day's first scan (`S001`) starting after
  the hour. Decided at once. Only S001 proves that: about 7 % of adjacent scans reach CMR out of
  order, so a later scan of any other number may be listed before this hour's own. Scans run back to
  back through TEMPO's day, so a hole *between* two listed granules is a missing file, not a missing
  scan: that hour waits for the deadline, then counts as not published (a gap). At the deadline, an
  hour with nothing listed around it that ends before TEMPO's day usually starts in its season
  (`usual_day_start`) is no_scan too: in winter S001 starts ~13:20 UTC, and a standard-only line (O3TOT)
  lists it ~2 h after it ends, past the 11:00 and 12:00 hours' deadlines.
- **not_published**: a daytime hour with nothing listed at the deadline (end of the hour + deadline).
- **wait**: otherwise; ask CMR again later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from aeris_lib.gases import TEMPO_SCAN_HOURS_UTC

# Gaps between consecutive scans (turn-around) shorter than this do not make an hour incomplete.
COVERAGE_GAP_TOLERANCE = timedelta(minutes=10)
# CMR is asked for granules from this long before the hour to this long after it: to see whether a
# later scan exists, and whether the hour lies inside a running sequence of scans.
LOOKBEHIND = timedelta(hours=2)
LOOKAHEAD = timedelta(hours=3)
# Consecutive scans closer than this belong to one observing sequence (one TEMPO day).
SEQUENCE_GAP = timedelta(minutes=90)
# When TEMPO's observing day starts (reference, "Scan numbers"): S001 at about 10:31 UTC in summer and
# 13:20 UTC in winter; between them it follows the sun (a cosine over the year, 1 at the June solstice).
# The margin keeps a day that starts a little early from being taken for one that has not started.
FIRST_SCAN_SUMMER, FIRST_SCAN_WINTER = timedelta(hours=10, minutes=31), timedelta(hours=13, minutes=20)
FIRST_SCAN_MARGIN = timedelta(minutes=15)


# TEMPO's file names end in the scan number of the observing day: `…_20240806T103126Z_S001.nc`.
_SCAN_NUMBER = re.compile(r"_S(\d{3})(?:_[^.]*)?\.nc4?$")


@dataclass(frozen=True)
class Granule:
    """One granule as CMR lists it: its name (GranuleUR), scan start and end, concept id, and the
    revision of its record (`meta.revision-id`: a republished file gets a new one; 0 = not known), and
    the file's size (`DataGranule.ArchiveAndDistributionInformation`; 0 = not listed)."""

    name: str
    start: datetime
    end: datetime
    concept_id: str = ""
    revision: int = 0
    size_bytes: int = 0  # the file's size as CMR lists it (0 = not listed)
    listed_at: datetime | None = None  # when CMR took this revision of the record (`meta.revision-date`)

    @property
    def scan_number(self) -> int | None:
        """TEMPO's scan number within its observing day (1 = the day's first scan), from the name."""
        found = _SCAN_NUMBER.search(self.name)
        return int(found.group(1)) if found else None

    def to_dict(self) -> dict[str, str | int | None]:
        """JSON values; `listed_at` only when CMR said it (an XCom written before it existed reads back
        the same)."""
        raw = {**asdict(self), "start": self.start.isoformat(), "end": self.end.isoformat()}
        raw.pop("listed_at")
        return raw | ({"listed_at": self.listed_at.isoformat()} if self.listed_at else {})

    @classmethod
    def from_dict(cls, raw: dict) -> Granule:
        return cls(
            raw["name"],
            datetime.fromisoformat(raw["start"]),
            datetime.fromisoformat(raw["end"]),
            raw.get("concept_id", ""),
            int(raw.get("revision") or 0),
            int(raw.get("size_bytes") or 0),
            datetime.fromisoformat(raw["listed_at"]) if raw.get("listed_at") else None,
        )


@dataclass(frozen=True)
class Publication:
    """What to do about a (collection, hour) now. `state`: ready | wait | no_scan | not_published."""

    state: str
    reason: str
    granules: tuple[Granule, ...] = field(default=())
    complete: bool = True

    def to_event(self) -> dict:
        return {
            "status": self.state,
            "reason": self.reason,
            "granules": [g.to_dict() for g in self.granules],
            "complete": self.complete,
        }

    @classmethod
    def from_event(cls, event: dict) -> Publication:
        return cls(
            event["status"],
            event.get("reason", ""),
            tuple(Granule.from_dict(g) for g in event.get("granules", [])),
            event.get("complete", True),
        )


def solar_terms(when: datetime) -> tuple[float, float, float]:
    """(UTC hours, equation of time in minutes, declination in radians) at `when` (NOAA)."""
    when = when.astimezone(UTC)
    hours = when.hour + when.minute / 60 + when.second / 3600
    gamma = 2 * math.pi / 365 * (when.timetuple().tm_yday - 1 + (hours - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    return hours, eqtime, decl


def hour_angle(lon, hours: float, eqtime: float):
    """Solar hour angle in radians at longitude(s) `lon`."""
    return np.radians((hours * 60 + eqtime + 4 * np.asarray(lon, dtype=np.float64)) / 4 - 180)


def solar_elevation(lon, lat, when: datetime):
    """Sun elevation above the horizon in degrees (NOAA's approximation, ~0.5° accurate).
    `lon` and `lat` may be numbers or numpy arrays (broadcast together)."""
    hours, eqtime, decl = solar_terms(when)
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_zenith = np.sin(phi) * math.sin(decl) + np.cos(phi) * math.cos(decl) * np.cos(
        hour_angle(lon, hours, eqtime)
    )
    return 90 - np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))


def max_solar_elevation(bbox: Sequence[float], start: datetime, end: datetime) -> float:
    """Highest sun elevation over a 7 x 7 grid of the bbox, every 10 minutes of [start, end]."""
    west, south, east, north = bbox
    if east < west:  # across the antimeridian
        east += 360
    lon, lat = np.meshgrid(np.linspace(west, east, 7), np.linspace(south, north, 7))
    lon = (lon + 180) % 360 - 180
    steps = int((end - start).total_seconds() // 600)
    return max(
        float(solar_elevation(lon, lat, start + timedelta(minutes=10 * i)).max()) for i in range(steps + 1)
    )


def scan_expected(hour: datetime, bbox: Sequence[float]) -> str | None:
    """None when TEMPO scans the bbox in this hour; else the reason it does not (night, schedule)."""
    if not _in_scan_window(hour):
        return f"outside TEMPO's scan window (about 10:00-01:00 UTC): no scan at {hour:%H}:00 UTC"
    elevation = max_solar_elevation(bbox, hour, hour + timedelta(hours=1))
    if elevation <= 0:
        return f"night over the bbox (sun at most {elevation:.1f}° above the horizon this hour)"
    return None


def usual_day_start(day: date) -> datetime:
    """The earliest TEMPO's observing day usually starts on `day` (UTC), less FIRST_SCAN_MARGIN."""
    summerness = (1 + math.cos(2 * math.pi * (day.timetuple().tm_yday - 172) / 365.25)) / 2
    start = FIRST_SCAN_WINTER - summerness * (FIRST_SCAN_WINTER - FIRST_SCAN_SUMMER)
    minutes = round((start - FIRST_SCAN_MARGIN).total_seconds() / 60)
    return datetime.combine(day, time(), UTC) + timedelta(minutes=minutes)


def _in_scan_window(hour: datetime) -> bool:
    return hour.astimezone(UTC).hour in TEMPO_SCAN_HOURS_UTC


def uncovered(granules: Iterable[Granule], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Stretches of the hour [start, end) that no granule covers and a scan could still fill: longer
    than the turn-around tolerance, and not before the day's first scan (the first granule is S001, or
    the hour before is outside TEMPO's scan window) or after its last one (the hour after is outside
    it)."""
    granules = list(granules)
    gaps = _gaps(granules, start, end)
    first = min(granules, key=lambda g: g.start, default=None)
    day_starts_here = first is not None and first.scan_number == 1
    if gaps and gaps[0][0] == start and (day_starts_here or not _in_scan_window(start - timedelta(hours=1))):
        gaps = gaps[1:]
    if gaps and gaps[-1][1] == end and not _in_scan_window(end):
        gaps = gaps[:-1]
    return gaps


def _gaps(granules: Iterable[Granule], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    gaps, cursor = [], start
    for granule in sorted(granules, key=lambda g: g.start):
        if granule.start - cursor > COVERAGE_GAP_TOLERANCE:
            gaps.append((cursor, min(granule.start, end)))
        cursor = max(cursor, granule.end)
        if cursor >= end:
            break
    if end - cursor > COVERAGE_GAP_TOLERANCE:
        gaps.append((cursor, end))
    return gaps


def missing_text(hour: datetime, granules: Iterable[Granule]) -> str:
    """What of the hour [hour, hour + 1) no listed granule covers yet, as an operator reads it:
    "15:42-16:00 UTC (18 min)"; stretches joined by ", "."""
    end = hour + timedelta(hours=1)
    overlapping = [g for g in granules if g.start < end and g.end > hour]
    gaps = _gaps(overlapping, hour, end)
    if not gaps:
        return "nothing"
    minutes = round(sum((b - a for a, b in gaps), timedelta()).total_seconds() / 60)
    stretches = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in gaps)
    return f"{stretches} UTC ({minutes} min)"


def revisions_of(listing: dict) -> dict[str, int]:
    """{granule name: CMR revision (0: not given)} of a listing's granules (`{"granules": [...]}`, as
    the publication wait and the plans hand them on): what a load records and is compared by."""
    return {g["name"]: int(g.get("revision") or 0) for g in listing.get("granules") or []}


def search_window(hour: datetime) -> tuple[datetime, datetime]:
    """The time range to ask CMR about for the hour starting at `hour`."""
    return hour - LOOKBEHIND, hour + LOOKAHEAD


def deadline_for(hour: datetime, deadline_minutes: float) -> datetime:
    return hour + timedelta(hours=1, minutes=deadline_minutes)


def assess(
    hour: datetime,
    listed: Iterable[Granule],
    *,
    now: datetime,
    deadline: datetime,
    no_scan_reason: str | None = None,
) -> Publication:
    """The decision for [hour, hour + 1) given the granules CMR lists in `search_window(hour)`.

    :param no_scan_reason: `scan_expected(hour, bbox)`: why no scan is expected, or None.
    """
    end = hour + timedelta(hours=1)
    listed = sorted(listed, key=lambda g: g.start)
    overlapping = tuple(g for g in listed if g.start < end and g.end > hour)
    later = [g for g in listed if g.start >= end]
    earlier = [g for g in listed if g.end <= hour]
    scanned_before = bool(earlier) and hour - earlier[-1].end <= SEQUENCE_GAP
    scanned_after = bool(later) and later[0].start - end <= SEQUENCE_GAP
    # A listed scan just before the hour and one just after it: TEMPO was observing through the hour.
    observing = scanned_before and scanned_after
    names = ", ".join(g.name for g in overlapping)
    if overlapping:
        gaps = uncovered(overlapping, hour, end)
        if not gaps:
            return Publication("ready", f"{len(overlapping)} granule(s) cover the hour: {names}", overlapping)
        missing = sum((b - a for a, b in gaps), timedelta()).total_seconds() / 60
        if no_scan_reason or now >= deadline:
            why = "no further scan expected" if no_scan_reason else f"deadline {deadline:%Y-%m-%d %H:%M} UTC"
            return Publication(
                "ready", f"{names}; {missing:.0f} min of the hour uncovered ({why}): loading what is published",
                overlapping, complete=False,
            )  # fmt: skip
        return Publication(
            "wait", f"{names} listed; {missing:.0f} min of the hour not covered yet", overlapping
        )
    if no_scan_reason:
        return Publication("no_scan", no_scan_reason)
    first_of_day = next((g for g in later if g.scan_number == 1), None)
    if first_of_day is not None and not observing:
        return Publication(
            "no_scan", f"the observing day's first scan ({first_of_day.name}) starts after this hour"
        )
    if now >= deadline:
        day_start = usual_day_start(hour.astimezone(UTC).date())
        if not later and not scanned_before and end <= day_start:
            # Nothing around it says TEMPO observed: the day's first scan is just not listed yet.
            return Publication("no_scan", f"nothing listed by the deadline, and the hour ends before TEMPO's day "
                                          f"usually starts (about {day_start + FIRST_SCAN_MARGIN:%H:%M} UTC)")  # fmt: skip
        return Publication("not_published", f"not published by {deadline:%Y-%m-%d %H:%M} UTC")
    if observing:
        return Publication(
            "wait", f"no granule listed yet, though CMR lists scans before and after ({later[0].name})"
        )
    if later:  # published out of order: this hour's scan may still come
        return Publication(
            "wait", f"no granule listed yet; CMR lists a later scan ({later[0].name}), not the day's first"
        )
    return Publication("wait", "no granule listed yet")
