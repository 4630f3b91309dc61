"""
### AERIS — TEMPO granule events: an hour loads the minute CMR lists its last granule

CMR sends an event for each granule of a subscribed collection it ingests (`python -m
scripts.cmr_subscriptions create`) to the SQS queue AERIS_EVENTS_QUEUE_ARN; the triggerer watches the
queue, and each batch of messages starts a run:

1. **find_event_hours** reads the messages (one per granule and revision, duplicates counted once) and
   decides, as the hourly DAG does, which (gas, hour)s they complete or change: the hour's product line,
   then CMR's own listing. An hour loads once every scan of it is listed, and not again while its slice
   came from exactly those granules at those revisions: a duplicate message does nothing, a
   republished granule (`Update`, a new revision) loads the hour again. A granule scans parts of two
   clock hours; O3TOT feeds O3 and AI;
2. per gas-hour (mapped), the hourly DAG's own **harmony_job** → **load_gas_hour**;
3. **recompute_hours**: saved-route exposure of every hour loaded, then Redis `tempo:last_update`.

`aeris_tempo_hourly` still runs every hour: an hour this DAG loaded is `unchanged` there at once, and
an hour whose message was lost loads there. Without AERIS_EVENTS_QUEUE_ARN nothing starts this DAG.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aeris.config import settings
from aeris.tasks import events, routes, tempo
from aeris.triggers.events import granule_events
from airflow.sdk import Param, dag

from aeris_lib import config
from aeris_lib.gases import GAS_NAMES


@dag(
    dag_id="aeris_tempo_events",
    schedule=[granule_events(config.Earthdata.from_env().events_queue_arn)],
    start_date=datetime(2024, 9, 1, tzinfo=UTC),
    catchup=False,
    # Events of successive hours load side by side; one hour's events arriving twice load it once.
    max_active_runs=4,
    default_args=settings.gas_dag_default_args(),
    tags=["aeris", "tempo", "ingestion", "events"],
    doc_md=__doc__,
    params={
        "gases": Param(settings.default_gases(), type="array", items={"type": "string", "enum": list(GAS_NAMES)},
                       minItems=1, uniqueItems=True, title="Gases"),
        "bbox": Param(None, type=["null", "array"], items={"type": "number"}, minItems=4, maxItems=4,
                      title="Bounding box [west, south, east, north]",
                      description="Empty: TEMPO_BBOX_WEST/SOUTH/EAST/NORTH, else CONUS (as the hourly runs)."),
    },
)  # fmt: skip
def aeris_tempo_events():
    routes.recompute_hours(tempo.load_each(events.find_event_hours()))


aeris_tempo_events()
