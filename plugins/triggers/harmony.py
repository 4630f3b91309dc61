"""HarmonyJobTrigger: waits for a Harmony job in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from airflow.sdk import BaseHook
from airflow.triggers.base import BaseTrigger, TriggerEvent
from hooks.harmony import HarmonyHook, HarmonySettings

from aeris_lib.harmony.auth import FIND_OR_CREATE_PATH, parse_token
from aeris_lib.harmony.client import redact
from aeris_lib.harmony.models import Job, JobStatus

RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class HarmonyJobTrigger(BaseTrigger):
    """Polls `GET /jobs/<id>` with a growing interval; yields exactly one event.

    Events: `{"status": "success", "job_id", "data_links": [...], "job_status", "message"}`, or
    `{"status": "error", "job_id", "job_status", "message"}` for failed / canceled / paused /
    timeout / an unrecoverable HTTP error.

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

    def _error(self, job_status: str, message: str) -> TriggerEvent:
        return TriggerEvent(
            {"status": "error", "job_id": self.job_id, "job_status": job_status, "message": message}
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        started = time.monotonic()
        try:
            event = await self._poll()
        except (aiohttp.ClientError, TimeoutError) as error:
            event = self._error(
                "unreachable", f"Harmony unreachable: {type(error).__name__}: {redact(str(error))}"
            )
        except ValueError as error:  # a body that is not a Harmony job document (HTML, bad JSON, status)
            event = self._error("bad_response", redact(str(error)))
        event.payload["waited_s"] = round(time.monotonic() - started, 1)
        yield event

    async def _poll(self) -> TriggerEvent:
        settings = HarmonySettings.from_connection(await BaseHook.aget_connection(self.harmony_conn_id))
        job_url = f"{settings.base_url}/jobs/{self.job_id}"
        deadline = time.monotonic() + self.timeout
        interval = self.poll_interval
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            token = settings.token or await self._obtain_token(session, settings)
            refreshed = False
            while True:
                async with session.get(
                    job_url,
                    headers={"Authorization": f"Bearer {token}"},
                    params={"page": "1", "limit": "2000"},
                    allow_redirects=False,  # a redirect must not carry the token to another host
                ) as response:
                    if response.status == 401 and not refreshed and settings.username:
                        token, refreshed = await self._obtain_token(session, settings), True
                        continue
                    if response.status in RETRYABLE_STATUSES:
                        body = None
                    elif response.status >= 300:
                        text = " ".join((await response.text())[:300].split())
                        return self._error(
                            "http_error", f"GET {job_url} answered HTTP {response.status}: {redact(text)}"
                        )
                    else:
                        text = await response.text()
                        try:
                            body = json.loads(text)
                        except ValueError:
                            raise ValueError(
                                f"GET {job_url} answered HTTP {response.status} "
                                f"({response.headers.get('Content-Type', 'no content type')}), not JSON: "
                                f"{' '.join(text[:160].split())!r}"
                            ) from None
                if body is not None:
                    job = Job.from_json(body)
                    self.log.info(
                        "Harmony job %s: %s, %s%% (%s)",
                        self.job_id,
                        job.status.value,
                        job.progress,
                        job.message,
                    )
                    event = await self._decide(session, job, job_url, token)
                    if event is not None:
                        return event
                if time.monotonic() + interval > deadline:
                    return self._error("timeout", f"job not finished after {self.timeout:.0f} s")
                await asyncio.sleep(interval)
                interval = min(interval * 2, self.max_poll_interval)

    async def _decide(
        self, session: aiohttp.ClientSession, job: Job, job_url: str, token: str
    ) -> TriggerEvent | None:
        status = job.status
        if status in (JobStatus.FAILED, JobStatus.CANCELED):
            return self._error(status.value, job.error_summary() or "no message")
        if status.has_results:
            links = [link.href for link in job.data_links]
            if not links:
                return self._error(status.value, "job finished without data links")
            return TriggerEvent(
                {
                    "status": "success",
                    "job_id": self.job_id,
                    "job_status": status.value,
                    "message": job.error_summary() if job.errors else job.message,
                    "data_links": links,
                }
            )
        action = None
        if status is JobStatus.PREVIEWING:
            if not self.skip_preview:
                return self._error("previewing", "job is previewing and skip_preview is off")
            action = "skip-preview"
        elif status is JobStatus.PAUSED:
            if not self.resume_paused:
                return self._error("paused", "job is paused; resume it in Harmony or set resume_paused=True")
            action = "resume"
        if action:
            self.log.info("Harmony job %s is %s: sending %s", self.job_id, status.value, action)
            async with session.post(
                f"{job_url}/{action}", headers={"Authorization": f"Bearer {token}"}, allow_redirects=False
            ) as response:
                if response.status >= 400 and response.status != 409:
                    return self._error(status.value, f"{action} answered HTTP {response.status}")
        return None

    @staticmethod
    async def _obtain_token(session: aiohttp.ClientSession, settings: HarmonySettings) -> str:
        if not (settings.username and settings.password):
            raise aiohttp.ClientError("no Earthdata credentials or token configured for Harmony")
        auth = aiohttp.BasicAuth(settings.username, settings.password)
        async with session.post(settings.urs_url + FIND_OR_CREATE_PATH, auth=auth) as response:
            if response.status != 200:
                raise aiohttp.ClientError(f"Earthdata Login answered HTTP {response.status}")
            return parse_token(await response.json()).value
