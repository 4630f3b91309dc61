"""`aeris_tempo_hourly`'s plan, and the per-gas chain every TEMPO DAG wires (`load_each`): `harmony_job` (CMR's
listing waited for, the job submitted and waited for) → `load_gas_hour` (the granules read and merged,
the slice loaded, checked, published and archived; the reading is `stage_geotiff` of its own when the
queues differ). The steps themselves: operators.harmony with sensors.publication (CMR) and
tasks.harmony (job), tasks.stage (read the outputs into the hour's raster), tasks.slices (load,
archive), tasks.routes (the app's "now"); tasks.breaker (failures)."""

from __future__ import annotations

import logging
from typing import Any

from aeris.config import settings
from aeris.config.connections import aeris_db
from aeris.operators.harmony import HarmonyJobOperator
from aeris.tasks import breaker, catalog, schema, slices
from airflow.sdk import XComArg, task, task_group

log = logging.getLogger(__name__)


@task
def plan(**context: Any) -> list[dict[str, Any]]:
    """Apply pending schema migrations; resolve and validate the run's hour, gases and bbox; each
    gas's product (line, concept id)."""
    params = context["params"]
    hour = settings.resolve_hour(params, context)
    gases, bbox = settings.run_gases_and_bbox(params)
    entries = settings.load_catalog()
    wanted = [entries[g] for g in gases]
    with aeris_db() as conn:  # one connection: the schema, the catalog cache, the slices already loaded
        schema.migrate(conn)  # current before anything reads it
        planned = catalog.resolve(conn, wanted, hour, bbox, *catalog.choose_lines(conn, wanted, hour, bbox))
    log.info("Plan: hour %s, gases %s, bbox %s", hour.isoformat(), ",".join(gases), list(bbox))
    return [gas_hour.to_xcom() for gas_hour in planned]


def load_each(products: XComArg, group_id: str = "gas", wait_for_publication: bool = False) -> Any:
    """The per-gas task group (`harmony_to_slice`) mapped over a plan's products (map index: the gas):
    every TEMPO DAG loads through it. Returns the loads' outputs."""

    @task_group(group_id=group_id)
    def per_gas(product: dict):
        return harmony_to_slice(product, wait_for_publication=wait_for_publication)

    return per_gas.expand(product=products)


def harmony_to_slice(product: Any, wait_for_publication: bool = False) -> XComArg:
    """Wire one gas-hour's Harmony job (after CMR lists the hour, when `wait_for_publication`; else for
    the granules the product carries), then its staging, load and audit copy (one task, `load_gas_hour`,
    unless AERIS_STAGE_QUEUE and AERIS_LOAD_QUEUE differ: then `stage_geotiff` first); returns the load
    task's output (which says what was loaded)."""
    # Held until CMR lists the hour or its deadline passes: the waits set their own deferral timeouts.
    waits: dict[str, Any] = {"execution_timeout": None} if wait_for_publication else {}
    job = HarmonyJobOperator(
        task_id="harmony_job",
        product=product,
        wait_for_publication=wait_for_publication,
        # Looked at for up to 10 s in the task; then in the triggerer, looking again soon, then backing
        # off (1, 2, 4 ... 30 s).
        job_poll_interval=1.0,
        job_max_poll_interval=30.0,
        job_timeout=2 * 3600,
        on_skipped_callback=breaker.warn_circuit_open,
        doc_md=("Waits in the triggerer until CMR lists every granule of the hour (skips night hours at once), "
                if wait_for_publication else "")
        + "submits the gas-hour's Harmony job (or reuses it while Harmony holds its results) and waits for "
        "it, in the task for 10 s, then in the triggerer; fails with Harmony's message on failed/canceled, "
        "and a retry submits anew.",
        **waits,
    )  # fmt: skip
    outputs: Any = job.output  # the job's XCom, with its data links
    if not settings.stage_apart():  # one worker stages and loads: one process
        return slices.stage_and_load_gas_hour(product, outputs)
    from aeris.tasks import stage  # the staging modules load rasterio: only for the DAG that wires them

    return slices.load_gas_hour(product, stage.stage_geotiff(product, outputs))
