"""aeris_lib.gases: the gas catalog and its overrides (Variable `aeris_gas_catalog` or a file)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.gases import DEFAULT_CATALOG, CatalogError, build_catalog

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"verified": "no"}, "NO2.verified: must be true or false"),
        ({"units": 5}, "NO2.units: must be a non-empty string"),
        ({"collection_id": 7}, "NO2.collection_id: must be a string"),
        ({"short_name": "", "collection_id": ""}, "NO2: name the standard product by short_name and version"),
        ({"nrt_version": ""}, "NO2: nrt_short_name and nrt_version go together"),
        ({"line": "fast"}, "NO2.line: must be one of auto, nrt, standard"),
        ({"nrt_short_name": "", "nrt_version": "", "line": "nrt"}, "NO2.line: nrt, but the entry names no"),
        ({"note": ["x"]}, "NO2.note: must be a string"),
        ({"pixel_degrees": True}, "NO2.pixel_degrees: must be a number"),
        ({"pixel_degrees": 0}, "NO2.pixel_degrees: must be a number"),
        ({"request_shape": "zarr"}, "NO2.request_shape: must be one of"),
        ({"former_grids": [[0.02, 0.03]]}, r"NO2.former_grids: \[0.02, 0.03\] is not a \[longitude step"),
        ({"former_grids": [0.04]}, "NO2.former_grids: 0.04 is not a"),
        ({"former_grids": "0.04"}, "NO2.former_grids: must be a list"),
    ],
)
def test_catalog_override_fields_are_type_checked(entry, message):
    with pytest.raises(CatalogError, match=message):
        build_catalog({"NO2": entry})


def test_a_valid_override_still_applies():
    catalog = build_catalog({"NO2": {"collection_id": "C3685896708-LARC_CLOUD", "verified": True}})
    assert catalog["NO2"].collection_id == "C3685896708-LARC_CLOUD" and catalog["NO2"].pixel_degrees == 0.02
    assert catalog["NO2"].product_name("standard") == ("TEMPO_NO2_L3", "latest", "C3685896708-LARC_CLOUD")


def test_o3tot_gases_name_nasas_former_grid_and_an_override_of_it_round_trips_through_json():
    """O3TOT V04 was on 0.04° of latitude x 0.02° of longitude until April 2026 (reference)."""
    catalog = build_catalog(json.dumps({"NO2": {"former_grids": [[0.04, 0.04]]}}))
    assert catalog["O3"].former_grids == catalog["AI"].former_grids == ((0.02, 0.04),)
    assert catalog["NO2"].former_grids == ((0.04, 0.04),) and catalog["CH2O"].former_grids == ()
    again = build_catalog({"NO2": json.loads(json.dumps(catalog["NO2"].to_dict()))})
    assert again["NO2"] == catalog["NO2"]


def test_every_standard_product_defaults_to_the_latest_version_and_a_pin_wins():
    catalog = build_catalog()
    standard = {g: e.product_name("standard")[1] for g, e in catalog.items() if e.short_name}
    assert standard == {"NO2": "latest", "CH2O": "latest", "AI": "latest", "O3": "latest"}
    assert build_catalog({"O3": {"version": "V03"}})["O3"].product_name("standard")[1] == "V03"


def test_lines_default_to_nrt_where_tempo_has_one():
    catalog = build_catalog()
    assert {g: catalog[g].chosen_line() for g in catalog} == {
        "NO2": "nrt", "CH2O": "nrt", "AI": "standard", "PM": "standard", "O3": "standard"}  # fmt: skip
    assert catalog["NO2"].product_name("nrt") == ("TEMPO_NO2_L3_NRT", "V02", "")
    assert build_catalog({"NO2": {"line": "standard"}})["NO2"].chosen_line() == "standard"
    v04 = build_catalog({"NO2": {"version": "V04"}})["NO2"]  # one field changes, the rest stay
    assert (
        v04.product_name("standard") == ("TEMPO_NO2_L3", "V04", "")
        and v04.nrt_short_name == "TEMPO_NO2_L3_NRT"
    )


def test_no_override_is_the_default_catalog():
    assert build_catalog() == DEFAULT_CATALOG and build_catalog("") == DEFAULT_CATALOG


def test_json_text_overrides_like_a_mapping_and_leaves_other_gases_alone():
    text = json.dumps({"O3": {"variable": "product/column_amount_o3_v2", "units": "DU"}})
    catalog = build_catalog(text)
    assert catalog["O3"].variable == "product/column_amount_o3_v2"
    assert {g: e for g, e in catalog.items() if g != "O3"} == {
        g: e for g, e in DEFAULT_CATALOG.items() if g != "O3"
    }
    assert DEFAULT_CATALOG["O3"].variable == "product/column_amount_o3"  # the default itself is untouched


def test_an_override_can_verify_a_product_with_its_own_collection():
    catalog = build_catalog({"PM": {"collection_id": "C9999999999-LARC_CLOUD", "variable": "product/pm25",
                                     "verified": True, "note": ""}})  # fmt: skip
    assert catalog["PM"].verified and catalog["PM"].product_name("standard")[2] == "C9999999999-LARC_CLOUD"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object keyed by gas name"),
        ({"SO2": {}}, "SO2: unknown gas"),
        ({"NO2": "x"}, "NO2: entry must be an object"),
        ({"NO2": {"colour": "red"}}, "NO2: unknown field"),
    ],
)
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(CatalogError, match=message):
        build_catalog(override)


def test_every_problem_is_reported_at_once():
    with pytest.raises(CatalogError) as error:
        build_catalog({"SO2": {}, "NO2": {"verified": "no"}, "O3": {"units": 5}})
    assert all(part in str(error.value) for part in ("SO2: unknown gas", "NO2.verified", "O3.units"))


def test_an_hour_older_than_the_nrt_window_is_asked_of_the_standard_line():
    catalog, now = build_catalog(), datetime(2026, 12, 6, 18, tzinfo=UTC)
    no2 = catalog["NO2"]
    line, why = no2.line_for_hour(now - timedelta(days=20), now, 14)
    assert line == "standard" and "14-day near-real-time window" in why
    # A day's margin: 13.5 days old is asked of the standard line too, whose granules are out by then.
    assert no2.line_for_hour(now - timedelta(days=13, hours=12), now, 14)[0] == "standard"
    assert no2.line_for_hour(now - timedelta(days=2), now, 14)[0] == "nrt"
    assert no2.line_for_hour(now - timedelta(days=900), now, 0)[0] == "nrt"  # 0: no window
    # O3 has no NRT product; an explicit line is the catalog's choice whatever the age.
    assert catalog["O3"].line_for_hour(now, now, 14) == (
        "standard",
        "TEMPO has no near-real-time product of this gas",
    )
    pinned = build_catalog({"NO2": {"line": "nrt"}})["NO2"]
    assert pinned.line_for_hour(now - timedelta(days=20), now, 14) == (
        "nrt",
        "the catalog asks for the nrt line",
    )
