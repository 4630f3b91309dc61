"""Where the Sun is, for the emulator's own scenes: the Astronomical Almanac's low-precision solar
coordinates (about 0.01° over 1950-2050) and Greenwich mean sidereal time. Written for the emulator
alone: the pipeline has its own solar model, and a test double must not share code with what it tests.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def declination_and_greenwich_angle(when: datetime) -> tuple[float, float]:
    """(solar declination, Greenwich hour angle of the Sun), both in radians, at `when`."""
    days = (when.astimezone(UTC) - J2000).total_seconds() / 86400
    mean_longitude = math.radians((280.460 + 0.9856474 * days) % 360)
    anomaly = math.radians((357.528 + 0.9856003 * days) % 360)
    ecliptic = mean_longitude + math.radians(1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly))
    obliquity = math.radians(23.439 - 0.0000004 * days)
    right_ascension = math.atan2(math.cos(obliquity) * math.sin(ecliptic), math.cos(ecliptic))
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic))
    sidereal = math.radians((280.46061837 + 360.98564736629 * days) % 360)
    return declination, sidereal - right_ascension


def cos_zenith(lon: np.ndarray, lat: np.ndarray, when: datetime) -> np.ndarray:
    """cos(solar zenith angle) on the grid of `lat` (rows) x `lon` (columns), float32, separable so a
    full-disk grid takes a fraction of a second."""
    declination, greenwich = declination_and_greenwich_angle(when)
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    by_row_sin = (np.sin(phi) * math.sin(declination)).astype(np.float32)[:, np.newaxis]
    by_row_cos = (np.cos(phi) * math.cos(declination)).astype(np.float32)[:, np.newaxis]
    local = greenwich + np.radians(np.asarray(lon, dtype=np.float64))
    return by_row_sin + by_row_cos * np.cos(local).astype(np.float32)
