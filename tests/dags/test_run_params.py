"""A run's Params and the gas catalog are checked before any request; each problem names its field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aeris_lib.gases import CONUS, CatalogError, build_catalog
from aeris_lib.run_params import RunParamError, run_bbox, run_gases, run_hour

NOW = datetime(2024, 9, 2, 14, 7, tzinfo=UTC)  # 14:07: the last completed hour is 13:00


def test_a_future_or_unfinished_hour_is_refused():
    with pytest.raises(RunParamError, match="param 'hour': 2024-09-02T14:00:00\\+00:00 has not ended yet"):
        run_hour("2024-09-02T14:00:00Z", None, NOW)
    with pytest.raises(RunParamError, match="has not ended yet"):
        run_hour("2100-01-01T00:00:00Z", None, NOW)
    assert run_hour("2024-09-02T13:00:00Z", None, NOW) == datetime(2024, 9, 2, 13, tzinfo=UTC)
    assert run_hour(None, None, NOW) == datetime(2024, 9, 2, 13, tzinfo=UTC)


def test_an_hour_not_on_the_hour_is_an_error_not_a_truncation():
    with pytest.raises(RunParamError, match="param 'hour': 2024-09-01T15:30:00Z is not the start of an hour"):
        run_hour("2024-09-01T15:30:00Z", None, NOW)
    with pytest.raises(RunParamError, match="param 'hour': not an ISO date-time"):
        run_hour("yesterday", None, NOW)


def test_gases_must_be_known_distinct_and_not_empty():
    assert run_gases(None, ["NO2", "O3"]) == ["NO2", "O3"]
    with pytest.raises(RunParamError, match=r"param 'gases': \['NO2'\] listed more than once"):
        run_gases(["NO2", "NO2"], [])
    with pytest.raises(RunParamError, match="param 'gases': empty"):
        run_gases([], ["NO2"])
    with pytest.raises(RunParamError, match="param 'gases': unknown"):
        run_gases(["SO2"], [])


def test_bbox_west_must_be_less_than_east():
    assert run_bbox(None, CONUS) == list(CONUS)
    with pytest.raises(RunParamError, match=r"param 'bbox': .*TEMPO does not cross the antimeridian"):
        run_bbox([170, 10, -170, 20], CONUS)
    with pytest.raises(RunParamError, match="param 'bbox': expected"):
        run_bbox([1, 2, 3], CONUS)
    with pytest.raises(RunParamError, match="param 'bbox': expected"):
        run_bbox([True, 2, 3, 4], CONUS)


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
    ],
)
def test_catalog_override_fields_are_type_checked(entry, message):
    with pytest.raises(CatalogError, match=message):
        build_catalog({"NO2": entry})


def test_a_valid_override_still_applies():
    catalog = build_catalog({"NO2": {"collection_id": "C3685896708-LARC_CLOUD", "verified": True}})
    assert catalog["NO2"].collection_id == "C3685896708-LARC_CLOUD" and catalog["NO2"].pixel_degrees == 0.02
    assert catalog["NO2"].product_name("standard") == ("TEMPO_NO2_L3", "V03", "C3685896708-LARC_CLOUD")


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
