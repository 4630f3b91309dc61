"""The publication rules (aeris_lib.publication) on hand-made granule lists, and the emulator's CMR
granule search over real HTTP agreeing with what its Harmony serves."""

from __future__ import annotations

import itertools
import json
import urllib.request
from datetime import UTC, date, datetime, timedelta

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
    usual_day_start,
)
from harmony_emulator.scans import granule_name, scans_of_day, scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.emulator import Emulator

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

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


WINTER = datetime(2026, 12, 6, tzinfo=UTC)  # S001 at about 13:17 UTC


@pytest.mark.parametrize("hour", [11, 12])
def test_a_winter_morning_before_the_days_first_scan_is_no_scan_at_the_deadline(hour):
    """O3TOT's standard line lists S001 (13:14-14:12) ~2 h after it ends: past these hours' deadlines."""
    start = WINTER.replace(hour=hour)
    deadline = start + timedelta(hours=4)
    assert assess(start, [], now=deadline - timedelta(minutes=1), deadline=deadline).state == "wait"
    decision = assess(start, [], now=deadline, deadline=deadline)
    assert decision.state == "no_scan", decision.reason
    assert "before TEMPO's day usually starts (about 13:17 UTC)" in decision.reason


def test_the_usual_day_start_follows_the_seasons():
    assert usual_day_start(date(2026, 6, 21)) == datetime(2026, 6, 21, 10, 16, tzinfo=UTC)
    assert usual_day_start(date(2026, 12, 21)).strftime("%H:%M") == "13:05"
    assert "11:" in usual_day_start(date(2026, 3, 21)).strftime("%H:%M")  # in between at the equinox


@pytest.mark.parametrize(
    ("hour", "listed", "why"),
    [
        (datetime(2026, 12, 6, 13, tzinfo=UTC), [], "the day usually starts within the hour"),
        (datetime(2026, 6, 21, 11, tzinfo=UTC), [], "a summer day has started by then"),
        (datetime(2026, 12, 6, 12, tzinfo=UTC),
         [Granule("TEMPO_NO2_L3_V04_20261206T105000Z_S001.nc", datetime(2026, 12, 6, 10, 50, tzinfo=UTC),
                  datetime(2026, 12, 6, 11, 50, tzinfo=UTC))],
         "a scan just before the hour: TEMPO was observing"),
    ],
)  # fmt: skip
def test_a_daytime_hour_with_nothing_listed_is_still_a_gap_at_the_deadline(hour, listed, why):
    deadline = hour + timedelta(hours=4)
    assert assess(hour, listed, now=deadline, deadline=deadline).state == "not_published", why


def test_night_is_no_scan_at_once_without_waiting():
    decision = decide([], reason="night over the bbox")
    assert (decision.state, decision.reason) == ("no_scan", "night over the bbox")


def test_the_days_first_scan_after_the_hour_is_no_scan():
    first_of_day = g("TEMPO_O3TOT_L3_V04_20240902T170500Z_S001.nc", "17:05:00", "18:02:00")
    decision = decide([first_of_day])
    assert decision.state == "no_scan" and "first scan" in decision.reason


def test_a_later_scan_that_is_not_the_first_of_the_day_proves_nothing():
    # S001 (10:31) reaches CMR after S002: the 10:00 hour waits for it instead of being written off.
    second = g("TEMPO_NO2_L3_V04_20240902T111200Z_S002.nc", "11:12:00", "11:52:00")
    hour = H.replace(hour=10)
    decision = decide([second], hour=hour)
    assert decision.state == "wait" and "not the day's first" in decision.reason
    first = g("TEMPO_NO2_L3_V04_20240902T103100Z_S001.nc", "10:31:00", "11:11:00")
    ready = decide([first, second], hour=hour)
    # S001 starts the day: 10:00-10:31 is before TEMPO's first scan, not a missing file.
    assert (ready.state, ready.granules, ready.complete) == ("ready", (first,), True)


def test_scan_numbers_come_from_tempos_file_names():
    names = {"TEMPO_NO2_L3_V04_20240806T154034Z_S008.nc": 8, "TEMPO_HCHO_L3_NRT_V02_20250101T000500Z_S017.nc": 17,
             "TEMPO_O3TOT_L3_V04_20240806T103100Z_S001_subsetted.nc4": 1, "unnamed.nc": None}  # fmt: skip
    assert {name: g(name, "10:00:00", "11:00:00").scan_number for name in names} == names


def test_a_hole_between_two_scans_is_a_missing_file_not_a_missing_scan():
    decision = decide([EARLIER, C], hour=H.replace(hour=16))  # 15:19 ... 17:24: the hour's scans are missing
    assert decision.state == "wait" and "scans before and after" in decision.reason
    assert decide([EARLIER, C], now=AFTER_DEADLINE).state == "not_published"


