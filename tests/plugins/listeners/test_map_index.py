"""The map-index listener's labels (its effect on real runs: tests/e2e/test_hourly_dag.py)."""

from __future__ import annotations

import pytest
from aeris.run_plan import PLAN_TASKS, gas_labels

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_each_map_index_is_labelled_with_its_planned_gas():
    planned = [{"gas": "NO2", "hour": "…"}, {"gas": "CH2O"}, {"gas": "O3"}]
    assert gas_labels(planned) == ["NO2", "CH2O", "O3"]


def test_what_is_not_a_plan_labels_nothing_or_keeps_the_number():
    assert gas_labels(None) == [] and gas_labels({"gas": "NO2"}) == []
    assert gas_labels([{"gas": "NO2"}, "odd", {}]) == ["NO2", "1", "2"]


def test_both_tempo_dags_are_covered():
    assert PLAN_TASKS == {"aeris_tempo_hourly": "plan", "aeris_tempo_reprocess": "find_upgrades"}
