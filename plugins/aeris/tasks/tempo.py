"""`aeris_tempo_hourly`'s plan, and the per-gas chain both TEMPO DAGs wire: Harmony job (submitted and
waited for in one task) → stage and load (one task, unless their queues differ) → archive. The steps
themselves: sensors.publication (wait for CMR), operators.harmony and tasks.harmony (job), tasks.stage
(read the outputs into the hour's raster), tasks.slices (load, archive), tasks.routes (the app's "now");
tasks.breaker (failures)."""

from __future__ import annotations

import logging
from typing import Any

from aeris.config import settings
from aeris.config.connections import aeris_db
from aeris.operators.harmony import HarmonyJobOperator
from aeris.tasks import catalog, slices, stage
from airflow.sdk import XComArg, task

log = logging.getLogger(__name__)


@task
def plan(**context: Any) -> list[dict[str, Any]]:
    """Resolve and validate the run's hour, gases and bbox; each gas's product (line, concept id)."""
    params = context["params"]
    hour = settings.resolve_hour(params, context)
    gases, bbox = settings.run_gases_and_bbox(params)
    entries = settings.load_catalog()
    wanted = [entries[g] for g in gases]
    with aeris_db() as conn:  # one connection for the catalog cache and the slices already loaded
        planned = catalog.resolve(conn, wanted, hour, bbox, *catalog.choose_lines(conn, wanted, hour, bbox))
    log.info("Plan: hour %s, gases %s, bbox %s", hour.isoformat(), ",".join(gases), list(bbox))
    return [gas_hour.to_xcom() for gas_hour in planned]


def harmony_to_slice(product: Any, publication: Any = None) -> XComArg:
    """Wire one gas-hour's Harmony job (submitted, then waited for in the triggerer), staging and load
    (one task, `load_gas_hour`, unless AERIS_STAGE_QUEUE and AERIS_LOAD_QUEUE differ) and archive;
    returns the load task's output (which says what was loaded). `publication`: the CMR
    sensor's output, when the DAG waited for it (else the product carries its own listing)."""
    job = HarmonyJobOperator(
        task_id="harmony_job",
        product=product,
        publication=publication,
        # Looked at for up to 10 s in the task (HarmonyJobOperator); then in the triggerer, looking again
        # soon, then backing off (1, 2, 4 ... 30 s).
        poll_interval=1.0,
        max_poll_interval=30.0,
        timeout=2 * 3600,
        doc_md="Submits the gas-hour's Harmony job (or reuses it while Harmony holds its results) and "
        "waits for it in the triggerer; fails with Harmony's message on failed/canceled, and a retry "
        "submits anew.",
    )
    outputs: Any = job.output  # the job's XCom, with its data links
    if not settings.stage_apart():  # one worker stages and loads: one process
        loaded = slices.stage_and_load_gas_hour(product, outputs)
        slices.archive_gas_hour(product, loaded)
        return loaded
    staged = stage.stage_geotiff(product, outputs)
    loaded = slices.load_gas_hour(product, staged)
    slices.archive_gas_hour(product, loaded, staged)
    return loaded
