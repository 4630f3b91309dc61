"""What to do about a Harmony job: the one decision the client, the sensor and the trigger share.

`next_step(job)` is pure: `Done` (data links), `Failed` (why), `Act` (send `skip-preview` / `resume`) or
`Wait`. `PollSchedule` is the growing poll interval and the deadline; `JobPages` merges the pages of
`GET /jobs/<id>` and guards against paging loops. The sync (`client.HarmonyClient`) and async
(`aio.AsyncHarmonyClient`) transports only move bytes around these.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urljoin

from aeris_lib.harmony.errors import HarmonyBadAnswer, HarmonyError, HarmonyJobFailed
from aeris_lib.harmony.http import safe_url
from aeris_lib.harmony.models import Job, JobStatus, Link

log = logging.getLogger(__name__)

JOB_PAGE_LIMIT = 2000
# Job status pages followed at most (2000 links each: 100,000 granules is far beyond one gas-hour).
MAX_JOB_PAGES = 50
JOB_ACTIONS = ("cancel", "pause", "resume", "skip-preview")
_PAGING_RELS = ("next", "prev", "first", "last")


@dataclass(frozen=True)
class Done:
    """The job finished with results; `links` are its data hrefs in Harmony's order."""

    job: Job
    links: tuple[str, ...]


@dataclass(frozen=True)
class Failed:
    """The job will not give results: `job_status` is Harmony's status (or `paused`/`previewing` when
    we were told not to move it on); `message` carries Harmony's own words."""

    job_status: str
    message: str

    def error(self, job_id: str) -> HarmonyJobFailed:
        return HarmonyJobFailed(job_id, self.message, status=self.job_status)


@dataclass(frozen=True)
class Act:
    """Tell Harmony `action` (`skip-preview` or `resume`), then keep waiting."""

    action: str


@dataclass(frozen=True)
class Wait:
    """Still running: ask again later."""


Step = Done | Failed | Act | Wait


def next_step(job: Job, *, skip_preview: bool = True, resume_paused: bool = False) -> Step:
    """The decision for one look at `job`."""
    status = job.status
    if status in (JobStatus.FAILED, JobStatus.CANCELED):
        return Failed(status.value, job.error_summary() or "no message")
    if status.has_results:
        if not job.data_links:
            return Failed(status.value, f"{status.value} but produced no data links")
        if status is JobStatus.COMPLETE_WITH_ERRORS:
            log.warning("Harmony job %s completed with errors: %s", job.job_id, job.error_summary())
        return Done(job, tuple(link.href for link in job.data_links))
    if status is JobStatus.PREVIEWING:
        if not skip_preview:
            return Failed("previewing", "job is previewing and skip_preview is off")
        return Act("skip-preview")
    if status is JobStatus.PAUSED:
        if not resume_paused:
            return Failed("paused", "job is paused; resume it in Harmony or set resume_paused=True")
        return Act("resume")
    return Wait()


@dataclass
class PollSchedule:
    """Poll intervals that double from `initial` up to `maximum`, until `timeout` seconds have passed."""

    initial: float
    maximum: float
    timeout: float
    _interval: float = field(init=False)
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._interval = self.initial
        self._deadline = time.monotonic() + self.timeout

    def next_wait(self, job_id: str, last_seen: str = "") -> float:
        """Seconds to sleep before the next look, or `HarmonyJobFailed(timeout)` past the deadline;
        `last_seen` (progress, or the last error) goes into that message."""
        wait = self._interval
        if time.monotonic() + wait > self._deadline:
            seen = f" ({last_seen})" if last_seen else ""
            raise HarmonyJobFailed(
                job_id, f"job not finished after {self.timeout:.0f} s{seen}", status="timeout"
            )
        self._interval = min(self._interval * 2, self.maximum)
        return wait


def checked_job_id(job_id: str) -> str:
    """`job_id` when it is a UUID, as Harmony's job ids are; `HarmonyBadAnswer` otherwise. An id goes
    into URLs and storage keys: `../../x` must never reach either."""
    try:
        if str(uuid.UUID(job_id)) == job_id.lower():
            return job_id
    except (ValueError, AttributeError, TypeError):
        pass
    raise HarmonyBadAnswer(f"Harmony gave a job id that is not a UUID: {str(job_id)[:60]!r}")


def job_url(base_url: str, job_id: str) -> str:
    """The job's status page, `{harmony}/jobs/<id>` (what the UI links to and the pollers read)."""
    return f"{base_url.rstrip('/')}/jobs/{checked_job_id(job_id)}"


def first_page_url(job_url: str) -> str:
    return f"{job_url}?page=1&limit={JOB_PAGE_LIMIT}"


class JobPages:
    """Merges the pages of one job status into one `Job`, following `rel=next` links.

    `add(url, body)` takes a page's URL and parsed JSON and returns the next page's URL, or None.
    """

    def __init__(self, job_id: str):
        self.job_id = job_id
        self._seen: set[str] = set()
        self._first: Job | None = None
        self._links: list[Link] = []

    def visit(self, url: str) -> None:
        """Call before fetching `url`: refuses loops and more than MAX_JOB_PAGES pages."""
        if url in self._seen:
            raise HarmonyError(
                f"Harmony job {self.job_id} status: page {safe_url(url)} links back to an earlier page"
            )
        if len(self._seen) == MAX_JOB_PAGES:
            raise HarmonyError(f"Harmony job {self.job_id} status: more than {MAX_JOB_PAGES} pages of links")
        self._seen.add(url)

    def add(self, url: str, body: object) -> str | None:
        try:
            page = Job.from_json(body)  # type: ignore[arg-type]
        except ValueError as error:
            raise HarmonyBadAnswer(f"Harmony job {self.job_id} status: {error}") from None
        self._first = self._first or page
        self._links.extend(link for link in page.links if link.rel not in _PAGING_RELS)
        next_link = page.link("next")
        return urljoin(url, next_link.href) if next_link else None

    def job(self) -> Job:
        if self._first is None:
            raise HarmonyError(f"Harmony job {self.job_id} status: no page was read")
        return Job(**{**self._first.__dict__, "links": tuple(self._links)})
