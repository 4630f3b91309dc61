"""aeris_lib.cmr, its pure parts: CMR's search URLs, product versions, and answers read strictly.
Searches over HTTP against the emulator's CMR: tests/plugins/hooks/test_cmr.py and the sensors' tests."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from aeris_lib.cmr import (
    CmrError,
    collection_search_url,
    granule_search_url,
    newest,
    parse_collection_ids,
    parse_granules,
    version_key,
)

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)


def umm_item(name: str, start: str, end: str, **size) -> dict:
    return {"meta": {"concept-id": f"G-{name}", "revision-id": 3},
            "umm": {"GranuleUR": name, "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": start,
                                                                           "EndingDateTime": end}},
                    "DataGranule": {"ArchiveAndDistributionInformation": [size]}}}  # fmt: skip


def test_versions_compare_by_number_not_text():
    assert version_key("V04") > version_key("V03") > version_key("V2") > version_key("latest")
    assert newest({"V03": "C1", "V04": "C2", "V10": "C3"}) == ("V10", "C3")
    with pytest.raises(ValueError, match="no versions"):
        newest({})


def test_search_urls():
    collections = urlsplit(collection_search_url("https://cmr.earthdata.nasa.gov/", "TEMPO_NO2_L3", None))
    assert collections.path == "/search/collections.json"
    assert parse_qsl(collections.query) == [("short_name", "TEMPO_NO2_L3"), ("provider", "LARC_CLOUD")]
    granules = urlsplit(granule_search_url("https://cmr", "C1-LARC_CLOUD", HOUR, HOUR.replace(hour=16),
                                           (-125, 24, -66, 50), page_num=2))  # fmt: skip
    assert dict(parse_qsl(granules.query)) == {
        "collection_concept_id": "C1-LARC_CLOUD", "temporal": "2024-09-01T15:00:00Z,2024-09-01T16:00:00Z",
        "sort_key": "start_date", "page_size": "100", "page_num": "2", "bounding_box": "-125,24,-66,50",
    }  # fmt: skip


def test_granules_are_read_sorted_with_revision_and_size():
    body = {"items": [umm_item("b.nc", "2024-09-01T15:40:00Z", "2024-09-01T16:20:00Z", Size=0.9, SizeUnit="GB"),
                      umm_item("a.nc", "2024-09-01T15:00:00Z", "2024-09-01T15:40:00Z", SizeInBytes=123)]}  # fmt: skip
    first, second = parse_granules(body)
    assert (first.name, first.start, first.revision, first.size_bytes) == ("a.nc", HOUR, 3, 123)
    assert second.name == "b.nc" and second.size_bytes == int(0.9 * 1024**3)


@pytest.mark.parametrize(
    "body", [None, {"items": "x"}, {"items": [{"umm": {"GranuleUR": "a.nc"}}]}, {"hits": 0}]
)
def test_an_answer_that_is_not_a_granule_search_is_refused(body):
    with pytest.raises(CmrError):
        parse_granules(body)


def test_collection_ids_are_read_strictly():
    assert parse_collection_ids({"feed": {"entry": [{"id": "C1"}, {"id": "C2"}]}}) == ["C1", "C2"]
    for body in ({"feed": {}}, [], {"feed": {"entry": [{"id": ""}]}}):
        with pytest.raises(CmrError):
            parse_collection_ids(body)
