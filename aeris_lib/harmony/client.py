"""Submit, poll and download against Harmony: small functions, typed outcomes, urllib3 retries.

Retries: idempotent GETs are retried by urllib3 `Retry` on 429/500/502/503/504 and connection errors,
with exponential backoff, jitter and `Retry-After`. Other 4xx are not retried. Job polling waits are
the caller's (the Airflow trigger, or `wait_for_job` for scripts).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import DownloadError, HarmonyAuthError, HarmonyError, HarmonyJobFailed
from aeris_lib.harmony.models import DataLink, Download, InlineData, Job, JobRef, JobStatus, NoData
from aeris_lib.harmony.request import RangesetRequest

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
NO_MATCHING_GRANULES = "No matching granules found"
CHUNK_BYTES = 1 << 20
MAX_REDIRECTS = 5
JOB_PAGE_LIMIT = 2000
# Job status pages followed at most (2000 links each: 100,000 granules is far beyond one gas-hour).
MAX_JOB_PAGES = 50
# A 429/503 asking to wait longer than this waits this long: one stalled call must not hold a pool
# slot for hours (urllib3's own cap is 6 h).
MAX_RETRY_AFTER_S = 300
# The largest file downloaded: a native full-disk TEMPO float32 variable is ~91 MB uncompressed.
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
_URL_QUERY = re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*")


class RedactQueryStrings(logging.Filter):
    """Drops query strings from urllib3's request log lines: pre-signed URLs carry credentials there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?…" if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactQueryStrings())


def build_session(
    *, retries: int = 5, backoff_factor: float = 1.0, backoff_max: float = 60.0
) -> requests.Session:
    """A session whose GETs retry transient failures; POSTs are never retried."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_factor / 2,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER_S,
        raise_on_status=False,
        raise_on_redirect=False,
        redirect=0,
    )
    session = requests.Session()
    # Credentials come only from the token provider, never from ~/.netrc on a redirect.
    session.trust_env = False
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def safe_url(url: str) -> str:
    """`url` without its query string: pre-signed URLs carry credentials there."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl() + ("?…" if parts.query else "")


def redact(text: str) -> str:
    """`text` with every URL's query string cut (exception texts quote the URLs they failed on)."""
    return _URL_QUERY.sub(lambda m: m.group(1) + "?…", str(text))


def error_description(response: requests.Response) -> str:
    """Harmony's `description` (or the body's start, tags dropped) for an error response."""
    try:
        body = response.json()
    except ValueError:
        return _snippet(response.text) or response.reason or ""
    if isinstance(body, dict):
        return redact(str(body.get("description") or body.get("message") or body)[:500])
    return redact(str(body)[:300])


def _snippet(text: str, limit: int = 160) -> str:
    """The start of a body as one line: an HTML error page becomes its words."""
    words = " ".join(re.sub(r"<[^>]*>", " ", text or "").split())
    return redact(words[:limit] + ("…" if len(words) > limit else ""))


