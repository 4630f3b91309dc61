"""The emulator's NASA: ASDC keeps near-real-time granules 14 days, the standard ones for good
(reference: "NRT is kept 14 days"). CMR is asked over real HTTP, as the pipeline asks it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aeris.hooks.cmr import CmrHook

from harmony_emulator.state import DEFAULT_NRT_WINDOW_DAYS
from tests.support.catalog_ids import concept_id
from tests.support.emulator import Emulator

BBOX = [-100.0, 35.0, -98.0, 37.0]


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0) - timedelta(days=days)


def _listed(emulator, gas: str, line: str, hour: datetime) -> int:
    return len(
        CmrHook(emulator.base_url).granules(concept_id(gas, line), hour, hour + timedelta(hours=1), BBOX)
    )


def test_nrt_granules_leave_cmr_after_the_window_and_standard_ones_stay(fresh_emulator):
    Emulator(fresh_emulator.base_url).publication({"nrt_window_days": 14})
    old, recent = _days_ago(20), _days_ago(3)
    assert _listed(fresh_emulator, "NO2", "nrt", old) == 0
    assert _listed(fresh_emulator, "NO2", "standard", old) > 0
    assert _listed(fresh_emulator, "NO2", "nrt", recent) > 0
    # 0 keeps them for ever (the suite's fixture hours are from 2024).
    Emulator(fresh_emulator.base_url).publication({"nrt_window_days": 0})
    assert _listed(fresh_emulator, "CH2O", "nrt", old) > 0


def test_the_window_is_nasas_unless_told():
    assert DEFAULT_NRT_WINDOW_DAYS == 14
