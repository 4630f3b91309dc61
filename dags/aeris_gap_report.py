"""
### AERIS — gap report and refill

Daily (03:30 UTC), lists the daytime hours (TEMPO scans, 10–23 UTC) of the `days` days (a fraction is
allowed) before the run's date with no successful load, per gas. With `refill` on, it triggers one
`aeris_tempo_hourly` run per gap hour, asking only for the gases missing there; hours that are fine are
not touched. Each refill run is a normal manual run (own run id, no logical date) with `hour` and
`gases` in its conf.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aeris.tasks import gaps as steps
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag

from aeris_lib.gases import GAS_NAMES


@dag(
    dag_id="aeris_gap_report",
    schedule="30 3 * * *",
    start_date=datetime(2024, 9, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "aeris-data", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["aeris", "operations", "gaps"],
    doc_md=__doc__,
    params={
        "days": Param(
            3,
            type="number",
            exclusiveMinimum=0,
            maximum=30,
            title="Look back (days)",
            description="Daytime hours of this many days before the run's date (0.5: the last 12 hours).",
        ),
        "gases": Param(list(GAS_NAMES), type="array", items={"type": "string", "enum": list(GAS_NAMES)}),
        "refill": Param(False, type="boolean", title="Trigger runs for the gaps"),
    },
)
def aeris_gap_report():
    gaps = steps.report_gaps()
    TriggerDagRunOperator.partial(
        task_id="refill_gap_hour",
        trigger_dag_id="aeris_tempo_hourly",
        logical_date=None,  # refill runs carry their hour in conf; scheduled runs keep their dates
        wait_for_completion=False,
    ).expand(conf=steps.plan_refill(gaps))


aeris_gap_report()
