"""The soak's timeline (scripts/soak/plan.py): its settings put each hour where the soak says it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.gaps import daytime_hours
from aeris_lib.publication import deadline_for
from scripts.soak.plan import SoakPlan

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 19, 52, tzinfo=UTC)


@pytest.mark.parametrize("plan", [SoakPlan.whole_days(NOW, 2), SoakPlan.short(NOW)], ids=["2 days", "short"])
def test_older_hours_are_past_their_deadline_and_recent_ones_within_it(plan):
    minutes = plan.deadline_minutes
    assert all(deadline_for(h, minutes) <= NOW for h in plan.older)
    assert all(deadline_for(h, minutes) >= NOW + timedelta(hours=1) for h in plan.recent)


@pytest.mark.parametrize("plan", [SoakPlan.whole_days(NOW, 2), SoakPlan.short(NOW)], ids=["2 days", "short"])
def test_the_emulators_nrt_window_ends_where_the_recent_hours_begin(plan):
    assert NOW - timedelta(days=plan.emulator_nrt_window_days) == plan.recent[0]
    assert plan.older[-1] < plan.recent[0]


def test_whole_days_end_with_the_last_day_nasa_has_wholly_published():
    plan = SoakPlan.whole_days(NOW, 2)
    assert plan.older[0] == datetime(2026, 12, 4, tzinfo=UTC) and len(plan.older) == 24
    assert plan.recent[-1] == datetime(2026, 12, 5, 23, tzinfo=UTC) and len(plan.recent) == 24
    early = SoakPlan.whole_days(datetime(2026, 12, 6, 1, tzinfo=UTC), 2)
    assert early.recent[-1] == datetime(2026, 12, 4, 23, tzinfo=UTC)  # the 5th's last scans still publishing
    with pytest.raises(ValueError, match="2 days or more"):
        SoakPlan.whole_days(NOW, 1)


def test_the_short_soak_spans_the_night_with_the_days_first_scan_among_its_recent_hours():
    plan = SoakPlan.short(NOW)
    day = datetime(2026, 12, 5, tzinfo=UTC)
    assert list(plan.older) == daytime_hours(day - timedelta(days=1), day, plan.bbox)[-2:]
    assert list(plan.recent) == daytime_hours(day, day + timedelta(days=1), plan.bbox)[:2]
    assert plan.first_scan_hour == plan.recent[0]
    assert [plan.late_hour, plan.incomplete_hour] == list(plan.older)
    assert plan.republished_hour == plan.recent[-1]
    assert plan.overlap == plan.recent


def test_the_gap_report_looks_back_over_exactly_the_soaks_hours():
    plan = SoakPlan.short(NOW)
    end = plan.gap_report_date()
    start = end - timedelta(days=plan.gap_report_conf()["days"])
    assert start == plan.older[0] and end == plan.recent[-1] + timedelta(hours=1)


def test_the_final_retention_keeps_the_recent_hours_and_drops_the_older_ones():
    plan = SoakPlan.short(NOW)
    later = NOW + timedelta(minutes=7)
    cutoff = later - timedelta(hours=plan.final_retention_hours(later))
    assert plan.older[-1] < cutoff <= plan.recent[0]


def test_two_days_overlap_two_loaded_hours_and_fault_the_evening_and_the_morning():
    plan = SoakPlan.whole_days(NOW, 2)
    day1, day2 = datetime(2026, 12, 4, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC)
    daytime1, daytime2 = (
        daytime_hours(day1, day2, plan.bbox),
        daytime_hours(day2, day2 + timedelta(days=1), plan.bbox),
    )
    assert plan.overlap == tuple(daytime2[:2])
    assert (plan.late_hour, plan.incomplete_hour) == tuple(daytime1[-2:])
    assert (plan.first_scan_hour, plan.republished_hour) == (daytime2[0], daytime2[-1])
