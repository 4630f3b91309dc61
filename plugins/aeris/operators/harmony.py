"""HarmonyJobOperator: submits (or reuses) a gas-hour's Harmony job, then waits for it in one task.

One task rather than a submit task and a sensor: one task process fewer per gas-hour when the job is
done at the first look (native granule requests are), and a retry after a failed or canceled job
submits a new one instead of waiting on the same failed job again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aeris.sensors.harmony import HarmonyJobSensor
from aeris.tasks.gas_task import GAS_TASK, gas_context
from aeris.tasks.harmony import submit_or_reuse

from aeris_lib import defaults

# The job's XCom (what stage_geotiff reads beside the links): job id and URL, the granules and their
# revisions and sizes, the shape and why; pushed before the wait, so it is there after a deferral.
JOB_KEY = "harmony_job"


class HarmonyJobOperator(HarmonyJobSensor):
    """The gas-hour's Harmony job, submitted or reused (aeris.tasks.harmony), then waited for as
    `HarmonyJobSensor` waits (one look, then the triggerer). Returns the job's XCom with its
    `data_links`.

    :param product: the plan's `GasHour` for one gas, as its XCom value (templated: a mapped argument).
    :param publication: the granules CMR listed (the publication sensor's output); None: the product's own.
    """

    template_fields: Sequence[str] = (*HarmonyJobSensor.template_fields, "product", "publication")

    def __init__(self, *, product: dict[str, Any], publication: dict[str, Any] | None = None, **kwargs: Any):
        kwargs.setdefault("pool", defaults.HARMONY_POOL)
        # Native granule jobs end in seconds (Harmony only lists the granules): wait for them here.
        kwargs.setdefault("look_again_for", 10.0)
        for name, value in GAS_TASK.items():
            kwargs.setdefault(name, value)
        super().__init__(job_id="", **kwargs)
        self.product = product
        self.publication = publication

    def execute(self, context: Any) -> dict[str, Any]:
        gas_hour, _ = gas_context(self.product, context)
        job = submit_or_reuse(gas_hour, self.publication)
        context["ti"].xcom_push(key=JOB_KEY, value=job)
        self.job_id, self.job_label = job["job_id"], gas_hour.gas
        return {**job, "data_links": super().execute(context)}  # or defers, back in execute_complete

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        gas_hour, _ = gas_context(self.product, context)
        self.job_label = gas_hour.gas
        links = super().execute_complete(context, event)
        ti = context["ti"]
        job = ti.xcom_pull(task_ids=self.task_id, key=JOB_KEY, map_indexes=ti.map_index)
        return {**job, "data_links": links}
