"""aeris_lib.harmony.request: a rangeset request checked whole before it leaves, and its URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from aeris_lib.harmony.errors import RequestValidationError
from aeris_lib.harmony.request import BBox, RangesetRequest
from tests.support.harmony import HOUR
from tests.support.harmony import request as small_request

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

START = datetime(2024, 9, 1, 15, tzinfo=UTC)
CONUS = BBox(-125.0, 24.0, -66.0, 50.0)


def request(**changes) -> RangesetRequest:
    values = {"collection_id": "C3685896708-LARC_CLOUD", "variables": ("product/vertical_column_troposphere",),
              "bbox": CONUS, "start": START, "end": START + timedelta(hours=1)}  # fmt: skip
    return RangesetRequest(**{**values, **changes})


def test_the_url_is_harmonys_ogc_coverages_rangeset():
    url = urlsplit(request(force_async=True, max_results=2).url("https://harmony.earthdata.nasa.gov/"))
    assert url.path == ("/C3685896708-LARC_CLOUD/ogc-api-coverages/1.0.0/collections/"
                        "product%2Fvertical_column_troposphere/coverage/rangeset")  # fmt: skip
    assert parse_qsl(url.query) == [
        ("subset", "lon(-125:-66)"), ("subset", "lat(24:50)"),
        ("subset", 'time("2024-09-01T15:00:00Z":"2024-09-01T16:00:00Z")'),
        ("format", "image/tiff"), ("maxResults", "2"), ("forceAsync", "true"),
    ]  # fmt: skip


def test_native_granules_are_variable_all_without_a_format():
    query = parse_qsl(urlsplit(request(variables=("all",), format=None).url("https://h")).query)
    assert "format" not in dict(query) and "/collections/all/" in request(
        variables=("all",), format=None
    ).url("h")


def test_every_problem_is_reported_at_once():
    with pytest.raises(RequestValidationError) as caught:
        request(collection_id=" ", variables=("all", "x"), bbox=BBox(-200, 10, 0, float("nan")),
                start=datetime(2024, 9, 1), format="image/png", max_results=0)  # fmt: skip
    problems = caught.value.problems
    assert any("collection_id" in p for p in problems) and any("'all'" in p for p in problems)
    assert any("bbox.west" in p for p in problems) and any("bbox.north" in p for p in problems)
    assert any("timezone-aware" in p for p in problems) and any("format" in p for p in problems)
    assert any("max_results" in p for p in problems)


def test_boxes_upside_down_or_without_width_fail_but_the_antimeridian_does_not():
    assert BBox(170, -10, -170, 10).problems() == []
    assert "must not exceed" in BBox(0, 10, 1, 5).problems()[0]
    assert "no width" in BBox(5, 0, 5, 1).problems()[0]
    with pytest.raises(RequestValidationError, match="before end"):
        request(end=START)


def test_url_matches_the_ogc_pattern():
    url = small_request().url("https://harmony.earthdata.nasa.gov")
    assert url == (
        "https://harmony.earthdata.nasa.gov/C3685896708-LARC_CLOUD/ogc-api-coverages/1.0.0/collections/"
        "product%2Fvertical_column_troposphere/coverage/rangeset?subset=lon(-100:-98)&subset=lat(30:32)"
        "&subset=time(%222024-09-01T15:00:00Z%22:%222024-09-01T16:00:00Z%22)&format=image/tiff"
    )


def test_request_reports_every_problem_at_once():
    with pytest.raises(RequestValidationError) as info:
        RangesetRequest("", (), BBox(-200, 50, 10, 40), HOUR.replace(tzinfo=None), HOUR, format="netcdf")
    problems = " | ".join(info.value.problems)
    for expected in ("collection_id", "variables", "bbox.west", "start must be timezone-aware", "format"):
        assert expected in problems
