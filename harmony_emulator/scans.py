"""TEMPO's scan schedule as the emulator models it: one L3 granule per east-west scan.

Each UTC day the first scan starts between 10:05 and 10:40, scans last 55-63 min with a short
turn-around (20-150 s) between them, and the last one ends before midnight: about 13 scans a day,
starting at drifting minutes, so most clock hours overlap two granules. Deterministic per day.
File names follow TEMPO's: `TEMPO_NO2_L3_V03_20240902T154034Z_S006.nc` (scan start, scan number);
near-real-time ones `TEMPO_NO2_L3_NRT_V02_…`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Product:
    short_name: str
    version: str
    line: str  # "standard" (reprocessed, published late) or "nrt" (near real time, published soon)


# Collection concept id -> product. The standard ones are the real TEMPO L3 V03 collections (reference
# table). The near-real-time ones are TEMPO's real short names and version (TEMPO_NO2_L3_NRT and
# TEMPO_HCHO_L3_NRT, V02, LARC_CLOUD), under concept ids made up for the emulator (C999…): AERIS never
# hard-codes an NRT concept id, it asks CMR by name.
PRODUCTS = {
    "C2930763263-LARC_CLOUD": Product("TEMPO_NO2_L3", "V03", "standard"),
    "C2930761273-LARC_CLOUD": Product("TEMPO_HCHO_L3", "V03", "standard"),
    "C2930764281-LARC_CLOUD": Product("TEMPO_O3TOT_L3", "V03", "standard"),
    "C9990000001-LARC_CLOUD": Product("TEMPO_NO2_L3_NRT", "V02", "nrt"),
    "C9990000002-LARC_CLOUD": Product("TEMPO_HCHO_L3_NRT", "V02", "nrt"),
}
SHORT_NAMES = {concept_id: p.short_name for concept_id, p in PRODUCTS.items()}
# The standard product of each NRT one (same variables, reprocessed later).
STANDARD_OF = {
    "C9990000001-LARC_CLOUD": "C2930763263-LARC_CLOUD",
    "C9990000002-LARC_CLOUD": "C2930761273-LARC_CLOUD",
}


def version_of(collection_id: str) -> str:
    return PRODUCTS[collection_id].version if collection_id in PRODUCTS else "V03"


def is_nrt(collection_id: str) -> bool:
    return collection_id in PRODUCTS and PRODUCTS[collection_id].line == "nrt"


@dataclass(frozen=True)
class Scan:
    number: int
    start: datetime
    end: datetime

    @property
    def mid(self) -> datetime:
        return self.start + (self.end - self.start) / 2

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and self.end > start


def scans_of_day(day: date) -> list[Scan]:
    rng = random.Random(f"tempo-scans|{day.isoformat()}")
    midnight = datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=1)
    start = datetime.combine(day, time(10), tzinfo=UTC) + timedelta(seconds=rng.randint(5 * 60, 40 * 60))
    scans: list[Scan] = []
    while True:
        end = start + timedelta(seconds=rng.randint(55 * 60, 63 * 60))
        if end > midnight:
            return scans
        scans.append(Scan(len(scans) + 1, start, end))
        start = end + timedelta(seconds=rng.randint(20, 150))


def scans_overlapping(start: datetime, end: datetime) -> list[Scan]:
    day, found = start.astimezone(UTC).date() - timedelta(days=1), []
    while day <= end.astimezone(UTC).date():
        found += [s for s in scans_of_day(day) if s.overlaps(start, end)]
        day += timedelta(days=1)
    return found


def granule_name(collection_id: str, scan: Scan) -> str:
    short = SHORT_NAMES.get(collection_id, collection_id)
    return f"{short}_{version_of(collection_id)}_{scan.start:%Y%m%dT%H%M%S}Z_S{scan.number:03d}.nc"


def granule_concept_id(collection_id: str, scan: Scan) -> str:
    digits = int(hashlib.sha256(granule_name(collection_id, scan).encode()).hexdigest()[:9], 16)
    return f"G{3_000_000_000 + digits % 1_000_000_000}-LARC_CLOUD"


def collection_for(short_name: str, version: str) -> str:
    """The emulated concept id of a product name (what the emulator's CMR answers for it)."""
    for concept_id, product in PRODUCTS.items():
        if (product.short_name, product.version) == (short_name, version):
            return concept_id
    raise KeyError(f"the emulator serves no {short_name} {version}")
