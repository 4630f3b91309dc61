"""HarmonyJobTrigger: waits for a Harmony job in the triggerer, without holding a worker slot."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from aeris.hooks.harmony import HarmonyHook
from airflow.triggers.base import BaseTrigger, TriggerEvent

from aeris_lib.harmony.errors import (
    EarthdataLoginError,
    HarmonyAuthError,
    HarmonyBadAnswer,
    HarmonyError,
    HarmonyJobFailed,
    HarmonyUnreachable,
)
from aeris_lib.harmony.http import redact
from aeris_lib.harmony.models import Job


def error_kind(error: HarmonyError) -> str:
    """The event's `job_status` for an error: the job's own status, or what went wrong on the way."""
    if isinstance(error, HarmonyJobFailed):
        return error.job_status
    if isinstance(error, EarthdataLoginError | HarmonyAuthError):
        return "auth_error"
    if isinstance(error, HarmonyUnreachable):
        return "unreachable"
    if isinstance(error, HarmonyBadAnswer):
        return "bad_response"
    return "http_error"


class HarmonyJobTrigger(BaseTrigger):
    """Polls `GET /jobs/<id>` with a growing interval through the hook's async client; one event.

    Events: `{"status": "success", "job_id", "data_links": [...], "job_status", "message", "waited_s"}`,
    or `{"status": "error", "job_id", "job_status", "message", "waited_s"}` where `job_status` is
    failed / canceled / paused / previewing / timeout, or auth_error / http_error / bad_response.
    429/5xx answers and dropped connections are polled through until the timeout.

    :param skip_preview: a job in `previewing` is told to skip the preview (else an error event).
    :param resume_paused: a `paused` job is resumed (else an error event).
    """

    def __init__(
        self,
        *,
        job_id: str,
        harmony_conn_id: str = HarmonyHook.default_conn_name,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        timeout: float = 3 * 3600.0,
        skip_preview: bool = True,
        resume_paused: bool = False,
    ):
        super().__init__()
        self.job_id = job_id
        self.harmony_conn_id = harmony_conn_id
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.timeout = timeout
        self.skip_preview = skip_preview
        self.resume_paused = resume_paused

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "harmony_conn_id": self.harmony_conn_id,
                "poll_interval": self.poll_interval,
                "max_poll_interval": self.max_poll_interval,
                "timeout": self.timeout,
                "skip_preview": self.skip_preview,
                "resume_paused": self.resume_paused,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        started = time.monotonic()
        try:
            async with await HarmonyHook(self.harmony_conn_id).get_async_client() as client:
                done = await client.wait_for_job(
                    self.job_id,
                    timeout=self.timeout,
                    poll_initial=self.poll_interval,
                    poll_max=self.max_poll_interval,
                    skip_preview=self.skip_preview,
                    resume_paused=self.resume_paused,
                    on_look=self._log_look,
                )
            payload: dict[str, Any] = {
                "status": "success",
                "job_id": self.job_id,
                "job_status": done.job.status.value,
                "message": redact(done.job.error_summary() if done.job.errors else done.job.message),
                "data_links": list(done.links),
            }
        except HarmonyError as error:
            message = error.job_message if isinstance(error, HarmonyJobFailed) else str(error)
            payload = {
                "status": "error",
                "job_id": self.job_id,
                "job_status": error_kind(error),
                "message": redact(message),
            }
        payload["waited_s"] = round(time.monotonic() - started, 1)
        yield TriggerEvent(payload)

    def _log_look(self, job: Job) -> None:
        self.log.info(
            "Harmony job %s: %s, %s%% (%s)", self.job_id, job.status.value, job.progress, job.message
        )