def _json(response: requests.Response, what: str):
    """The body as JSON, or a `HarmonyError` naming the URL and the body's start."""
    try:
        return response.json()
    except ValueError:
        raise HarmonyError(
            f"{what}: {safe_url(response.url or '')} answered HTTP {response.status_code} with "
            f"{response.headers.get('Content-Type', 'no content type')}, not JSON: {_snippet(response.text)!r}",
            status=response.status_code,
        ) from None


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
    """

    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        session: requests.Session | None = None,
        timeout: float = 60.0,
        data_origins: Iterable[str] = (),
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    ):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.session = session or build_session()
        self.timeout = timeout
        self.data_origins = frozenset(_origin(o) for o in data_origins if o.strip())
        self.max_download_bytes = max_download_bytes

    def __repr__(self) -> str:
        return f"HarmonyClient(base_url={self.base_url!r})"

    # ------------------------------------------------------------------ HTTP with the bearer token
    def _is_harmony(self, url: str) -> bool:
        return _origin(url) == _origin(self.base_url)

    def _takes_token(self, url: str) -> bool:
        return self._is_harmony(url) or _origin(url) in self.data_origins

    def _get(self, url: str, *, stream: bool = False, method: str = "GET") -> requests.Response:
        """One authorised request to Harmony itself (or a trusted data origin); on 401 the token is
        refreshed once and retried once. Any other origin is refused before a byte is sent."""
        if not self._takes_token(url):
            raise HarmonyError(
                f"refusing to send the Earthdata token to {urlsplit(url).scheme}://{urlsplit(url).netloc}: "
                f"it is not Harmony's origin ({self.base_url}) or a trusted data origin"
            )
        token = self.tokens.get()
        for attempt in (1, 2):
            try:
                response = self.session.request(
                    method,
                    url,
                    headers={"Authorization": f"Bearer {token}"},
                    allow_redirects=False,
                    stream=stream,
                    timeout=self.timeout,
                )
            except requests.RequestException as error:
                raise HarmonyError(
                    f"Harmony unreachable at {safe_url(url)}: {type(error).__name__}: {redact(str(error))}"
                ) from None
            if response.status_code != 401 or attempt == 2:
                break
            response.close()
            log.info("Harmony answered 401 for the current token; obtaining a new Earthdata token once")
            token = self.tokens.refresh(token)
        if response.status_code in (401, 403):
            who = "Harmony" if self._is_harmony(url) else urlsplit(url).netloc
            raise HarmonyAuthError(
                f"{who} refused the Earthdata token: HTTP {response.status_code} {error_description(response)}",
                status=response.status_code,
            )
        return response

    def _raise_for_error(self, response: requests.Response, what: str) -> None:
        if response.status_code < 400:
            return
        raise HarmonyError(
            f"{what} failed: HTTP {response.status_code} {error_description(response)}",
            status=response.status_code,
            code=_error_code(response),
        )

    # ------------------------------------------------------------------ submit
    def submit(self, request: RangesetRequest) -> JobRef | DataLink | InlineData | NoData:
        """Send a rangeset request. Returns a job reference, a finished result, or `NoData`."""
        url = request.url(self.base_url)
        response = self._get(url, stream=True)
        status = response.status_code
        if status == 400 and NO_MATCHING_GRANULES in (description := error_description(response)):
            return NoData(description.removeprefix("Error: "))
        self._raise_for_error(response, f"Harmony request for {request.collection_id}")
        if status in (301, 302, 303, 307, 308):
            response.close()
            location = _location(response, url, f"Harmony request for {request.collection_id}")
            if urlsplit(location).path.startswith("/jobs/"):
                job_id = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
                return JobRef(job_id, self.job_url(job_id))
            return DataLink(location)
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = _json(response, f"Harmony request for {request.collection_id}")
            response.close()
            if not isinstance(body, dict):
                raise HarmonyError(f"Harmony answered JSON that is not an object: {str(body)[:120]!r}")
            if "jobID" in body:
                return JobRef(body["jobID"], self.job_url(body["jobID"]))
            raise HarmonyError(f"Harmony answered JSON without a jobID: {str(body)[:200]}")
        return InlineData(response)

    # ------------------------------------------------------------------ capabilities
    def capabilities(self, collection_id: str) -> dict:
        """Harmony's capabilities document for the collection (`GET /capabilities?collectionId=`)."""
        url = f"{self.base_url}/capabilities?{urlencode({'collectionId': collection_id})}"
        response = self._get(url)
        self._raise_for_error(response, f"Harmony capabilities of {collection_id}")
        return _json(response, f"Harmony capabilities of {collection_id}")

    # ------------------------------------------------------------------ jobs
    def job_url(self, job_id: str) -> str:
        return f"{self.base_url}/jobs/{job_id}"

    def get_job(self, job_id: str) -> Job:
        """Job status with the links of every page merged (following `rel=next`)."""
        url: str | None = f"{self.job_url(job_id)}?page=1&limit={JOB_PAGE_LIMIT}"
        first: Job | None = None
        links, seen = [], set()
        while url:
            if url in seen:
                raise HarmonyError(
                    f"Harmony job {job_id} status: page {safe_url(url)} links back to an earlier page"
                )
            if len(seen) == MAX_JOB_PAGES:
                raise HarmonyError(f"Harmony job {job_id} status: more than {MAX_JOB_PAGES} pages of links")
            seen.add(url)
            response = self._get(url)  # refuses a `next` page on another origin: the token stays home
            self._raise_for_error(response, f"Harmony job {job_id} status")
            try:
                page = Job.from_json(_json(response, f"Harmony job {job_id} status"))
            except ValueError as error:
                raise HarmonyError(f"Harmony job {job_id} status: {error}") from None
            first = first or page
            links.extend(link for link in page.links if link.rel not in ("next", "prev", "first", "last"))
            next_link = page.link("next")
            url = urljoin(url, next_link.href) if next_link else None
        assert first is not None
        return Job(**{**first.__dict__, "links": tuple(links)})

    def control_job(self, job_id: str, action: str) -> Job:
        """`cancel`, `pause`, `resume` or `skip-preview`; Harmony answers 409 to an illegal transition."""
        if action not in ("cancel", "pause", "resume", "skip-preview"):
            raise ValueError(f"unknown job action {action!r}")
        response = self._get(f"{self.job_url(job_id)}/{action}", method="POST")
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
        deadline = time.monotonic() + timeout
        interval = poll_initial
        while True:
            job = self.get_job(job_id)
            if job.status.is_terminal:
                return check_job_result(job)
            if job.status is JobStatus.PREVIEWING and skip_preview:
                job = self.control_job(job_id, "skip-preview")
            elif job.status is JobStatus.PAUSED:
                if not resume_paused:
                    raise HarmonyJobFailed(
                        job_id, "job is paused; resume it or allow resuming", status="paused"
                    )
                job = self.control_job(job_id, "resume")
            if time.monotonic() + interval > deadline:
                raise HarmonyJobFailed(
                    job_id, f"not finished after {timeout:.0f} s ({job.progress}%)", status="timeout"
                )
            time.sleep(interval)
            interval = min(interval * 2, poll_max)

    # ------------------------------------------------------------------ download
    def download(self, url: str, dest: Path) -> Download:
        """Stream `url` to `dest`, following redirects. Authorization goes to Harmony's origin and the
        configured data origins only, never to where they redirect (pre-signed S3 URLs)."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if self._takes_token(current):
                response = self._get(current, stream=True)
            else:
                try:
                    response = self.session.get(
                        current, allow_redirects=False, stream=True, timeout=self.timeout
                    )
                except requests.RequestException as error:
                    raise DownloadError(
                        f"download from {safe_url(current)} failed: {type(error).__name__}"
                    ) from None
            if response.status_code in (301, 302, 303, 307, 308):
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
                raise DownloadError(
                    f"download from {safe_url(current)} failed: HTTP {response.status_code} "
                    f"{error_description(response)}",
                    status=response.status_code,
                )
            return save_response(response, dest, self.max_download_bytes)
        raise DownloadError(f"download from {safe_url(url)}: more than {MAX_REDIRECTS} redirects")

    def fetch(self, request: RangesetRequest, dest: Path, *, poll_initial: float = 2.0) -> Download | NoData:
        """Submit, wait if asynchronous, download the first data link. For scripts; Airflow splits these."""
        outcome = self.submit(request)
        if isinstance(outcome, NoData):
            return outcome
        if isinstance(outcome, InlineData):
            return save_response(outcome.response, dest, self.max_download_bytes)
        if isinstance(outcome, DataLink):
            return self.download(outcome.url, dest)
        job = self.wait_for_job(outcome.job_id, poll_initial=poll_initial)
        return self.download(job.data_links[0].href, dest)


def check_job_result(job: Job) -> Job:
    """A finished job with data, or `HarmonyJobFailed` carrying Harmony's message."""
    if job.status in (JobStatus.FAILED, JobStatus.CANCELED):
        raise HarmonyJobFailed(job.job_id, job.error_summary() or "no message", status=job.status.value)
    if not job.data_links:
        raise HarmonyJobFailed(
            job.job_id, f"{job.status.value} but produced no data links", status=job.status.value
        )
    if job.status is JobStatus.COMPLETE_WITH_ERRORS:
        log.warning("Harmony job %s completed with errors: %s", job.job_id, job.error_summary())
    return job


