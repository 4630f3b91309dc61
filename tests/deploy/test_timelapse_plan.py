"""`make screenshots`' time-lapse (scripts/timelapse): its clock jumps to every instant at which something
can change, never closer than one poll, only forwards, and never past the real time."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from harmony_emulator.scans import scans_of_day
from scripts.timelapse.clock import ShiftedClock
from scripts.timelapse.plan import END_OF_DAY, START_OF_DAY, TimelapsePlan, first_day

pytestmark = pytest.mark.unit

PLAN = TimelapsePlan(
    date(2026, 12, 4), 3, nrt_delay_s=45 * 60, standard_delay_s=7200, deadline_min=180, poll_s=300
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 7, 6, 12, tzinfo=UTC), date(2026, 12, 4)),  # yesterday's hours are all settled
        (datetime(2026, 12, 7, 3, 0, tzinfo=UTC), date(2026, 12, 3)),  # yesterday's last deadlines to come
    ],
)
def test_the_days_end_before_the_real_clock(now, expected):
    assert first_day(now, 3) == expected
    plan = TimelapsePlan(expected, 3, 0, 0, 0, 1)
    assert plan.end <= now and plan.start.time() == START_OF_DAY and plan.end.time() == END_OF_DAY


def test_every_publication_hour_boundary_and_deadline_is_an_instant():
    events = PLAN.events()
    scans = [s for n in range(3) for s in scans_of_day(PLAN.first_day + timedelta(days=n))]
    settle = timedelta(seconds=5)
    for scan in scans:
        assert scan.end + timedelta(minutes=45) + settle in events
        assert scan.end + timedelta(hours=2) + settle in events
    assert datetime(2026, 12, 5, 17, 0, tzinfo=UTC) + settle in events  # an hour's run starts
    # The day's first scanned hour (13:00) reaches its deadline at 17:00 (its end + 180 min).
    assert datetime(2026, 12, 4, 17, 0, tzinfo=UTC) + settle in events
    assert events == sorted(events) and PLAN.start <= events[0] and events[-1] <= PLAN.end


def test_jumps_are_a_poll_apart_at_least_and_miss_no_event():
    jumps, poll = PLAN.instants(), timedelta(seconds=300)
    assert all(later - earlier >= poll for earlier, later in itertools.pairwise(jumps))
    for event in PLAN.events():  # each event is seen at the next jump, one poll later at most
        after = [j for j in jumps if j >= event]
        assert not after or after[0] - event <= poll, event


def test_the_scanned_hours_are_the_daylight_ones():
    hours = PLAN.scanned_hours()
    assert (
        datetime(2026, 12, 4, 13, 0, tzinfo=UTC) in hours and datetime(2026, 12, 5, 0, 0, tzinfo=UTC) in hours
    )
    assert datetime(2026, 12, 4, 12, 0, tzinfo=UTC) not in hours  # before S001
    assert datetime(2026, 12, 5, 5, 0, tzinfo=UTC) not in hours  # night


def test_the_clock_only_runs_forwards(tmp_path):
    clock = ShiftedClock(tmp_path / "clock")
    clock.set(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    assert abs(clock.now() - datetime(2026, 12, 4, 12, 0, tzinfo=UTC)) < timedelta(seconds=5)
    assert clock.advance_to(datetime(2026, 12, 4, 13, 0, tzinfo=UTC))
    assert not clock.advance_to(datetime(2026, 12, 4, 12, 30, tzinfo=UTC))
    with pytest.raises(ValueError, match="only runs forwards"):
        clock.set(datetime(2026, 12, 4, 12, 30, tzinfo=UTC))
    assert (tmp_path / "clock").read_text().startswith("-")  # an offset in seconds, as libfaketime reads it
    assert clock.environment()["FAKETIME_TIMESTAMP_FILE"] == str(tmp_path / "clock")
