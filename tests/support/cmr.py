"""One NO2 hour as CMR lists it, and holding it back in the emulator's CMR (TEMPO publishing late)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harmony_emulator.scans import granule_name, scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.emulator import Emulator

H = datetime(2024, 9, 2, 16, tzinfo=UTC)
NO2 = concept_id("NO2")
BBOX = [-100.0, 35.0, -98.0, 37.0]
HOUR_GRANULES = [granule_name(NO2, s) for s in scans_overlapping(H, H + timedelta(hours=1))]


def hold(emulator, available_in_s: float | None) -> None:
    """Keep H's granules out of `emulator`'s CMR for `available_in_s` seconds (None: for good)."""
    Emulator(emulator.base_url).hold(H, available_in_s)
