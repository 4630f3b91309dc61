"""The map-index listener's labels (its effect on real runs: tests/e2e/test_hourly_dag.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aeris.listeners import map_index
from aeris.run_plan import PLAN_TASKS, gas_labels

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_each_map_index_is_labelled_with_its_planned_gas():
    planned = [{"gas": "NO2", "hour": "…"}, {"gas": "CH2O"}, {"gas": "O3"}]
    assert gas_labels(planned) == ["NO2", "CH2O", "O3"]


def test_what_is_not_a_plan_labels_nothing_or_keeps_the_number():
    assert gas_labels(None) == [] and gas_labels({"gas": "NO2"}) == []
    assert gas_labels([{"gas": "NO2"}, "odd", {}]) == ["NO2", "1", "2"]


def test_every_tempo_dag_is_covered():
    assert PLAN_TASKS == {
        "aeris_tempo_hourly": "plan", "aeris_tempo_events": "find_event_hours", "aeris_tempo_reprocess": "find_upgrades",
    }  # fmt: skip


def ti(map_index: int, run_id: str = "scheduled__2024-09-01T16:00:00+00:00", label=None) -> SimpleNamespace:
    return SimpleNamespace(dag_id="aeris_tempo_hourly", run_id=run_id, task_id="gas.harmony_job",
                           map_index=map_index, _rendered_map_index=label)  # fmt: skip


def test_mapped_instances_get_their_gas_as_the_scheduler_creates_them(monkeypatch):
    """The cluster policy: labels from the plan at expansion, one plan read per run, nothing overwritten."""
    reads = []
    monkeypatch.setattr(map_index, "object_session", lambda dag_run: "the scheduler's session")
    monkeypatch.setattr(map_index, "planned_items",
                        lambda session, dag_id, run_id: reads.append(run_id) or [{"gas": "NO2"}, {"gas": "O3"}])  # fmt: skip
    monkeypatch.setattr(map_index, "_RECENT_LABELS", {})
    created = [ti(0), ti(1), ti(2), ti(-1), ti(1, label="kept")]
    for instance in created:
        map_index.label_expanded(instance, dag_run=object())
    assert [i._rendered_map_index for i in created] == ["NO2", "O3", None, None, "kept"]
    assert len(reads) == 1


def test_a_failing_plan_read_never_stops_the_scheduler(monkeypatch, caplog):
    monkeypatch.setattr(map_index, "object_session", lambda dag_run: "session")
    monkeypatch.setattr(map_index, "planned_items", lambda *a: (_ for _ in ()).throw(RuntimeError("db gone")))
    monkeypatch.setattr(map_index, "_RECENT_LABELS", {})
    instance = ti(0, run_id="manual__x")
    map_index.label_expanded(instance, dag_run=object())
    assert instance._rendered_map_index is None and "could not label" in caplog.text


def test_a_label_that_is_not_a_gas_never_reaches_the_schedulers_transaction(monkeypatch):
    """A plan XCom naming a 300-character "gas" (rendered_map_index holds 250): the shipped cluster
    policy labels that instance with its index, and the others with their gas."""
    import importlib.util
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[3] / "plugins" / "airflow_local_settings.py"
    spec = importlib.util.spec_from_file_location("shipped_local_settings", shipped)
    policy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(policy)
    monkeypatch.setattr(map_index, "object_session", lambda dag_run: "the scheduler's session")
    monkeypatch.setattr(
        map_index, "planned_items", lambda *args: [{"gas": "N" * 300}, {"gas": "O3"}, {"gas": 7}]
    )
    monkeypatch.setattr(map_index, "_RECENT_LABELS", {})
    created = [ti(0), ti(1), ti(2)]
    for instance in created:
        policy.task_instance_mutation_hook(instance, dag_run=object())
    assert [instance._rendered_map_index for instance in created] == ["0", "O3", "2"]
