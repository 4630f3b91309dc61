"""aeris_lib.gas_hour: the typed XCom every per-gas task takes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)


def planned(**changes) -> GasHour:
    base = GasHour(
        DEFAULT_CATALOG["NO2"],
        HOUR,
        (-100.0, 30.0, -98.0, 32.0),
        "C1-LARC_CLOUD",
        "nrt",
        "TEMPO_NO2_L3_NRT",
        "V02",
    )
    return replace(base, **changes)


def test_round_trip_through_json_keeps_every_field():
    listing = {"granules": [{"name": "G1", "start": "2024-09-01T15:00:00+00:00"}], "complete": True}
    original = planned(upgraded_from="nrt", publication=listing)
    value = json.loads(json.dumps(original.to_xcom()))  # what the XCom backend stores
    back = GasHour.from_xcom(value)
    assert back == original and back.publication == listing
    assert back.hour == HOUR and back.hour.tzinfo is not None
    assert back.entry.quality_variable == "product/main_data_quality_flag"


def test_the_xcom_reads_plainly_in_the_ui():
    value = planned().to_xcom()
    assert list(value)[:2] == ["gas", "hour"]
    assert value["gas"] == "NO2" and value["hour"] == "2024-09-01T15:00:00+00:00"
    assert value["bbox"] == [-100.0, 30.0, -98.0, 32.0]


def test_an_older_xcom_with_an_unknown_catalog_field_still_reads():
    value = planned().to_xcom()
    value["entry"]["retired_field"] = 1
    assert GasHour.from_xcom(value).gas == "NO2"


def test_label_names_the_product_else_the_line():
    assert planned().label == "TEMPO_NO2_L3_NRT V02"
    assert planned(short_name="", version="").label == "nrt"


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"hour": datetime(2024, 9, 1, 15)}, "timezone-aware"), ({"bbox": (1.0, 2.0)}, "west, south")],
)
def test_bad_values_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        planned(**changes)
