"""What a run of `aeris_tempo_hourly` asks for (hour, gases, bbox), checked before any request.

Every problem names its Param. A future hour is refused: its publication wait could only end at the
deadline, and two such runs would fill `max_active_runs` and stop hourly ingestion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aeris_lib.gases import GAS_NAMES
from aeris_lib.harmony.request import BBox


class RunParamError(ValueError):
    """A run Param is invalid; the message starts with the Param's name."""


def last_completed_hour(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def run_hour(value: object, interval_start: datetime | None, now: datetime) -> datetime:
    """The hour to ingest: the `hour` Param (ISO, on the hour, already ended), else the run's data
    interval, else the last completed hour."""
    if value:
        try:
            hour = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise RunParamError(f"param 'hour': not an ISO date-time: {value!r}") from None
        hour = hour if hour.tzinfo else hour.replace(tzinfo=UTC)
        if (hour.minute, hour.second, hour.microsecond) != (0, 0, 0):
            raise RunParamError(
                f"param 'hour': {value} is not the start of an hour (e.g. 2024-09-01T15:00:00Z)"
            )
    elif interval_start is not None:
        hour = interval_start
    else:
        return last_completed_hour(now)
    # A plain datetime, not the run's pendulum DateTime: pendulum's `+ timedelta` on a stdlib-UTC time
    # drops the zone, and later comparisons with aware times fail.
    hour = datetime.fromtimestamp(hour.timestamp(), UTC)
    latest = last_completed_hour(now)
    if hour > latest:
        raise RunParamError(
            f"param 'hour': {hour.isoformat()} has not ended yet; the latest hour that can be ingested "
            f"is {latest.isoformat()}"
        )
    return hour


def run_gases(value: object, default: Sequence[str]) -> list[str]:
    """`None` means the default gases; an explicit list must be non-empty, known and distinct."""
    if value is None:
        return list(default)
    if not isinstance(value, list | tuple) or not all(isinstance(g, str) for g in value):
        raise RunParamError(f"param 'gases': expected a list of gas names, got {value!r}")
    if not value:
        raise RunParamError(f"param 'gases': empty; name at least one of {list(GAS_NAMES)}")
    unknown = [g for g in value if g not in GAS_NAMES]
    if unknown:
        raise RunParamError(f"param 'gases': unknown {unknown}; choose from {list(GAS_NAMES)}")
    duplicates = sorted({g for g in value if list(value).count(g) > 1})
    if duplicates:
        raise RunParamError(f"param 'gases': {duplicates} listed more than once")
    return list(value)


def run_bbox(value: object, default: Sequence[float]) -> list[float]:
    """[west, south, east, north] in degrees; west < east (TEMPO's field of regard does not cross the
    antimeridian)."""
    bbox = default if value is None else value
    if (
        not isinstance(bbox, list | tuple)
        or len(bbox) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
    ):
        raise RunParamError(f"param 'bbox': expected [west, south, east, north] numbers, got {bbox!r}")
    west, south, east, north = (float(v) for v in bbox)
    problems = BBox(west, south, east, north).problems()
    if not problems and not all(map(math.isfinite, (west, east))):
        problems.append("bbox values must be finite")
    if not problems and west > east:
        problems.append(
            f"bbox.west ({west}) must be less than bbox.east ({east}): TEMPO does not cross the antimeridian"
        )
    if problems:
        raise RunParamError("param 'bbox': " + "; ".join(problems))
    return [west, south, east, north]
