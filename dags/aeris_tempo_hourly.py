"""
### AERIS — TEMPO hourly ingestion

Every hour (minute 0 UTC) this DAG ingests the hour that just ended, `[data_interval_start,
data_interval_end)`, for each gas (NO2, CH2O, AI, PM, O3):

1. **plan** applies pending schema migrations, then resolves the hour, gases, bbox (Params below) and
   each gas's product;
2. per gas (mapped), **harmony_job** (deferrable, in the triggerer): asks CMR until every TEMPO granule
   of the hour is listed (skips at once at night, and at the deadline if nothing came), then submits the
   Harmony job (one per request, reused on retry while Harmony holds its results) and waits for it →
   **load_gas_hour** (every granule read over the bbox and merged; the slice written, the data-quality
   checks run, and only then published; then its audit COG, map and STAC item in S3);
3. **recompute_saved_route_exposure** once any gas loaded, then advances Redis `tempo:last_update`.

A gas without a verified TEMPO product (PM) is skipped with its reason; a failed gas does not stop the
others; `all_gases_loaded` then fails so the run shows red. An older hour (backfill, refill) adds
history but never moves the app's "now" back. Timing and settings: README, "Timing".
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from aeris.config import settings
from aeris.tasks import routes, tempo
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Param, dag
from airflow.timetables.interval import CronDataIntervalTimetable

from aeris_lib import config
from aeris_lib.gases import GAS_NAMES

# A run waits up to the publication deadline after its hour (AERIS_PUBLICATION_DEADLINE_MINUTES), so
# that many hours' runs are in flight at once; a waiting hour must never hold back the next ones.
MAX_ACTIVE_RUNS = min(math.ceil(config.Publication.from_env().deadline_minutes / 60) + 2, 12)


@dag(
    dag_id="aeris_tempo_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 9, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=MAX_ACTIVE_RUNS,
    default_args=settings.gas_dag_default_args(),
    tags=["aeris", "tempo", "ingestion"],
    doc_md=__doc__,
    params={
        "hour": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Hour (UTC)",
            description="Start of an hour that has ended (e.g. 2024-09-01T15:00:00Z). Empty: the run's data "
            "interval (or the last completed hour).",
        ),
        "gases": Param(
            settings.default_gases(),
            type="array",
            items={"type": "string", "enum": list(GAS_NAMES)},
            minItems=1,
            uniqueItems=True,
            title="Gases",
        ),
        "bbox": Param(
            None,
            type=["null", "array"],
            items={"type": "number"},
            minItems=4,
            maxItems=4,
            title="Bounding box [west, south, east, north]",
            description="Empty: TEMPO_BBOX_WEST/SOUTH/EAST/NORTH, else CONUS.",
        ),
        "force_reload": Param(
            False,
            type="boolean",
            title="Reload even if unchanged",
            description="Write each slice again even when Harmony's file equals the one already loaded "
            "(e.g. after a threshold change). Off: an unchanged file writes nothing.",
        ),
    },
)
def aeris_tempo_hourly():
    loads = tempo.load_each(tempo.plan(), wait_for_publication=True)
    all_loaded = EmptyOperator(
        task_id="all_gases_loaded",
        trigger_rule="none_failed",
        doc_md="Fails (upstream_failed) when any gas failed, so the run ends red even though recompute ran.",
    )
    loads >> all_loaded
    routes.recompute_saved_route_exposure(loads)


aeris_tempo_hourly()
