"""aeris.tasks.catalog: each gas's product for the hour, and the gases read from one collection. The
resolution through CMR and its cache: tests/lib/db/test_collections.py and tests/e2e."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.tasks.catalog import _ttl_s, with_companions

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
BBOX = (-100.0, 30.0, -98.0, 32.0)
O3TOT = "C3685896625-LARC_CLOUD"


def product(gas: str, collection: str) -> GasHour:
    return GasHour(DEFAULT_CATALOG[gas], HOUR, BBOX, collection, "standard")


def test_gases_sharing_a_collection_know_each_other():
    o3, ai, no2 = with_companions([product("O3", O3TOT), product("AI", O3TOT), product("NO2", "C-NO2")])
    assert o3.companions == (
        ("AI", DEFAULT_CATALOG["AI"].variable, DEFAULT_CATALOG["AI"].quality_variable or ""),
    )
    assert ai.companions == (
        ("O3", DEFAULT_CATALOG["O3"].variable, DEFAULT_CATALOG["O3"].quality_variable or ""),
    )
    assert no2.companions == ()


def test_cmr_names_are_reused_for_aeris_cmr_collection_ttl_hours(monkeypatch):
    monkeypatch.delenv("AERIS_CMR_COLLECTION_TTL_HOURS", raising=False)
    assert _ttl_s() == 24 * 3600
    monkeypatch.setenv("AERIS_CMR_COLLECTION_TTL_HOURS", "0.5")
    assert _ttl_s() == 1800