def save_response(
    response: requests.Response, dest: Path, max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
) -> Download:
    """Write a streamed body to `dest` in chunks. A body shorter than Content-Length, or longer than
    `max_bytes` (announced or while streaming), is an error and leaves no file."""
    expected = response.headers.get("Content-Length")
    too_big = (
        f"download from {safe_url(response.url or '')} is larger than AERIS_MAX_DOWNLOAD_BYTES "
        f"({max_bytes:,} bytes)"
    )
    if expected is not None and expected.isdigit() and int(expected) > max_bytes:
        response.close()
        raise DownloadError(f"{too_big}: Content-Length {int(expected):,}")
    digest = hashlib.sha256()
    written = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(dest, "wb") as out:
            for chunk in response.iter_content(CHUNK_BYTES):
                written += len(chunk)
                if written > max_bytes:
                    raise DownloadError(f"{too_big}: stopped after {written:,} bytes")
                out.write(chunk)
                digest.update(chunk)
    except DownloadError:
        dest.unlink(missing_ok=True)
        response.close()
        raise
    except (requests.RequestException, OSError) as error:
        dest.unlink(missing_ok=True)
        raise DownloadError(
            f"download from {safe_url(response.url)} broke after {written} bytes: {type(error).__name__}"
        ) from None
    finally:
        response.close()
    if expected is not None and written != int(expected):
        dest.unlink(missing_ok=True)
        raise DownloadError(
            f"download from {safe_url(response.url)} truncated: {written} of {expected} bytes received"
        )
    if written == 0:
        dest.unlink(missing_ok=True)
        raise DownloadError(f"download from {safe_url(response.url)} returned an empty body")
    return Download(str(dest), digest.hexdigest(), written, response.headers.get("Content-Type", ""))


def _origin(url: str) -> tuple[str, str | None, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    parts = urlsplit(url.strip().rstrip("/"))
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower() or None, port


def _error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None
