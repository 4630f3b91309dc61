"""HarmonyJobOperator: one gas-hour from NASA's side, in one task: waits until CMR lists the hour (the
publication sensor's wait), then submits (or reuses) the Harmony job and waits for it.

One task rather than a publication sensor, a submit task and a job sensor: each task process costs
about a second of CPU before any work, in the worker, the scheduler and the API server (measured:
docs/measurements.md), and both waits are spent deferred in the triggerer. A retry after a failed or
canceled job looks at CMR again (at once: the hour is listed) and submits a new job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aeris.hooks.harmony import HarmonyHook
from aeris.sensors.harmony import HarmonyJobLink, HarmonyJobSensor, JobWatch
from aeris.sensors.publication import GasPublicationSensor
from aeris.tasks import reconcile
from aeris.tasks.gas_task import GAS_TASK
from aeris.tasks.harmony import submit_or_reuse
from airflow.sdk.exceptions import AirflowSkipException

from aeris_lib import defaults
from aeris_lib.publication import Publication

# The job's XCom (what the load reads beside the links): job id and URL, the granules and their
# revisions and sizes, the shape and why; pushed before the wait, so it is there after a deferral.
JOB_KEY = "harmony_job"


class HarmonyJobOperator(GasPublicationSensor):
    """The gas-hour's Harmony job: after CMR lists the hour (as `GasPublicationSensor` waits, skipping
    night hours, open breakers and hours nothing was published for), submitted or reused
    (aeris.tasks.harmony), then watched as `HarmonyJobSensor` watches (looks for `look_again_for` s,
    then the triggerer). Returns the job's XCom with its `data_links`.

    :param product: the plan's `GasHour` for one gas, as its XCom value (templated: a mapped argument).
    :param wait_for_publication: wait for CMR first (the hourly DAG); off: the job is for the granules
        in `publication`, or the product's own (the reprocess DAG, whose hours are listed).
    :param publication: the granules to ask for when not waiting for CMR (templated).
    :param job_poll_interval: first seconds between looks at the job in the triggerer, doubling up to
        `job_max_poll_interval`; `job_timeout`: how long the job may take.
    """

    template_fields: Sequence[str] = (*GasPublicationSensor.template_fields, "publication")
    operator_extra_links = (HarmonyJobLink(),)
    ui_color = HarmonyJobSensor.ui_color

    def __init__(
        self,
        *,
        product: dict[str, Any],
        wait_for_publication: bool = True,
        publication: dict[str, Any] | None = None,
        harmony_conn_id: str = HarmonyHook.default_conn_name,
        job_poll_interval: float = 1.0,
        job_max_poll_interval: float = 30.0,
        job_timeout: float = 2 * 3600,
        look_again_for: float = 10.0,
        **kwargs: Any,
    ):
        kwargs.setdefault("pool", defaults.HARMONY_POOL)
        for name, value in GAS_TASK.items():
            kwargs.setdefault(name, value)
        super().__init__(product=product, **kwargs)
        self.wait_for_publication = wait_for_publication
        self.publication = publication
        # Native granule jobs end in seconds (Harmony only lists the granules): looked at here first.
        self.watch = JobWatch(harmony_conn_id, job_poll_interval, job_max_poll_interval, job_timeout,
                              look_again_for=look_again_for)  # fmt: skip

    def execute(self, context: Any) -> dict[str, Any]:
        if self.wait_for_publication:
            return super().execute(context)  # CMR first; `finish` goes on to the job
        self._bind(context)
        return self._job(context, self.publication)

    def finish(self, context: Any, decision: Publication) -> dict[str, Any]:
        """The hour is listed (else the publication sensor's skip): now the job, unless the published
        slice already came from exactly these granules (then a skip: `unchanged`, nothing fetched)."""
        publication = super().finish(context, decision)
        unchanged = reconcile.unchanged_at_once(self.gas_hour, publication, context.get("params") or {})
        if unchanged:
            raise AirflowSkipException(f"{self.subject} {self.hour}: unchanged: {unchanged}")
        return self._job(context, publication)

    def _job(self, context: Any, publication: dict[str, Any] | None) -> dict[str, Any]:
        job = submit_or_reuse(self.gas_hour, publication)
        context["ti"].xcom_push(key=JOB_KEY, value=job)
        links = self.watch.start(self, context, job["job_id"], self.subject, method_name="job_complete")
        return {**job, "data_links": links}  # or it deferred: back in job_complete

    def job_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        """Resumes after the Harmony trigger: the job's XCom with its links; a failed job fails the try."""
        self._bind(context)
        links = self.watch.finish(self, event, self.subject)
        ti = context["ti"]
        job = ti.xcom_pull(task_ids=self.task_id, key=JOB_KEY, map_indexes=ti.map_index)
        return {**job, "data_links": links}
