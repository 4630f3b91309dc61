"""aeris_lib.breaker: the per-gas circuit breaker's state, pure (the DAG keeps it in a Variable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib import config
from aeris_lib.breaker import MAX_REMEMBERED, BreakerState, not_counted_because, variable_key

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_failures_count_once_per_hour_and_open_at_the_threshold():
    state = BreakerState()
    for hour in ("2024-09-01T15:00", "2024-09-01T16:00", "2024-09-01T16:00", "2024-09-01T17:00"):
        state = state.record_failure(hour)
    assert state.failed_hours == ["2024-09-01T15:00", "2024-09-01T16:00", "2024-09-01T17:00"]
    assert state.is_open(3) and not state.is_open(4)
    assert state.describe() == "3 consecutive failed hour(s), last 2024-09-01T17:00"


def test_state_round_trips_and_an_unreadable_one_starts_afresh():
    state = BreakerState(["2024-09-01T15:00"])
    assert BreakerState.parse(state.dumps()) == state
    for text in (None, "", "not json", "[1, 2]", '{"failed_hours": 7}'):
        assert BreakerState.parse(text) == BreakerState(), text
    assert BreakerState.parse("not json").describe() == "no failed hours"


def test_only_the_newest_hours_are_remembered():
    state = BreakerState()
    for n in range(MAX_REMEMBERED + 5):
        state = state.record_failure(f"2024-09-{1 + n // 24:02d}T{n % 24:02d}:00")
    assert len(state.failed_hours) == MAX_REMEMBERED and state.failed_hours[-1].startswith("2024-09-03T04")


def test_the_variable_per_gas_and_the_default_threshold():
    assert variable_key("NO2") == "aeris_circuit_NO2"
    assert config.Scheduling().breaker_failures == 5


def test_state_counts_distinct_failed_hours():
    state = BreakerState.parse(None).record_failure("h1").record_failure("h1").record_failure("h2")
    assert state.failed_hours == ["h1", "h2"] and state.is_open(2) and not state.is_open(3)
    assert BreakerState.parse(state.dumps()) == state
    assert BreakerState.parse("not json").failed_hours == []


def test_only_scheduled_hourly_runs_of_the_last_day_count():
    now = datetime(2026, 12, 6, 18, tzinfo=UTC)
    recent, old = now - timedelta(hours=3), now - timedelta(hours=25)
    assert not_counted_because("aeris_tempo_hourly", "scheduled", recent, now) is None
    assert "aeris_tempo_reprocess" in not_counted_because("aeris_tempo_reprocess", "scheduled", recent, now)
    assert "backfill run" in not_counted_because("aeris_tempo_hourly", "backfill", recent, now)
    assert "manual run" in not_counted_because("aeris_tempo_hourly", "manual", recent, now)
    assert "older than 24 h" in not_counted_because("aeris_tempo_hourly", "scheduled", old, now)
