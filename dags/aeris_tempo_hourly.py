"""
### AERIS — TEMPO hourly ingestion

Every hour (minute 0 UTC) this DAG ingests the hour that just ended, `[data_interval_start,
data_interval_end)`, for each gas (NO2, CH2O, AI, PM, O3):

1. **plan** — resolves the hour, gases and bbox (Params below) and applies schema migrations;
2. **wait_for_publication** — deferrable wait until TEMPO has had time to publish the hour;
3. per gas (mapped): **submit_harmony_job** → **wait_for_harmony_job** (deferrable, in the triggerer)
   → **stage_geotiff** (download, audit copy in S3) → **load_gas_hour** (COPY into PostGIS)
   → **check_gas_hour** (data-quality checks: rows, finite values, severities, geometries, bbox, duplicates),
   and **archive_gas_hour** (PNG map and STAC Item beside the audit COG);
4. **recompute_saved_route_exposure** once any gas loaded; **publish_last_update** to Redis.

A gas with no granule for the hour (night, or not yet published) is *skipped*, not failed.
A failed gas does not stop the others; `all_gases_loaded` then fails so the run shows red.
Trigger manually with the form to ingest another hour, a subset of gases, or another bbox.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import Param, dag, task_group
from airflow.timetables.interval import CronDataIntervalTimetable
from sensors.harmony import HarmonyJobSensor
from tasks import tempo

from aeris_lib.gases import GAS_NAMES

DEFAULT_ARGS = {
    "owner": "aeris-data",
    "retries": 2,
    # AERIS_RETRY_DELAY_SECONDS shortens the first retry delay (tests, demos); it doubles per try.
    "retry_delay": timedelta(seconds=int(os.environ.get("AERIS_RETRY_DELAY_SECONDS") or 120)),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=20),
    "execution_timeout": timedelta(minutes=30),
}


@dag(
    dag_id="aeris_tempo_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 9, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    tags=["aeris", "tempo", "ingestion"],
    doc_md=__doc__,
    params={
        "hour": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Hour (UTC)",
            description="Start of the hour to ingest. Empty: the run's data interval (or the last completed hour).",
        ),
        "gases": Param(
            tempo.default_gases(),
            type="array",
            items={"type": "string", "enum": list(GAS_NAMES)},
            title="Gases",
        ),
        "bbox": Param(
            None,
            type=["null", "array"],
            items={"type": "number"},
            title="Bounding box [west, south, east, north]",
            description="Empty: TEMPO_BBOX_WEST/SOUTH/EAST/NORTH, else CONUS.",
        ),
        "availability_delay_minutes": Param(
            tempo.DEFAULT_AVAILABILITY_DELAY_MINUTES,
            type="integer",
            minimum=0,
            title="Wait after the hour before asking Harmony (minutes)",
        ),
    },
)
def aeris_tempo_hourly():
    products = tempo.plan()
    wait_for_publication = DateTimeSensorAsync(
        task_id="wait_for_publication",
        # The end of the hour being ingested (the plan's: a manual run may ask for another hour) + delay.
        target_time="{{ (macros.datetime.fromisoformat(ti.xcom_pull(task_ids='plan')[0]['hour'])"
        " + macros.timedelta(hours=1, minutes=params.availability_delay_minutes)).isoformat() }}",
        doc_md="Deferrable wait until TEMPO has had time to publish the hour (no worker slot held).",
    )

    @task_group(group_id="gas")
    def gas_branch(product: dict):
        job = tempo.submit_harmony_job(product)
        links = HarmonyJobSensor(
            task_id="wait_for_harmony_job",
            job_id=job["job_id"],
            job_label=job["gas"],
            map_index_template="{{ task.job_label }}",
            # Small subsets often finish in seconds: look again soon, then back off (1, 2, 4 ... 30 s).
            poll_interval=1.0,
            max_poll_interval=30.0,
            timeout=2 * 3600,
            doc_md="Waits for the Harmony job in the triggerer; fails with Harmony's message on failed/canceled.",
            on_failure_callback=tempo.record_gas_failure,
        )
        staged = tempo.stage_geotiff(product, links.output, job["job_url"])
        loaded = tempo.load_gas_hour(product, staged)
        tempo.check_gas_hour(product, loaded)
        tempo.archive_gas_hour(product, staged)
        return loaded

    loads = gas_branch.expand(product=products)
    products >> wait_for_publication >> loads
    all_loaded = EmptyOperator(
        task_id="all_gases_loaded",
        trigger_rule="none_failed",
        doc_md="Fails (upstream_failed) when any gas failed, so the run ends red even though recompute ran.",
    )
    loads >> all_loaded
    tempo.publish_last_update(tempo.recompute_saved_route_exposure(loads))


aeris_tempo_hourly()
