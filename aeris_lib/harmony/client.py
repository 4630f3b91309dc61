"""The synchronous Harmony transport: submit, poll and download with `requests`.

Retries: idempotent GETs are retried by urllib3 `Retry` on 429/500/502/503/504 and connection errors,
with exponential backoff, jitter and `Retry-After` (`http.build_session`). Other 4xx are not retried.
What a job's status means is decided once, in `jobs.next_step`; the async twin is `aio.AsyncHarmonyClient`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from aeris_lib import config
from aeris_lib.harmony import bodies, faults, jobs
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import (
    DownloadError,
    HarmonyAuthError,
    HarmonyError,
    HarmonyUnreachable,
)
from aeris_lib.harmony.http import (
    NO_MATCHING_GRANULES,
    REDIRECT_STATUSES,
    TokenRoutes,
    build_session,
    describe_error,
    error_code,
    parse_json,
    redact,
    safe_url,
)
from aeris_lib.harmony.jobs import JOB_ACTIONS, Act, Done, Failed, JobPages, PollSchedule
from aeris_lib.harmony.models import DataLink, Download, InlineData, Job, JobRef, NoData
from aeris_lib.harmony.request import RangesetRequest

log = logging.getLogger(__name__)


CHUNK_BYTES = 1 << 20
MAX_REDIRECTS = 5
# The largest file downloaded: a native full-disk TEMPO float32 variable is ~91 MB uncompressed.
DEFAULT_MAX_DOWNLOAD_BYTES = config.Earthdata.max_download_bytes
DEFAULT_DEADLINE_S = config.Earthdata.download_deadline_s


def error_description(response: requests.Response) -> str:
    """Harmony's `description` (or the body's start, tags dropped) for an error response."""
    return describe_error(response.text, response.reason or "")


def _json(response: requests.Response, what: str):
    return parse_json(
        response.text,
        url=response.url or "",
        status=response.status_code,
        content_type=response.headers.get("Content-Type", ""),
        what=what,
    )


def _location(response: requests.Response, url: str, what: str) -> str:
    location = response.headers.get("Location")
    if not location:
        raise HarmonyError(
            f"{what}: {safe_url(url)} answered HTTP {response.status_code} without a Location header",
            status=response.status_code,
        )
    return urljoin(url, location)


class HarmonyClient:
    """
    :param base_url: Harmony root, e.g. https://harmony.earthdata.nasa.gov
    :param tokens: where bearer tokens come from (refreshed once on a 401).
    :param session: a session from `build_session`, for tests and connection reuse.
    :param timeout: connect/read timeout of each HTTP call, in seconds.
    :param data_origins: origins (scheme://host[:port]) of Earthdata-protected data hosts that get the
        bearer token on downloads, e.g. the DAAC holding native granules. Nothing else does.
    :param private_origins: origins on loopback or private addresses that downloads may reach without
        the token (the local emulator's file host); any other such address is refused.
    :param deadline_s: the longest one download (or one granule's range reads) may take.
    """

    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        session: requests.Session | None = None,
        timeout: float = 60.0,
        data_origins: Iterable[str] = (),
        private_origins: Iterable[str] = (),
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.routes = TokenRoutes(self.base_url, data_origins, private_origins)
        self.session = session or build_session(peer_check=self.routes.check_peer)
        self.timeout = timeout
        self.max_download_bytes = max_download_bytes
        self.deadline_s = deadline_s

    def __repr__(self) -> str:
        return f"HarmonyClient(base_url={self.base_url!r})"

    # ------------------------------------------------------------------ HTTP with the bearer token
    def _request(
        self,
        url: str,
        *,
        stream: bool = False,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> requests.Response:
        """One authorised request to Harmony itself (or a trusted data origin); on 401 the token is
        refreshed once and retried once. Any other origin is refused before a byte is sent. A 403 that
        is CloudFront's throttle ("Request blocked") is a `DownloadError` with `fault` set, not an auth
        failure: the token is fine, the burst was not."""
        if not self.routes.takes_token(url):
            raise HarmonyError(self.routes.refuse(url, self.base_url))
        token = self.tokens.get()
        for attempt in (1, 2):
            try:
                response = (session or self.session).request(
                    method,
                    url,
                    headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                    allow_redirects=False,
                    stream=stream,
                    timeout=self.timeout,
                )
            except requests.RequestException as error:
                raise HarmonyUnreachable(
                    f"Harmony unreachable at {safe_url(url)}: {type(error).__name__}: {redact(str(error))}"
                ) from None
            if response.status_code != 401 or attempt == 2:
                break
            response.close()
            log.info("Harmony answered 401 for the current token; obtaining a new Earthdata token once")
            token = self.tokens.refresh(token)
        if response.status_code in (401, 403):
            who = "Harmony" if self.routes.is_harmony(url) else urlsplit(url).netloc
            body = faults.error_body(response)
            if faults.fault_of(response.status_code, body) == faults.THROTTLE:
                raise DownloadError(
                    f"{who} throttled the request: {faults.describe(response.status_code, body)}",
                    status=response.status_code,
                    fault=faults.THROTTLE,
                )
            text = body.decode("utf-8", "replace")
            raise HarmonyAuthError(
                f"{who} refused the Earthdata token: HTTP {response.status_code} "
                f"{describe_error(text, response.reason or '')}",
                status=response.status_code,
            )
        return response

    def _raise_for_error(self, response: requests.Response, what: str) -> None:
        if response.status_code < 400:
            return
        raise HarmonyError(
            f"{what} failed: HTTP {response.status_code} {error_description(response)}",
            status=response.status_code,
            code=error_code(response.text),
        )

    # ------------------------------------------------------------------ submit
    def submit(self, request: RangesetRequest) -> JobRef | DataLink | InlineData | NoData:
        """Send a rangeset request. Returns a job reference, a finished result, or `NoData`."""
        url = request.url(self.base_url)
        response = self._request(url, stream=True)
        status = response.status_code
        if status == 400 and NO_MATCHING_GRANULES in (description := error_description(response)):
            return NoData(description.removeprefix("Error: "))
        self._raise_for_error(response, f"Harmony request for {request.collection_id}")
        if status in REDIRECT_STATUSES:
            response.close()
            location = _location(response, url, f"Harmony request for {request.collection_id}")
            if urlsplit(location).path.startswith("/jobs/"):
                job_id = jobs.checked_job_id(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])
                return JobRef(job_id, self.job_url(job_id))
            return DataLink(location)
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = _json(response, f"Harmony request for {request.collection_id}")
            response.close()
            if not isinstance(body, dict):
                raise HarmonyError(f"Harmony answered JSON that is not an object: {str(body)[:120]!r}")
            if "jobID" in body:
                job_id = jobs.checked_job_id(body["jobID"])
                return JobRef(job_id, self.job_url(job_id))
            raise HarmonyError(f"Harmony answered JSON without a jobID: {str(body)[:200]}")
        return InlineData(response)

    # ------------------------------------------------------------------ capabilities
    def capabilities(self, collection_id: str) -> dict:
        """Harmony's capabilities document for the collection (`GET /capabilities?collectionId=`)."""
        url = f"{self.base_url}/capabilities?{urlencode({'collectionId': collection_id})}"
        response = self._request(url)
        self._raise_for_error(response, f"Harmony capabilities of {collection_id}")
        return _json(response, f"Harmony capabilities of {collection_id}")

    # ------------------------------------------------------------------ jobs
    def job_url(self, job_id: str) -> str:
        return jobs.job_url(self.base_url, job_id)

    def get_job(self, job_id: str) -> Job:
        """Job status with the links of every page merged (following `rel=next`)."""
        pages = JobPages(job_id)
        url: str | None = jobs.first_page_url(self.job_url(job_id))
        while url:
            pages.visit(url)
            response = self._request(url)  # refuses a `next` page on another origin: the token stays home
            self._raise_for_error(response, f"Harmony job {job_id} status")
            url = pages.add(url, _json(response, f"Harmony job {job_id} status"))
        return pages.job()

    def control_job(self, job_id: str, action: str) -> Job:
        """`cancel`, `pause`, `resume` or `skip-preview`; Harmony answers 409 to an illegal transition."""
        if action not in JOB_ACTIONS:
            raise ValueError(f"unknown job action {action!r}")
        response = self._request(f"{self.job_url(job_id)}/{action}", method="POST")
        self._raise_for_error(response, f"Harmony job {job_id} {action}")
        response.close()
        return self.get_job(job_id)

    def wait_for_job(
        self,
        job_id: str,
        *,
        timeout: float = 3600,
        poll_initial: float = 2.0,
        poll_max: float = 30.0,
        skip_preview: bool = True,
        resume_paused: bool = False,
    ) -> Job:
        """Blocking poll for scripts and notebooks (Airflow uses the deferrable trigger instead)."""
        schedule = PollSchedule(poll_initial, poll_max, timeout)
        while True:
            job = self.get_job(job_id)
            step = jobs.next_step(job, skip_preview=skip_preview, resume_paused=resume_paused)
            if isinstance(step, Done):
                return step.job
            if isinstance(step, Failed):
                raise step.error(job_id)
            if isinstance(step, Act):
                job = self.control_job(job_id, step.action)
            time.sleep(schedule.next_wait(job_id, f"{job.progress}%"))

    # ------------------------------------------------------------------ download
    def download(self, url: str, dest: Path, expected_bytes: int = 0) -> Download:
        """Stream `url` to `dest`, following redirects. Authorization goes to Harmony's origin and the
        configured data origins only, never to where they redirect (pre-signed S3 URLs). With
        `expected_bytes` (CMR's size of the granule), a file of another size is an error, left nowhere."""
        response, _ = self.follow(url)
        download = save_response(response, dest, self.max_download_bytes, deadline_s=self.deadline_s)
        if expected_bytes and download.size_bytes != expected_bytes:
            Path(download.path).unlink(missing_ok=True)
            raise DownloadError(
                f"download from {safe_url(url)}: {download.size_bytes:,} bytes, but CMR lists the granule at "
                f"{expected_bytes:,} bytes"
            )
        return download

    def follow(
        self, url: str, headers: dict[str, str] | None = None, *, session: requests.Session | None = None
    ) -> tuple[requests.Response, str]:
        """GET `url` (with `headers`, e.g. a Range) through its redirects: (the final streamed answer,
        the URL that gave it). The token goes to trusted origins only, on every hop; no hop goes to a
        private address that is not a configured origin. A redirect to the Earthdata login page or an
        HTTP error is a `DownloadError` that says what to configure; an error answer of a data host is
        shown by its status and S3 code only (never its bytes), with `fault` set when it is transient.
        `session`: another session for these requests (a reader that handles faults itself)."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self.routes.check_destination(current)
            if self.routes.takes_token(current):
                response = self._request(current, stream=True, headers=headers, session=session)
            else:
                try:
                    response = (session or self.session).get(
                        current, headers=headers, allow_redirects=False, stream=True, timeout=self.timeout
                    )
                except requests.RequestException as error:
                    raise DownloadError(
                        f"download from {safe_url(current)} failed: {type(error).__name__}"
                    ) from None
            if response.status_code in REDIRECT_STATUSES:
                response.close()
                target = _location(response, current, "download")
                if urlsplit(target).path.rstrip("/").endswith("/oauth/authorize"):
                    raise DownloadError(
                        f"{safe_url(current)} sent the download to the Earthdata Login page: "
                        f"{urlsplit(current).scheme}://{urlsplit(current).netloc} wants the Earthdata token, "
                        "but it is not a trusted data origin (add it to AERIS_EARTHDATA_DATA_ORIGINS)",
                        status=response.status_code,
                    )
                current = target
                continue
            if response.status_code >= 400:
                status, body = response.status_code, faults.error_body(response)
                # Harmony's own words are shown; a data host's answer by its status and S3 code only.
                description = (
                    f"HTTP {status} {describe_error(body.decode('utf-8', 'replace'), response.reason or '')}"
                    if self.routes.is_harmony(current)
                    else faults.describe(status, body)
                )
                raise DownloadError(
                    f"download from {safe_url(current)} failed: {description}",
                    status=status,
                    fault=faults.fault_of(status, body),
                    where=current,
                )
            return response, current
        raise DownloadError(f"download from {safe_url(url)}: more than {MAX_REDIRECTS} redirects")

    def fetch(self, request: RangesetRequest, dest: Path, *, poll_initial: float = 2.0) -> Download | NoData:
        """Submit, wait if asynchronous, download the first data link. For scripts; Airflow splits these."""
        outcome = self.submit(request)
        if isinstance(outcome, NoData):
            return outcome
        if isinstance(outcome, InlineData):
            return save_response(outcome.response, dest, self.max_download_bytes, deadline_s=self.deadline_s)
        if isinstance(outcome, DataLink):
            return self.download(outcome.url, dest)
        job = self.wait_for_job(outcome.job_id, poll_initial=poll_initial)
        return self.download(job.data_links[0].href, dest)


def save_response(
    response: requests.Response,
    dest: Path,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> Download:
    """Write a streamed body to `dest` as sent (never inflated), in chunks, within `deadline_s`. A body
    shorter than Content-Length, longer than `max_bytes` (announced or while streaming), compressed, or
    late is an error and leaves no file."""
    where = safe_url(response.url or "")
    expected = response.headers.get("Content-Length")
    too_big = f"download from {where} is larger than AERIS_MAX_DOWNLOAD_BYTES ({max_bytes:,} bytes)"
    if expected is not None and expected.isdigit() and int(expected) > max_bytes:
        response.close()
        raise DownloadError(f"{too_big}: Content-Length {int(expected):,}")
    bodies.refuse_encoding(response, f"download from {where}")
    digest = hashlib.sha256()
    written = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + deadline_s
    try:
        with open(dest, "wb") as out:
            # One byte past the cap tells "exactly the cap" from "more than the cap".
            for chunk in bodies.chunks(
                response, most=max_bytes + 1, deadline=deadline, what=f"download from {where}"
            ):
                written += len(chunk)
                if written > max_bytes:
                    raise DownloadError(f"{too_big}: stopped after {written:,} bytes")
                out.write(chunk)
                digest.update(chunk)
    except DownloadError:
        dest.unlink(missing_ok=True)
        raise
    except Exception as error:  # requests', urllib3's and the disk's errors alike: no partial file
        dest.unlink(missing_ok=True)
        raise DownloadError(
            f"download from {where} broke after {written} bytes: {type(error).__name__}"
        ) from None
    finally:
        response.close()
    if expected is not None and written != int(expected):
        dest.unlink(missing_ok=True)
        raise DownloadError(f"download from {where} truncated: {written} of {expected} bytes received")
    if written == 0:
        dest.unlink(missing_ok=True)
        raise DownloadError(f"download from {where} returned an empty body")
    return Download(str(dest), digest.hexdigest(), written, response.headers.get("Content-Type", ""))
