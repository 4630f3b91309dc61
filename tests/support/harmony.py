"""A Harmony request for the protocol tests, and the hour they ask for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aeris_lib.gases import DEFAULT_CATALOG
from aeris_lib.harmony import RangesetRequest
from aeris_lib.harmony.request import BBox
from tests.support.catalog_ids import concept_id

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
SMALL = BBox(-100.0, 30.0, -98.0, 32.0)


def request(gas: str = "NO2", hour: datetime = HOUR, **kwargs) -> RangesetRequest:
    product = DEFAULT_CATALOG[gas]
    return RangesetRequest(
        concept_id(gas), (product.variable,), SMALL, hour, hour + timedelta(hours=1), **kwargs
    )
