"""aeris.tasks.tempo: `plan` turns a run's Params into one product per gas (resolved through CMR, the
stack's emulator here), and `harmony_to_slice` wires the per-gas steps in order."""

from __future__ import annotations

import itertools

import pytest
from aeris.tasks.tempo import plan
from airflow.sdk.exceptions import AirflowFailException

PARAMS = {"hour": "2024-09-01T15:00:00Z", "gases": ["NO2", "O3", "AI", "PM"], "bbox": [-100, 35, -98, 37]}


def test_the_plan_has_one_product_per_gas_with_o3_and_ai_reading_one_collection():
    planned = plan.function(params=PARAMS)
    assert [p["gas"] for p in planned] == ["NO2", "O3", "AI", "PM"]
    assert all(p["hour"] == "2024-09-01T15:00:00+00:00" and p["bbox"] == [-100, 35, -98, 37] for p in planned)
    o3, ai = planned[1], planned[2]
    assert o3["collection_id"] == ai["collection_id"] and o3["short_name"] == "TEMPO_O3TOT_L3"
    assert [c[0] for c in o3["companions"]] == ["AI"] and [c[0] for c in ai["companions"]] == ["O3"]


def test_a_bad_param_fails_the_plan_naming_it():
    with pytest.raises(AirflowFailException, match="param 'bbox'"):
        plan.function(params={**PARAMS, "bbox": [-98, 35, -100, 37]})


@pytest.mark.parametrize(
    ("stage_queue", "order"),
    [
        # One queue (the default): stage and load in one process, the task `load_gas_hour`.
        ("", ["plan", "gas.harmony_job", "gas.load_gas_hour"]),
        # Downloads on workers of their own: stage_geotiff apart, the raster handed on through S3.
        ("downloads", ["plan", "gas.harmony_job", "gas.stage_geotiff", "gas.load_gas_hour"]),
    ],
)  # fmt: skip
def test_the_dag_wires_each_gas_from_publication_to_archive(monkeypatch, stage_queue, order):
    from pathlib import Path

    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AERIS_STAGE_QUEUE", stage_queue)
    monkeypatch.delenv("AERIS_LOAD_QUEUE", raising=False)
    dags = Path(__file__).resolve().parents[3] / "dags" / "aeris_tempo_hourly.py"
    dag = DagBag(dag_folder=str(dags)).get_dag("aeris_tempo_hourly")
    for upstream, downstream in itertools.pairwise(order):
        assert downstream in dag.get_task(upstream).downstream_task_ids, (upstream, downstream)
    assert ("gas.stage_geotiff" in dag.task_dict) == bool(stage_queue)
    assert "gas.archive_gas_hour" not in dag.task_dict  # the load archives what it published
    job = dag.get_task("gas.harmony_job")  # CMR's listing, then the job: one task
    assert job.wait_for_publication and job.execution_timeout is None
    load = dag.get_task("gas.load_gas_hour")
    assert load.pool == ("daac_reads" if not stage_queue else "default_pool")
