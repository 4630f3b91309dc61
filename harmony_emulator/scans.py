"""TEMPO's products and scan schedule as the emulator models them: one L3 granule per east-west scan.

Modelled on the public record (shared/reference/harmony-and-tempo.md, "Publication and files in
practice"), not on the pipeline: scan numbers restart at S001 each observing day; in summer S001
starts near 10:31 UTC, with ~40-minute scans at dawn and dusk, hourly ones at midday, the last ending
near 00:52 UTC the next day (17-18 scans); in winter about 11 hourly scans from about 13:20 UTC. Days
in between blend the two. Scans after 00:00 UTC keep the observing day's numbers, but their file
names carry the UTC date. Deterministic per day: `TEMPO_NO2_L3_V04_20240902T103126Z_S001.nc`.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Product:
    short_name: str
    version: str
    line: str  # "standard" (reprocessed, published late) or "nrt" (near real time, published soon)
    # Observing days the collection holds granules for: V03 forward processing ended 2025-09-16.
    first_day: date = date(2023, 8, 1)
    last_day: date = date(2099, 12, 31)

    def holds(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


# Collection concept id -> product: the real TEMPO L3 collections (reference, "Versions"). V04 is the
# standard version now; V03 stopped on 2025-09-16; NRT V02 exists for NO2 and HCHO only.
V03_LAST_DAY = date(2025, 9, 16)
PRODUCTS = {
    "C2930763263-LARC_CLOUD": Product("TEMPO_NO2_L3", "V03", "standard", last_day=V03_LAST_DAY),
    "C2930761273-LARC_CLOUD": Product("TEMPO_HCHO_L3", "V03", "standard", last_day=V03_LAST_DAY),
    "C2930764281-LARC_CLOUD": Product("TEMPO_O3TOT_L3", "V03", "standard", last_day=V03_LAST_DAY),
    "C3685896708-LARC_CLOUD": Product("TEMPO_NO2_L3", "V04", "standard"),
    "C3685897141-LARC_CLOUD": Product("TEMPO_HCHO_L3", "V04", "standard"),
    "C3685896625-LARC_CLOUD": Product("TEMPO_O3TOT_L3", "V04", "standard"),
    "C3685668637-LARC_CLOUD": Product("TEMPO_NO2_L3_NRT", "V02", "nrt"),
    "C3685668680-LARC_CLOUD": Product("TEMPO_HCHO_L3_NRT", "V02", "nrt"),
}
SHORT_NAMES = {concept_id: p.short_name for concept_id, p in PRODUCTS.items()}
# O3TOT L3 V04 first shipped on a 0.04° (lat) x 0.02° (lon) grid. In April 2026 NASA reprocessed these
# days onto 0.02° and overwrote the files under the same names; CMR tells them apart by revision
# (reference "Overwrites under the same name": Earthdata alert of 2026-04-03).
O3TOT_V04 = "C3685896625-LARC_CLOUD"
REGRIDDED_DAYS = (
    (date(2023, 8, 2), date(2023, 9, 7)),
    (date(2024, 7, 15), date(2024, 8, 15)),
    (date(2025, 9, 17), date(2026, 4, 1)),
)
REGRIDDED_ON = datetime(2026, 4, 3, tzinfo=UTC)
# The product family of a short name: the NRT products carry the standard ones' variables.
FAMILY = {concept_id: p.short_name.removesuffix("_NRT") for concept_id, p in PRODUCTS.items()}


def version_of(collection_id: str) -> str:
    return PRODUCTS[collection_id].version if collection_id in PRODUCTS else "V04"


def is_nrt(collection_id: str) -> bool:
    return collection_id in PRODUCTS and PRODUCTS[collection_id].line == "nrt"


def holds_day(collection_id: str, day: date) -> bool:
    """Whether the collection has granules for this observing day."""
    return collection_id not in PRODUCTS or PRODUCTS[collection_id].holds(day)


@dataclass(frozen=True)
class Scan:
    number: int
    start: datetime
    end: datetime
    # The granule's CMR revision: 1 when first published, higher after a republication (same name).
    revision: int = 1
    # The file is on O3TOT V04's former grid (0.04° of latitude), as before NASA overwrote it.
    former_grid: bool = False

    @property
    def mid(self) -> datetime:
        return self.start + (self.end - self.start) / 2

    @property
    def observing_day(self) -> date:
        """The day whose scan numbers this scan carries (scans after 00:00 UTC keep the day before's)."""
        return (self.start - timedelta(hours=4)).date()

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and self.end > start


def summerness(day: date) -> float:
    """1 at the June solstice, 0 at the December one."""
    return (1 + math.cos(2 * math.pi * (day.timetuple().tm_yday - 172) / 365.25)) / 2


def scans_of_day(day: date) -> list[Scan]:
    """The observing day's scans: S001 from 13:20 UTC (winter) to 10:31 UTC (summer), up to
    round(4 x summerness) ~40-minute scans at dawn and at dusk, ~hourly scans between, the last one
    ending from about 00:20 UTC (winter) to 00:52 UTC (summer) the next day."""
    rng = random.Random(f"tempo-scans|{day.isoformat()}")
    season = summerness(day)
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    first = midnight + timedelta(minutes=800 - season * 169 + rng.randint(-4, 4))
    last_end = midnight + timedelta(days=1, minutes=20 + season * 32 + rng.randint(-4, 4))
    short = round(4 * season)
    # Every scan is followed by a 20-150 s turn-around (mean ~1.4 min) before the next one starts.
    middle = (last_end - first).total_seconds() / 60 - 2 * short * 41.4
    hourly = max(1, round(middle / 61.4))
    lengths = [40.0] * short + [middle / hourly - 1.4] * hourly + [40.0] * short
    scans, cursor = [], first
    for number, minutes in enumerate(lengths, start=1):
        end = cursor + timedelta(seconds=minutes * 60 + rng.randint(-60, 60))
        scans.append(Scan(number, cursor, end))
        cursor = end + timedelta(seconds=rng.randint(20, 150))
    return scans


def regridded(collection_id: str, scan: Scan) -> bool:
    """Whether NASA overwrote this granule with a file on another grid (O3TOT V04, REGRIDDED_DAYS)."""
    day = scan.start.astimezone(UTC).date()
    return collection_id == O3TOT_V04 and any(first <= day <= last for first, last in REGRIDDED_DAYS)


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
