"""aeris.tasks.gaps: the gap report's refill plan: one hourly run per gap hour, for its missing gases
only, and nothing unless asked. The report over the real ledger: tests/ops/test_gaps.py."""

from __future__ import annotations

import pytest
from aeris.tasks.gaps import plan_refill
from airflow.sdk.exceptions import AirflowSkipException

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

GAPS = [{"hour": "2024-09-14T15:00:00+00:00", "gases": ["NO2"]},
        {"hour": "2024-09-14T17:00:00+00:00", "gases": ["NO2", "O3"]}]  # fmt: skip


def test_each_gap_hour_becomes_one_run_for_its_missing_gases():
    assert plan_refill.function(GAPS, params={"refill": True}) == GAPS


def test_nothing_is_refilled_unless_asked_or_when_nothing_is_missing():
    with pytest.raises(AirflowSkipException, match="refill is off"):
        plan_refill.function(GAPS, params={"refill": False})
    with pytest.raises(AirflowSkipException, match="no gaps to refill"):
        plan_refill.function([], params={"refill": True})
