"""aeris_lib.freshness: publication lags summed up per gas, line and day, and the current lag in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aeris_lib.freshness import DayStats, LagPoint, behind_text, daily_stats, duration_text

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

DAY = datetime(2024, 9, 3, tzinfo=UTC)


def test_median_and_p95_per_gas_line_and_day():
    lags = [
        LagPoint("NO2", "nrt", DAY.replace(hour=h), float(m))
        for h, m in ((14, 40), (15, 60), (16, 50), (17, 200))
    ]
    lags += [LagPoint("NO2", "standard", DAY.replace(hour=15), 1500.0),
             LagPoint("NO2", "nrt", DAY.replace(day=4, hour=15), 45.0)]  # fmt: skip
    stats = daily_stats(lags)
    assert stats[0] == DayStats("NO2", "nrt", DAY.date(), 4, 55.0, pytest.approx(179.0))
    assert stats[1] == DayStats("NO2", "standard", DAY.date(), 1, 1500.0, 1500.0)
    assert stats[2].day == DAY.replace(day=4).date() and stats[2].median_min == 45.0


@pytest.mark.parametrize(("minutes", "text"), [(0, "0 min"), (45.4, "45 min"), (125, "2 h 05 min"),
                                                (60 * 27 + 5, "1 d 3 h"), (-3, "0 min")])  # fmt: skip
def test_durations_read_as_an_operator_says_them(minutes, text):
    assert duration_text(minutes) == text


def test_the_current_lag_counts_from_the_end_of_the_latest_hour():
    now = DAY.replace(hour=17, minute=5)
    assert (
        behind_text("NO2", DAY.replace(hour=14), now)
        == "NO2 latest hour 2024-09-03 14:00 UTC, 2 h 05 min behind"
    )
