"""The asynchronous Harmony transport, for Airflow's triggerer: job status and job actions only.

Same rules as the sync client (`http`, `jobs`): the token goes to Harmony's origin only, redirects are
not followed, a 401 refreshes the token once, and what a status means is `jobs.next_step`'s decision.
A transient answer (429/5xx) or a dropped connection is not an error here: the poll loop simply asks
again at its next interval, which is the trigger's retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp

from aeris_lib.harmony import jobs
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import HarmonyAuthError, HarmonyError, HarmonyUnreachable
from aeris_lib.harmony.http import RETRY_STATUSES, TokenRoutes, describe_error, parse_json, redact, safe_url
from aeris_lib.harmony.jobs import JOB_ACTIONS, Act, Done, Failed, JobPages, PollSchedule
from aeris_lib.harmony.models import Job

log = logging.getLogger(__name__)


class TransientAnswer(HarmonyError):
    """Harmony answered 429/5xx: worth asking again later."""


class AsyncHarmonyClient:
    """Use as `async with AsyncHarmonyClient(base_url, tokens) as client: await client.wait_for_job(id)`.

    :param tokens: the same `TokenProvider` the sync client uses; its blocking calls run in a thread.
    :param timeout: total seconds for each HTTP call.
    """

    def __init__(self, base_url: str, tokens: TokenProvider, *, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.routes = TokenRoutes(self.base_url)
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AsyncHarmonyClient:
        # trust_env=False: no proxy or ~/.netrc credentials from the environment, as in the sync client.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout), trust_env=False
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def job_url(self, job_id: str) -> str:
        return jobs.job_url(self.base_url, job_id)

    async def _send(self, method: str, url: str) -> tuple[int, str, str]:
        """(status, content type, body) of one authorised call; a 401 refreshes the token once."""
        if self._session is None:
            raise RuntimeError("AsyncHarmonyClient is used outside `async with`")
        if not self.routes.takes_token(url):
            raise HarmonyError(self.routes.refuse(url, self.base_url))
        token = await asyncio.to_thread(self.tokens.get)
        for attempt in (1, 2):
            try:
                async with self._session.request(
                    method, url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False
                ) as response:
                    status, body = response.status, await response.text()
                    content_type = response.headers.get("Content-Type", "")
            except (aiohttp.ClientError, TimeoutError) as error:
                raise HarmonyUnreachable(
                    f"Harmony unreachable at {safe_url(url)}: {type(error).__name__}: {redact(str(error))}"
                ) from None
            if status != 401 or attempt == 2:
                break
            log.info("Harmony answered 401 for the current token; obtaining a new Earthdata token once")
            token = await asyncio.to_thread(self.tokens.refresh, token)
        if status in (401, 403):
            raise HarmonyAuthError(
                f"Harmony refused the Earthdata token: HTTP {status} {describe_error(body)}", status=status
            )
        if status in RETRY_STATUSES:
            raise TransientAnswer(f"{method} {safe_url(url)} answered HTTP {status}", status=status)
        if status >= 400:
            raise HarmonyError(
                f"{method} {safe_url(url)} answered HTTP {status}: {describe_error(body)}", status=status
            )
        return status, content_type, body

    async def get_job(self, job_id: str) -> Job:
        """Job status with the links of every page merged (following `rel=next`)."""
        pages = JobPages(job_id)
        url: str | None = jobs.first_page_url(self.job_url(job_id))
        while url:
            pages.visit(url)
            status, content_type, body = await self._send("GET", url)
            if status >= 300:  # redirects are not followed: the token must not travel with them
                raise HarmonyError(
                    f"GET {safe_url(url)} answered HTTP {status} instead of the job", status=status
                )
            parsed = parse_json(
                body, url=url, status=status, content_type=content_type, what=f"Harmony job {job_id} status"
            )
            url = pages.add(url, parsed)
        return pages.job()

    async def control_job(self, job_id: str, action: str) -> None:
        """`cancel`, `pause`, `resume` or `skip-preview`. Harmony redirects to the job's status, which
        the next look reads; a 409 (the job already moved on) is not an error."""
        if action not in JOB_ACTIONS:
            raise ValueError(f"unknown job action {action!r}")
        try:
            await self._send("POST", f"{self.job_url(job_id)}/{action}")
        except HarmonyError as error:
            if error.status != 409:
                raise

    async def wait_for_job(
        self,
        job_id: str,
        *,
        timeout: float,
        poll_initial: float,
        poll_max: float,
        skip_preview: bool = True,
        resume_paused: bool = False,
        on_look: Callable[[Job], None] | None = None,
    ) -> Done:
        """Polls until `next_step` says Done (returned) or Failed (raised as `HarmonyJobFailed`, also
        for the timeout). Transient answers and dropped connections are polled through."""
        schedule = PollSchedule(poll_initial, poll_max, timeout)
        while True:
            try:
                job = await self.get_job(job_id)
            except (TransientAnswer, HarmonyUnreachable) as error:
                log.warning("Harmony job %s: %s; asking again later", job_id, error)
                last_seen = f"last answer: {error}"
            else:
                last_seen = f"{job.progress}%"
                if on_look:
                    on_look(job)
                step = jobs.next_step(job, skip_preview=skip_preview, resume_paused=resume_paused)
                if isinstance(step, Done):
                    return step
                if isinstance(step, Failed):
                    raise step.error(job_id)
                if isinstance(step, Act):
                    log.info("Harmony job %s is %s: sending %s", job_id, job.status.value, step.action)
                    await self.control_job(job_id, step.action)
            await asyncio.sleep(schedule.next_wait(job_id, last_seen))
