"""aeris.run_plan: a TEMPO run's plan as the server reads it, and the gas behind each map index (the
listener and the audit links use it; under real runs: tests/e2e/test_scheduler.py)."""

from __future__ import annotations

import pytest
from aeris.run_plan import PLAN_TASKS, gas_labels, planned_items

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_each_map_index_is_labelled_with_its_planned_gas():
    planned = [{"gas": "NO2", "hour": "h"}, {"gas": "O3"}, {"hour": "h"}, "not a plan item"]
    assert gas_labels(planned) == ["NO2", "O3", "2", "3"]
    assert gas_labels(None) == [] and gas_labels({"gas": "NO2"}) == []


def test_only_the_tempo_dags_have_a_plan():
    assert PLAN_TASKS == {
        "aeris_tempo_hourly": "plan", "aeris_tempo_events": "find_event_hours", "aeris_tempo_reprocess": "find_upgrades",
    }  # fmt: skip
    assert planned_items(session=None, dag_id="aeris_retention", run_id="r") == []