def test_day_edges_are_not_holes():
    # The day's last scan ends at 00:52 UTC the next day; 01 UTC is outside the scan window.
    last = Granule("L", datetime(2024, 9, 2, 23, 58, tzinfo=UTC), datetime(2024, 9, 3, 0, 52, tzinfo=UTC))
    assert decide([last], hour=datetime(2024, 9, 3, 0, tzinfo=UTC)).state == "ready"


def test_event_round_trip():
    decision = decide([A, B])
    assert Publication.from_event(json.loads(json.dumps(decision.to_event()))) == decision


def _minutes(when: datetime) -> int:
    return when.hour * 60 + when.minute


def test_emulator_schedule_follows_the_seasons():
    summer, winter = scans_of_day(date(2026, 6, 21)), scans_of_day(date(2026, 1, 15))
    # Summer: S001 near 10:31 UTC, 40-minute scans at dawn and dusk, hourly at midday, last near 00:52.
    assert 17 <= len(summer) <= 18 and abs(_minutes(summer[0].start) - (10 * 60 + 31)) <= 6
    lengths = [(s.end - s.start).total_seconds() / 60 for s in summer]
    assert all(37 <= m <= 43 for m in lengths[:3] + lengths[-3:]) and all(
        55 <= m <= 65 for m in lengths[5:-5]
    )
    assert summer[-1].end.date() == date(2026, 6, 22) and abs(_minutes(summer[-1].end) - 52) <= 8
    # Winter: about 11 scans from about 13:20 UTC.
    assert 10 <= len(winter) <= 12 and abs(_minutes(winter[0].start) - (13 * 60 + 20)) <= 15
    for day in (summer, winter):
        assert [s.number for s in day] == list(range(1, len(day) + 1))  # S001 ... each observing day
        assert all(b.start > a.end for a, b in itertools.pairwise(day))  # back to back, in order
    # Scans after midnight keep the day's numbers, but their names carry the UTC date.
    after_midnight = summer[-1]
    assert granule_name("C3685896708-LARC_CLOUD", after_midnight).startswith(
        "TEMPO_NO2_L3_V04_20260622T00"
    ) and after_midnight.number == len(summer)
    assert sum(len(scans_overlapping(H.replace(hour=h), H.replace(hour=h) + timedelta(hours=1))) >= 2
               for h in range(11, 23)) >= 10  # fmt: skip


def test_emulator_cmr_lists_what_its_harmony_serves(fresh_emulator, harmony_client):
    session = build_session(retries=0)
    url = granule_search_url(fresh_emulator.base_url, NO2, *search_window(H), CONUS)
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
            session, granule_search_url(fresh_emulator.base_url, NO2, night, night + timedelta(hours=1))
        )
        == []
    )
    product = DEFAULT_CATALOG["NO2"]
    ask = RangesetRequest(NO2, (product.variable,), BBox(-100, 30, -98, 32), night,
                          night + timedelta(hours=1), force_async=True)  # fmt: skip
    assert isinstance(harmony_client.submit(ask), NoData)

    # Held back (published late): neither CMR nor Harmony sees the hour until it is released.
    hold = {"start": H.isoformat(), "end": (H + timedelta(hours=1)).isoformat(), "available_in_s": None}
    Emulator(fresh_emulator.base_url).publication({"holds": [hold]})
    hour_url = granule_search_url(fresh_emulator.base_url, NO2, H, H + timedelta(hours=1))
    assert search_granules(session, hour_url) == []
    day = RangesetRequest(NO2, (product.variable,), BBox(-100, 30, -98, 32), H,
                          H + timedelta(hours=1), force_async=True)  # fmt: skip
    assert isinstance(harmony_client.submit(day), NoData)
    Emulator(fresh_emulator.base_url).publication({"holds": []})
    assert len(search_granules(session, hour_url)) == 2
    assert isinstance(harmony_client.submit(day), JobRef)


def test_emulator_publication_delay_hides_recent_scans(fresh_emulator):
    """Granules appear only `delay` after their scan ended, as TEMPO's do (20-90 min)."""
    Emulator(fresh_emulator.base_url).publication({"delay_s": 10 * 365 * 86400})  # nothing published yet
    url = granule_search_url(fresh_emulator.base_url, NO2, H, H + timedelta(hours=1))
    assert search_granules(build_session(retries=0), url) == []


