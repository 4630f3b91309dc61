"""aeris_lib.gaps: the hours TEMPO scans, the ones a gap report looks at. The report against the real
ledger and its refill: tests/ops/test_gaps.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.gaps import daytime_hours

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

DAY = datetime(2024, 9, 14, tzinfo=UTC)


def test_hours_start_on_the_hour_and_stay_inside_the_window():
    hours = daytime_hours(DAY.replace(hour=9, minute=30), DAY.replace(hour=12))
    assert hours == [DAY.replace(hour=10), DAY.replace(hour=11)]


def test_no_hour_outside_tempos_scan_window_counts():
    assert daytime_hours(DAY.replace(hour=2), DAY.replace(hour=9)) == []


def test_daytime_hours_are_tempo_scan_hours():
    hours = daytime_hours(DAY, DAY + timedelta(days=1))
    # 10:00 ... 23:00 and 00:00 UTC: a summer day's last scan ends near 00:52.
    assert [h.hour for h in hours] == [0, *range(10, 24)]
