"""The publication rules (aeris_lib.publication) on hand-made granule lists, and the emulator's CMR
granule search over real HTTP agreeing with what its Harmony serves."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.cmr import CmrError, granule_search_url, parse_granules, search_granules
from aeris_lib.gases import CONUS, DEFAULT_CATALOG
from aeris_lib.harmony import JobRef, NoData, RangesetRequest
from aeris_lib.harmony.http import build_session
from aeris_lib.harmony.request import BBox
from aeris_lib.publication import (
    Granule,
    Publication,
    assess,
    max_solar_elevation,
    scan_expected,
    search_window,
    solar_elevation,
)
from harmony_emulator.scans import granule_name, scans_of_day, scans_overlapping
from tests.support.catalog_ids import concept_id

H = datetime(2024, 9, 2, 16, tzinfo=UTC)
DEADLINE = H + timedelta(hours=4)
BEFORE_DEADLINE, AFTER_DEADLINE = H + timedelta(hours=2), H + timedelta(hours=5)
NO2 = concept_id("NO2")


def g(name: str, start: str, end: str) -> Granule:
    return Granule(
        name,
        datetime.fromisoformat(f"2024-09-02T{start}+00:00"),
        datetime.fromisoformat(f"2024-09-02T{end}+00:00"),
    )


A = g("A", "15:20:00", "16:21:00")  # the scan in progress at 16:00
B = g("B", "16:23:00", "17:22:00")  # the scan that starts in the hour
C = g("C", "17:24:00", "18:23:00")  # the next one
EARLIER = g("E", "14:18:00", "15:19:00")


def decide(listed, now=BEFORE_DEADLINE, hour=H, reason=None) -> Publication:
    return assess(hour, listed, now=now, deadline=DEADLINE, no_scan_reason=reason)


def test_solar_elevation_noon_and_midnight():
    # Equator at the September equinox: the sun near the zenith at local noon, far below at midnight.
    assert solar_elevation(0.0, 0.0, datetime(2024, 9, 22, 12, tzinfo=UTC)) > 85
    assert solar_elevation(0.0, 0.0, datetime(2024, 9, 22, 0, tzinfo=UTC)) < -85
    # Denver (-105) at 18 UTC (about 11:00 local solar time) in June: high sun.
    assert 60 < solar_elevation(-105.0, 39.7, datetime(2024, 6, 21, 18, tzinfo=UTC)) < 75


@pytest.mark.parametrize(
    ("hour", "bbox", "expected"),
    [
        (datetime(2024, 9, 2, 16, tzinfo=UTC), CONUS, None),
        (datetime(2024, 9, 2, 4, tzinfo=UTC), CONUS, "outside TEMPO's scan window"),
        # In the scan window, but still dark over a western box (10 UTC is ~03:00 local in California).
        (datetime(2024, 12, 2, 10, tzinfo=UTC), (-124.0, 33.0, -117.0, 40.0), "night over the bbox"),
        # The same hour has daylight over the east coast.
        (datetime(2024, 9, 2, 11, tzinfo=UTC), (-80.0, 35.0, -70.0, 45.0), None),
    ],
)
def test_scan_expected_from_window_and_daylight(hour, bbox, expected):
    reason = scan_expected(hour, bbox)
    assert (reason is None) if expected is None else expected in reason
    if expected == "night over the bbox":
        assert max_solar_elevation(bbox, hour, hour + timedelta(hours=1)) <= 0


def test_two_scans_covering_the_hour_are_ready():
    decision = decide([EARLIER, A, B])
    assert (decision.state, decision.granules, decision.complete) == ("ready", (A, B), True)


def test_first_scan_only_waits_for_the_second():
    decision = decide([EARLIER, A])
    assert decision.state == "wait" and "not covered yet" in decision.reason


def test_a_scan_missing_between_listed_ones_is_waited_for():
    decision = decide([A, C])  # B's file is late (published out of order): 16:21-17:00 not covered
    assert decision.state == "wait" and decision.granules == (A,)
    assert decide([A, C], now=AFTER_DEADLINE).complete is False


def test_at_the_deadline_what_is_listed_is_loaded_marked_incomplete():
    decision = decide([A], now=AFTER_DEADLINE)
    assert (decision.state, decision.complete) == ("ready", False)
    assert "uncovered" in decision.reason


def test_nothing_listed_waits_then_is_not_published_at_the_deadline():
    assert decide([]).state == "wait"
    late = decide([], now=AFTER_DEADLINE)
    assert (late.state, late.reason) == ("not_published", "not published by 2024-09-02 20:00 UTC")


def test_night_is_no_scan_at_once_without_waiting():
    decision = decide([], reason="night over the bbox")
    assert (decision.state, decision.reason) == ("no_scan", "night over the bbox")


def test_later_scan_and_nothing_before_is_no_scan():
    first_of_day = g("F", "17:05:00", "18:02:00")
    assert decide([first_of_day]).state == "no_scan"


def test_a_hole_between_two_scans_is_a_missing_file_not_a_missing_scan():
    decision = decide([EARLIER, C], hour=H.replace(hour=16))  # 15:19 ... 17:24: the hour's scans are missing
    assert decision.state == "wait" and "scans before and after" in decision.reason
    assert decide([EARLIER, C], now=AFTER_DEADLINE).state == "not_published"


def test_day_edges_are_not_holes():
    last = g("L", "22:30:00", "23:32:00")  # the day's last scan ends at 23:32; 00 UTC is outside the window
    assert decide([last], hour=H.replace(hour=23)).state == "ready"


def test_event_round_trip():
    decision = decide([A, B])
    assert Publication.from_event(json.loads(json.dumps(decision.to_event()))) == decision


def test_emulator_schedule_has_overlapping_scans_in_daylight_only():
    scans = scans_of_day(H.date())
    assert 12 <= len(scans) <= 14
    assert all(10 <= s.start.hour <= 23 and s.end.date() == H.date() for s in scans)
    assert sum(len(scans_overlapping(H.replace(hour=h), H.replace(hour=h) + timedelta(hours=1))) == 2
               for h in range(11, 23)) >= 10  # fmt: skip


def test_emulator_cmr_lists_what_its_harmony_serves(emulator, client):
    session = build_session(retries=0)
    url = granule_search_url(emulator.base_url, NO2, *search_window(H), CONUS)
    listed = search_granules(session, url)
    expected = scans_overlapping(*search_window(H))
    assert [x.name for x in listed] == [granule_name(NO2, s) for s in expected]
    assert all(x.concept_id.startswith("G") and x.concept_id.endswith("-LARC_CLOUD") for x in listed)
    with urllib.request.urlopen(url.replace("granules.umm_json", "granules.json")) as response:
        assert response.headers["CMR-Hits"] == str(len(expected))
        entries = json.loads(response.read())["feed"]["entry"]
    assert [e["title"] for e in entries] == [x.name for x in listed]

    # Night: CMR lists nothing for 04 UTC and Harmony has no granule either.
    night = H.replace(hour=4)
    assert (
        search_granules(
            session, granule_search_url(emulator.base_url, NO2, night, night + timedelta(hours=1))
        )
        == []
    )
    product = DEFAULT_CATALOG["NO2"]
    ask = RangesetRequest(NO2, (product.variable,), BBox(-100, 30, -98, 32), night,
                          night + timedelta(hours=1), force_async=True)  # fmt: skip
    assert isinstance(client.submit(ask), NoData)

    # Held back (published late): neither CMR nor Harmony sees the hour until it is released.
    hold = {"start": H.isoformat(), "end": (H + timedelta(hours=1)).isoformat(), "available_in_s": None}
    _post(emulator, "/_emulator/publication", {"holds": [hold]})
    hour_url = granule_search_url(emulator.base_url, NO2, H, H + timedelta(hours=1))
    assert search_granules(session, hour_url) == []
    day = RangesetRequest(NO2, (product.variable,), BBox(-100, 30, -98, 32), H,
                          H + timedelta(hours=1), force_async=True)  # fmt: skip
    assert isinstance(client.submit(day), NoData)
    _post(emulator, "/_emulator/publication", {"holds": []})
    assert len(search_granules(session, hour_url)) == 2
    assert isinstance(client.submit(day), JobRef)


def test_emulator_publication_delay_hides_recent_scans(emulator):
    """Granules appear only `delay` after their scan ended, as TEMPO's do (20-90 min)."""
    _post(emulator, "/_emulator/publication", {"delay_s": 10 * 365 * 86400})  # nothing published yet
    url = granule_search_url(emulator.base_url, NO2, H, H + timedelta(hours=1))
    assert search_granules(build_session(retries=0), url) == []


def test_cmr_errors_are_typed():
    with pytest.raises(CmrError, match="not a umm_json"):
        parse_granules({"feed": {}})
    with pytest.raises(CmrError, match="without name or temporal extent"):
        parse_granules({"items": [{"umm": {"GranuleUR": "x"}}]})


def _post(emulator, path: str, body: dict) -> None:
    request = urllib.request.Request(emulator.base_url + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(request).read()