def test_emulator_publishes_v04_and_nrt_today_and_v03_only_until_it_stopped(fresh_emulator):
    session, today = build_session(retries=0), datetime(2026, 6, 2, 16, tzinfo=UTC)

    def listed(collection, hour):
        return search_granules(
            session, granule_search_url(fresh_emulator.base_url, collection, hour, hour + timedelta(hours=1))
        )

    Emulator(fresh_emulator.base_url).publication({"delay_s": 0})
    v03, v04, nrt = "C2930764281-LARC_CLOUD", "C3685896625-LARC_CLOUD", "C3685668637-LARC_CLOUD"
    assert listed(v03, today) == [] and len(listed(v04, today)) >= 2 and len(listed(nrt, today)) >= 2
    assert len(listed(v03, datetime(2025, 9, 16, 16, tzinfo=UTC))) >= 2  # V03's last observing day
    assert listed(v03, datetime(2025, 9, 17, 16, tzinfo=UTC)) == []
    assert all("_V04_" in g.name for g in listed(v04, today))


def test_emulator_faults_out_of_order_and_republished(fresh_emulator):
    session, hour = build_session(retries=0), datetime(2026, 6, 2, 10, tzinfo=UTC)
    url = granule_search_url(fresh_emulator.base_url, NO2, *search_window(hour))
    first_scan = {"start": hour.isoformat(), "end": (hour + timedelta(hours=3)).isoformat(), "scan": 1,
                  "available_in_s": 30}  # fmt: skip
    Emulator(fresh_emulator.base_url).publication({"delay_s": 0, "holds": [first_scan]})
    numbers = [g.scan_number for g in search_granules(session, url)]
    assert numbers and 1 not in numbers and numbers[0] == 2  # S002 is listed, S001 is not yet
    Emulator(fresh_emulator.base_url).publication({"holds": []})
    before = {g.name: g.revision for g in search_granules(session, url)}
    assert set(before.values()) == {1} and min(g for g in [min(before)]).endswith("_S001.nc")
    again = {"start": hour.isoformat(), "end": (hour + timedelta(hours=1)).isoformat(), "revision": 2}
    Emulator(fresh_emulator.base_url).republished([again])
    after = {g.name: g.revision for g in search_granules(session, url)}
    assert after.keys() == before.keys() and {n for n, r in after.items() if r == 2} == {min(before)}


def test_cmr_errors_are_typed():
    with pytest.raises(CmrError, match="not a umm_json"):
        parse_granules({"feed": {}})
    with pytest.raises(CmrError, match="without name or temporal extent"):
        parse_granules({"items": [{"umm": {"GranuleUR": "x"}}]})


def test_cmr_lists_each_granules_file_size():
    def item(name, info):
        return {"meta": {"concept-id": "G1-LARC_CLOUD", "revision-id": 3},
                "umm": {"GranuleUR": name, "DataGranule": {"ArchiveAndDistributionInformation": info},
                        "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": "2024-09-02T16:00:00Z",
                                                             "EndingDateTime": "2024-09-02T16:40:00Z"}}}}  # fmt: skip

    granules = parse_granules({"items": [
        item("a.nc", [{"Name": "a.nc", "SizeInBytes": 534_112_345}]),
        item("b.nc", [{"Name": "b.nc", "Size": 180.5, "SizeUnit": "MB"}]),
        item("c.nc", []),
    ]})  # fmt: skip
    assert [g.size_bytes for g in granules] == [534_112_345, int(180.5 * 1024**2), 0]
    assert granules[0].revision == 3 and Granule.from_dict(granules[0].to_dict()) == granules[0]


def test_summers_first_scan_listed_after_the_second_is_waited_for_then_ready():
    """15 July: S001 10:31-11:11, S002 11:11-11:51 UTC (reference: "Scan numbers"), S002 listed first."""
    hour, day = datetime(2026, 7, 15, 10, tzinfo=UTC), "2026-07-15T"
    s001 = Granule("TEMPO_NO2_L3_NRT_V02_20260715T103100Z_S001.nc", datetime.fromisoformat(day + "10:31Z"),
                   datetime.fromisoformat(day + "11:11Z"))  # fmt: skip
    s002 = Granule("TEMPO_NO2_L3_NRT_V02_20260715T111100Z_S002.nc", datetime.fromisoformat(day + "11:11Z"),
                   datetime.fromisoformat(day + "11:51Z"))  # fmt: skip
    east, now = [-80.0, 35.0, -70.0, 45.0], hour + timedelta(hours=2)
    far = now + timedelta(days=3)
    assert scan_expected(hour, east) is None  # the sun is up over part of the bbox
    waiting = assess(hour, [s002], now=now, deadline=far, no_scan_reason=None)
    assert waiting.state == "wait" and "not the day's first" in waiting.reason
    ready = assess(hour, [s001, s002], now=now + timedelta(seconds=30), deadline=far, no_scan_reason=None)
    assert (ready.state, ready.granules, ready.complete) == ("ready", (s001,), True)
