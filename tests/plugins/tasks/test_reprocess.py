"""aeris.tasks.reprocess: which loaded hours come again: near-real-time ones once the standard product
has them, older versions when a newer one exists, and hours whose granules NASA republished. The DAG
against the emulator: tests/e2e/test_versions_and_publication.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aeris.tasks.reprocess import LoadedSlice, newer_versions_default, republished, why_reload

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from aeris_lib.publication import Granule

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
STANDARD_V04 = GasHour(DEFAULT_CATALOG["NO2"], HOUR, (-100.0, 30.0, -98.0, 32.0), "C3685896708-LARC_CLOUD",
                       "standard", "TEMPO_NO2_L3", "V04")  # fmt: skip


def loaded(line="standard", version="V04", revisions=None) -> LoadedSlice:
    return LoadedSlice("NO2", HOUR, line, version, revisions)


def granule(name: str, revision: int) -> Granule:
    return Granule(name, HOUR, HOUR + timedelta(minutes=40), revision=revision)


def test_nrt_hours_and_older_versions_are_reloaded_the_rest_kept():
    assert why_reload(loaded("nrt", "V02"), STANDARD_V04, newer_versions=False) == "nrt"
    assert why_reload(loaded(version="V03"), STANDARD_V04, newer_versions=True) == "TEMPO_NO2_L3 V03"
    assert why_reload(loaded(version="V03"), STANDARD_V04, newer_versions=False) is None
    assert why_reload(loaded(version="V04"), STANDARD_V04, newer_versions=True) is None
    assert why_reload(loaded(version=None), STANDARD_V04, newer_versions=True) is None


def test_republished_granules_are_those_whose_revision_changed_or_are_new():
    before = loaded(revisions={"a.nc": 1, "b.nc": 1})
    assert republished(before, (granule("a.nc", 1), granule("b.nc", 1))) == []
    assert republished(before, (granule("a.nc", 1), granule("b.nc", 2), granule("c.nc", 1))) == [
        "b.nc",
        "c.nc",
    ]


def test_without_revisions_to_compare_nothing_counts_as_republished():
    assert republished(loaded(revisions=None), (granule("a.nc", 2),)) == []
    assert republished(loaded(revisions={"a.nc": 0}), (granule("a.nc", 2),)) == []
    assert republished(loaded(revisions={"a.nc": 1}), (granule("a.nc", 0),)) == []


def test_newer_versions_are_reloaded_unless_switched_off(monkeypatch):
    monkeypatch.delenv("AERIS_REPROCESS_NEWER_VERSIONS", raising=False)
    assert newer_versions_default() is True
    monkeypatch.setenv("AERIS_REPROCESS_NEWER_VERSIONS", "false")
    assert newer_versions_default() is False
