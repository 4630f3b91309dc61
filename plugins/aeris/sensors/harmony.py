"""HarmonyJobSensor: checks a Harmony job (once, or for a few seconds), then defers to HarmonyJobTrigger.
The watch itself (JobWatch) is shared with HarmonyJobOperator."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aeris.hooks.harmony import HarmonyHook
from aeris.tasks.masking import masked
from aeris.triggers.harmony import HarmonyJobTrigger
from airflow.sdk import BaseOperatorLink, BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException
from airflow.sdk.observability.stats import Stats

from aeris_lib.harmony.jobs import Act, Done, Failed, next_step


class HarmonyJobLink(BaseOperatorLink):
    """'Harmony job' button: the job's JSON status page."""

    name = "Harmony job"

    def get_link(self, operator, *, ti_key) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        return XCom.get_value(ti_key=ti_key, key="harmony_job_url") or ""


@dataclass(frozen=True)
class JobWatch:
    """How a task watches a Harmony job: looked at in the task (for up to `look_again_for` s, 0.5, 1,
    2 s apart), then in the triggerer (HarmonyJobTrigger). Shared by HarmonyJobSensor and
    HarmonyJobOperator; `task` is the operator watching (its log, its `defer`)."""

    conn_id: str
    poll_interval: float = 5.0
    max_poll_interval: float = 60.0
    timeout: float = 3 * 3600
    skip_preview: bool = True
    resume_paused: bool = False
    look_again_for: float = 0.0

    def start(
        self, task: Any, context: Any, job_id: str, label: str, *, method_name: str, defer: bool = True
    ):
        """The data links once the job ended well (looked at here); else defers, resuming in
        `method_name` (`finish` decides there); None when not done and `defer` is off."""
        # One hook for the whole watch: its connection is read and its token obtained once, not per look.
        hook = HarmonyHook(self.conn_id)
        context["ti"].xcom_push(key="harmony_job_url", value=hook.job_status_url(job_id))
        started = time.monotonic()
        done = self.look(task, job_id, label, hook)  # the first look is the same as every later one
        pause = min(0.5, self.poll_interval)
        # A job that ends within seconds (native granules: Harmony only lists them) is waited for here:
        # cheaper than a deferral and a second task process. Bounded by `look_again_for`.
        while not done and time.monotonic() - started + pause <= self.look_again_for:
            time.sleep(pause)
            pause = min(pause * 2, self.max_poll_interval)
            done = self.look(task, job_id, label, hook)
        if done:
            Stats.timing(_metric(label, "wait"), timedelta(seconds=time.monotonic() - started))
            return list(done.xcom_value or [])
        if not defer:
            return None
        task.defer(
            trigger=HarmonyJobTrigger(
                job_id=job_id,
                harmony_conn_id=self.conn_id,
                poll_interval=self.poll_interval,
                max_poll_interval=self.max_poll_interval,
                timeout=float(self.timeout),
                skip_preview=self.skip_preview,
                resume_paused=self.resume_paused,
            ),
            method_name=method_name,
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def look(self, task: Any, job_id: str, label: str, hook: HarmonyHook | None = None) -> PokeReturnValue:
        """Done with the data links as the XCom when the job ended well; fails when it did not."""
        hook = hook or HarmonyHook(self.conn_id)
        job = hook.client.get_job(job_id)
        task.log.info(
            "Harmony job %s: %s, %s%% — %s", hook.job_status_url(job_id), job.status.value, job.progress,
            masked(job.message),
        )  # fmt: skip
        step = next_step(job, skip_preview=self.skip_preview, resume_paused=self.resume_paused)
        if isinstance(step, Failed):
            # Counted here too: a job that failed before the first check never reaches the triggerer.
            Stats.incr(_metric(label, "job_failures"))
            raise AirflowException(masked(step.error(job_id)))
        if isinstance(step, Act):
            task.log.info("Harmony job %s is %s: sending %s", job_id, job.status.value, step.action)
            hook.client.control_job(job_id, step.action)
        if isinstance(step, Done):
            return PokeReturnValue(is_done=True, xcom_value=list(step.links))
        return PokeReturnValue(is_done=False)

    def finish(self, task: Any, event: dict[str, Any], label: str) -> list[str]:
        """After the trigger: the data links on success; an error event fails the try (retries apply)."""
        if event.get("status") != "success":
            Stats.incr(_metric(label, "job_failures"))
            raise AirflowException(
                masked(f"Harmony job {event.get('job_id')} {event.get('job_status')}: {event.get('message')}")
            )
        task.log.info(
            "Harmony job %s %s: %d data link(s) after %.0f s in the triggerer",
            event["job_id"], event["job_status"], len(event["data_links"]), event.get("waited_s", 0.0),
        )  # fmt: skip
        Stats.timing(_metric(label, "wait"), timedelta(seconds=event.get("waited_s", 0.0)))
        return event["data_links"]


def _metric(label: str, name: str) -> str:
    # One series per gas (the job's label): plain StatsD drops tags, so the gas is in the name.
    return f"aeris.harmony.{name}.{label or 'job'}"


class HarmonyJobSensor(BaseSensorOperator):
    """Waits for a Harmony job to finish; returns the data links.

    :param job_id: the Harmony job id (templated).
    :param job_label: what the job fetches, e.g. the gas (templated; use in `map_index_template`).
    :param harmony_conn_id: the Harmony connection.
    :param skip_preview: skip a `previewing` job's preview instead of failing.
    :param resume_paused: resume a `paused` job instead of failing.
    :param look_again_for: seconds to keep looking (0.5, 1, 2 s apart) before deferring: a job that ends
        within them costs no triggerer round trip and no second task process (default 0: look once).
    """

    template_fields: Sequence[str] = ("job_id", "job_label")
    operator_extra_links = (HarmonyJobLink(),)
    ui_color = "#c6e2ff"

    def __init__(
        self,
        *,
        job_id: str,
        job_label: str = "",
        harmony_conn_id: str = HarmonyHook.default_conn_name,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        skip_preview: bool = True,
        resume_paused: bool = False,
        deferrable: bool = True,
        look_again_for: float = 0.0,
        **kwargs: Any,
    ):
        kwargs.setdefault("timeout", 3 * 3600)
        super().__init__(**kwargs)
        self.job_id = job_id
        self.job_label = job_label
        self.harmony_conn_id = harmony_conn_id
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.skip_preview = skip_preview
        self.resume_paused = resume_paused
        self.deferrable = deferrable
        self.look_again_for = look_again_for

    @property
    def watch(self) -> JobWatch:
        return JobWatch(self.harmony_conn_id, self.poll_interval, self.max_poll_interval, float(self.timeout),
                        self.skip_preview, self.resume_paused, self.look_again_for)  # fmt: skip

    def execute(self, context: Any) -> list[str]:
        links = self.watch.start(
            self, context, self.job_id, self.job_label, method_name="execute_complete", defer=self.deferrable
        )
        return links if links is not None else super().execute(context)  # not deferrable: poke here

    def poke(self, context: Any) -> PokeReturnValue:
        """Done with the data links as the task's XCom when the job ended well; fails when it did not."""
        return self.watch.look(self, self.job_id, self.job_label)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> list[str]:
        """Resumes after the trigger: data links on success; an error event fails the try (retries apply)."""
        return self.watch.finish(self, event, self.job_label)
