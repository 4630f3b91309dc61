"""Emulator state: Earthdata tokens, Harmony jobs and their lifecycle, results, faults on demand, and
when each TEMPO granule is published (CMR and Harmony see a granule only from then on)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from harmony_emulator.granule_store import build_soon, native_granule
from harmony_emulator.granules import RENDER_FAULTS, grid_window, render_geotiff
from harmony_emulator.netcdf import (
    granule_bytes,
    native_variables,
)
from harmony_emulator.objects import Body
from harmony_emulator.scans import (
    SHORT_NAMES,
    Scan,
    granule_name,
    holds_day,
    is_nrt,
    regridded,
    scans_overlapping,
    version_of,
)

EMULATOR_USER = "aeris-emulator"
EMULATOR_PASSWORD = "aeris-emulator-password"  # noqa: S105 - the emulator's fixed test credential
RESULTS_BUCKET = "harmony-prod-staging"
MAX_TOKENS = 2

# TEMPO L3 granules reach CMR and Harmony 20-90 min after their scan ended (reference: TEMPO timing).
# After a scan ends: its near-real-time granule is listed within TEMPO's stated NRT latency (under
# 2-3 hours); the standard (reprocessed) one comes later. 24 h is the emulator's choice, not a NASA fact.
DEFAULT_PUBLICATION_DELAY_S = 45 * 60
# Standard V04 lags a median ~3 h after scan start (reference): about 2 h after a one-hour scan ends.
DEFAULT_STANDARD_DELAY_S = 2 * 3600

# ASDC keeps NRT granules on a 14-day rolling window (reference: "NRT is kept 14 days"): CMR stops
# listing an NRT granule, and Harmony stops serving it, this long after its scan ended. 0: kept for ever.
DEFAULT_NRT_WINDOW_DAYS = 14.0

# Faults that can be switched on (POST /_emulator/faults, or --fault on the command line).
REQUEST_FAULTS = {"429", "503", "reset", "no_data", "expired_token", "sync_inline"}
JOB_FAULTS = {"slow_job", "job_failed", "job_canceled", "complete_with_errors", "paused", "previewing"}
FILE_FAULTS = {"truncated", "corrupt", *RENDER_FAULTS}
# NASA's and AWS's transient answers (reference: "Transient faults at scale"): CMR's search answers 503,
# ASDC's CloudFront answers a sign request with 403 "Request blocked", S3 answers a read with 503
# SlowDown. Each is one answer; the client is expected to recover within the same try.
SERVICE_FAULTS = {"cmr_503", "daac_throttle", "s3_slowdown"}
ALL_FAULTS = REQUEST_FAULTS | JOB_FAULTS | FILE_FAULTS | SERVICE_FAULTS

# What Harmony offers per collection (GET /capabilities), as the emulator can be told to model it:
# `tiff`: a subsetter that writes GeoTIFF or NetCDF-4; `netcdf`: a NetCDF-4 subsetter only;
# `native`: no transformation service at all, which public routing records suggest for TEMPO L3.
CAPABILITY_MODES = ("native", "netcdf", "hoss", "tiff")
# Output kinds: a GeoTIFF subset, a NetCDF-4 subset, or the native granule on the DAAC.
GEOTIFF, NETCDF, HOSS, NATIVE = "geotiff", "netcdf", "hoss", "native"  # output kinds
# What each kind of output is served as: HOSS answers `application/netcdf`, the older subsetter x-netcdf4.
MEDIA_TYPES = {GEOTIFF: "image/tiff", NETCDF: "application/x-netcdf4", HOSS: "application/netcdf",
               NATIVE: "application/x-netcdf4"}  # fmt: skip


@dataclass
class FaultRule:
    fault: str
    times: int | None = None  # None: every time
    collection: str | None = None
    variable: str | None = None
    seconds: float | None = None  # slow_job: how long the job runs (default: --slow-job-seconds)

    def matches(self, fault: str, collection: str | None, variable: str | tuple | None) -> bool:
        """`variable`: one name, or the names a request covers (a native request covers them all)."""
        names = variable if isinstance(variable, tuple) else (variable,)
        return (
            self.fault == fault
            and (self.times is None or self.times > 0)
            and (self.collection is None or self.collection == collection)
            and (self.variable is None or self.variable in names)
        )


@dataclass(frozen=True)
class Hold:
    """Granules of `collection` (None: any) whose scan overlaps [start, end) stay unpublished until
    `until` (epoch seconds; None: never)."""

    start: datetime
    end: datetime
    until: float | None
    collection: str | None = None
    scan: int | None = None  # only the scan of this number (1: the day's first; out-of-order publication)

    def holds(self, collection: str, scan: Scan) -> bool:
        return (
            (self.collection is None or self.collection == collection)
            and (self.scan is None or self.scan == scan.number)
            and scan.overlaps(self.start, self.end)
            and (self.until is None or time.time() < self.until)
        )


@dataclass(frozen=True)
class Republished:
    """Granules of `collection` (None: any) whose scan overlaps [start, end), republished as `revision`."""

    start: datetime
    end: datetime
    revision: int
    collection: str | None = None

    def applies(self, collection: str, scan: Scan) -> bool:
        return (self.collection is None or self.collection == collection) and scan.overlaps(
            self.start, self.end
        )


@dataclass(frozen=True)
class Result:
    """One output file per input granule, rendered on demand from what was requested: a GeoTIFF or
    NetCDF-4 subset served from Harmony's staging bucket, or the native granule on the DAAC."""

    key: str
    collection: str
    variables: tuple[str, ...]
    bbox: tuple[float, float, float, float]
    scan: Scan
    kind: str = GEOTIFF
    file_fault: str | None = None

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]

    @property
    def render_fault(self) -> str | None:
        return self.file_fault if self.file_fault in RENDER_FAULTS else None

    def object(self) -> Body:
        """What the files host (S3) serves: native granules from their file (they are large), and
        subsets from memory; a corrupt file fault as its altered bytes."""
        if self.kind == NATIVE and self.file_fault not in ("corrupt", "truncated"):
            return Body(path=native_granule(self.collection, self.scan, self.render_fault))
        data = self.body()
        if self.file_fault == "corrupt":
            magic = b"II*\x00" if self.kind == GEOTIFF else b"\x89HDF\r\n\x1a\n"
            noise = (np.arange(len(data) - len(magic), dtype=np.int64) * 7919 % 251).astype(np.uint8)
            data = magic + noise.tobytes()
        return Body(data=data)

    def body(self) -> bytes:
        fault = self.render_fault
        if self.kind == NATIVE:
            return native_granule(self.collection, self.scan, fault).read_bytes()
        if self.kind in (NETCDF, HOSS):
            return _render_netcdf(self.collection, self.variables, self.bbox, self.scan, fault)
        return _render(self.collection, self.variables, self.bbox, self.scan, fault)


@lru_cache(maxsize=32)
def _render(collection: str, variables: tuple, bbox: tuple, scan: Scan, fault: str | None) -> bytes:
    return render_geotiff(collection, variables, bbox, scan, fault)


@lru_cache(maxsize=16)
def _render_netcdf(collection: str, variables: tuple, bbox: tuple, scan: Scan, fault: str | None) -> bytes:
    handle, name = tempfile.mkstemp(prefix="aeris-emulator-", suffix=".nc")
    os.close(handle)  # netCDF4 opens the path itself
    scratch = Path(name)
    return granule_bytes(collection, scan, grid_window(*bbox), variables, fault, scratch)


def covered_variables(collection: str, variables: tuple[str, ...]) -> tuple[str, ...]:
    """The variables a request's output holds: `all` means every one of the collection's."""
    return native_variables(collection) if "all" in variables else tuple(variables)


def daac_path(collection: str, scan: Scan) -> str:
    """Where the DAAC keeps a granule, as in ASDC's URLs: bucket/TEMPO/<short>_<version>/<date>/<file>."""
    short = SHORT_NAMES.get(collection, collection)
    folder = f"{short}_{version_of(collection)}/{scan.start:%Y.%m.%d}"
    return f"asdc-prod-protected/TEMPO/{folder}/{granule_name(collection, scan)}"


@dataclass
class Job:
    job_id: str
    request_url: str
    results: list[Result]
    duration_s: float
    note: str = ""  # appended to the status message (Harmony's best-effort warning)
    final_status: str = "successful"
    status_override: str | None = None  # paused, previewing, canceled: held until an action
    started: float = field(default_factory=time.monotonic)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    paused_elapsed: float = 0.0

    def status(self) -> tuple[str, int]:
        if self.status_override:
            return self.status_override, int(100 * min(self.paused_elapsed / self.duration_s, 0.99))
        elapsed = time.monotonic() - self.started
        if elapsed >= self.duration_s:
            return self.final_status, 100
        if elapsed < 0.2 * self.duration_s:
            return "accepted", 0
        return "running", int(100 * elapsed / self.duration_s)

    def act(self, action: str) -> str | None:
        """Apply a control action; returns an error message for an illegal transition (HTTP 409)."""
        status, _ = self.status()
        if status in ("successful", "complete_with_errors", "failed", "canceled"):
            return f"Job status cannot be updated from {status} to {action}."
        if action == "cancel":
            self.status_override = "canceled"
        elif action == "pause":
            if status == "paused":
                return "Job status cannot be updated from paused to paused."
            self.paused_elapsed = time.monotonic() - self.started
            self.status_override = "paused"
        elif action in ("resume", "skip-preview"):
            wanted = "paused" if action == "resume" else "previewing"
            if status != wanted:
                return f"Job status is {status}; {action} applies only to {wanted} jobs."
            self.started = time.monotonic() - self.paused_elapsed
            self.status_override = None
        return None


class EmulatorState:
    def __init__(
        self,
        *,
        job_seconds: float = 1.5,
        slow_job_seconds: float = 30.0,
        publication_delay_s: float = DEFAULT_PUBLICATION_DELAY_S,
        standard_delay_s: float = DEFAULT_STANDARD_DELAY_S,
        capabilities: str = "native",
        nrt_window_days: float = DEFAULT_NRT_WINDOW_DAYS,
    ):
        if capabilities not in CAPABILITY_MODES:
            raise ValueError(f"capabilities must be one of {CAPABILITY_MODES}, got {capabilities!r}")
        self.lock = threading.RLock()
        self.default_capabilities = capabilities
        self.job_seconds = job_seconds
        self.slow_job_seconds = slow_job_seconds
        self.default_publication_delay_s = publication_delay_s
        self.default_standard_delay_s = standard_delay_s
        self.default_nrt_window_days = nrt_window_days
        self.signing_key = secrets.token_bytes(32)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, date] = {}
            self.expired: set[str] = set()
            self.jobs: dict[str, Job] = {}
            self.results: dict[str, Result] = {}
            self.rules: list[FaultRule] = []
            self.publication_delay_s = self.default_publication_delay_s
            self.standard_delay_s = self.default_standard_delay_s
            self.nrt_window_days = self.default_nrt_window_days
            self.holds: list[Hold] = []
            self.republished: list[Republished] = []
            # False: CMR and the DAAC as before NASA's April 2026 overwrite of O3TOT V04 (the former grid).
            self.o3tot_overwritten = True
            self.capability_modes: dict[str, str] = {}
            # CMR's near-real-time subscriptions, by native id (harmony_emulator.cmr_subscriptions).
            self.subscriptions: dict[str, dict] = {}
            self.subscription_count = 0
            self.stats: dict[str, int] = {
                "cmr_subscription_requests": 0,
                "tokens_issued": 0,
                "rangeset_requests": 0,
                "cmr_requests": 0,
                "cmr_collection_requests": 0,
                "job_status_requests": 0,
                "file_downloads": 0,
                "auth_header_on_files_host": 0,
                "rejected_tokens": 0,
                "capabilities_requests": 0,
                "transient_faults": 0,
                "daac_downloads": 0,
                "auth_header_on_daac": 0,
                "range_requests": 0,
                "bytes_served": 0,
                **{fault: 0 for fault in sorted(SERVICE_FAULTS)},
            }

    # ---------------------------------------------------------------- faults
    def set_rules(self, rules: list[dict]) -> None:
        parsed = [FaultRule(**rule) for rule in rules]
        unknown = [r.fault for r in parsed if r.fault not in ALL_FAULTS]
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {sorted(ALL_FAULTS)}")
        with self.lock:
            self.rules = parsed

    def take_fault(
        self, fault: str, collection: str | None = None, variable: str | tuple | None = None
    ) -> bool:
        """True when a rule for `fault` applies now; consumes one use of a counted rule."""
        return self.take_fault_rule(fault, collection, variable) is not None

    def take_service_fault(self, fault: str) -> bool:
        """`take_fault` for a SERVICE_FAULTS answer, counted in the stats under its name."""
        if not self.take_fault(fault):
            return False
        with self.lock:
            self.stats[fault] += 1
        return True

    def take_fault_rule(
        self, fault: str, collection: str | None = None, variable: str | tuple | None = None
    ) -> FaultRule | None:
        """The rule for `fault` that applies now, if any; consumes one use of a counted rule."""
        with self.lock:
            for rule in self.rules:
                if rule.matches(fault, collection, variable):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    # ---------------------------------------------------------------- capabilities
    def capability_mode(self, collection: str) -> str:
        with self.lock:
            return self.capability_modes.get(collection, self.default_capabilities)

    def set_capabilities(self, spec: dict) -> None:
        """{"mode": m} for every collection and/or {"collections": {id: m}}; replaces earlier settings."""
        unknown = set(spec) - {"mode", "collections"}
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}")
        modes = dict(spec.get("collections") or {})
        if "mode" in spec:
            modes.setdefault("*", spec["mode"])
        bad = {c: m for c, m in modes.items() if m not in CAPABILITY_MODES}
        if bad:
            raise ValueError(f"modes must be one of {CAPABILITY_MODES}: {bad}")
        with self.lock:
            self.default_capabilities = modes.pop("*", self.default_capabilities)
            self.capability_modes = modes

    # ---------------------------------------------------------------- publication
    def set_publication(
        self,
        delay_s: float | None,
        holds: list[dict],
        standard_delay_s: float | None = None,
        nrt_window_days: float | None = None,
        *,
        restore_delays: bool = False,
    ) -> None:
        """`delay_s` after a scan's end its granules are published, of every product line (None: keep);
        `standard_delay_s`: the standard products' own delay (None: `delay_s` if given, else keep);
        `nrt_window_days`: how long NRT granules stay listed after their scan (0: for ever; None: keep);
        `restore_delays`: both delays back to the emulator's start-up values first;
        `holds` replace the current ones: [{"start", "end", "available_in_s": seconds from now or None,
        "collection"?}]."""
        parsed = []
        for raw in holds:
            unknown = set(raw) - {"start", "end", "available_in_s", "collection", "scan"}
            if unknown:
                raise ValueError(f"unknown hold field(s) {sorted(unknown)}")
            wait = raw.get("available_in_s")
            parsed.append(
                Hold(
                    _utc(raw["start"]),
                    _utc(raw["end"]),
                    None if wait is None else time.time() + float(wait),
                    raw.get("collection"),
                    None if raw.get("scan") is None else int(raw["scan"]),
                )
            )
        with self.lock:
            if restore_delays:
                self.publication_delay_s = self.default_publication_delay_s
                self.standard_delay_s = self.default_standard_delay_s
            if delay_s is not None:
                self.publication_delay_s = self.standard_delay_s = float(delay_s)
            if standard_delay_s is not None:
                self.standard_delay_s = float(standard_delay_s)
            if nrt_window_days is not None:
                if float(nrt_window_days) < 0:
                    raise ValueError("nrt_window_days must be 0 (for ever) or more")
                self.nrt_window_days = float(nrt_window_days)
            self.holds = parsed

    def finish_jobs(self) -> int:
        """Every running job (e.g. held by a long slow_job fault) completes now; returns how many."""
        finished = 0
        with self.lock:
            for job in self.jobs.values():
                elapsed = time.monotonic() - job.started
                if job.status_override is None and elapsed < job.duration_s:
                    job.duration_s, finished = elapsed, finished + 1
        return finished

    def published(self, collection: str, scan: Scan) -> bool:
        """Whether CMR lists this granule and Harmony can process it now."""
        if not holds_day(collection, scan.observing_day):
            return False  # e.g. V03 after its forward processing ended
        with self.lock:
            if any(hold.holds(collection, scan) for hold in self.holds):
                return False
            nrt = is_nrt(collection)
            delay = self.publication_delay_s if nrt else self.standard_delay_s
            now = datetime.now(UTC)
            if nrt and self.nrt_window_days and now >= scan.end + timedelta(days=self.nrt_window_days):
                return False  # aged out of ASDC's rolling NRT window
            return now >= scan.end + timedelta(seconds=delay)

    def published_scans(self, collection: str, start: datetime, end: datetime) -> list[Scan]:
        """The collection's granules CMR lists over [start, end), each at its current revision."""
        return [
            self._as_listed(collection, s)
            for s in scans_overlapping(start, end)
            if self.published(collection, s)
        ]

    def _as_listed(self, collection: str, scan: Scan) -> Scan:
        """The granule at its current revision, on the grid its file is on now. NASA's overwrite of
        O3TOT V04 is revision 2 on 0.02°; before it, revision 1 on the former grid."""
        with self.lock:
            overwritten = regridded(collection, scan) and self.o3tot_overwritten
            former = regridded(collection, scan) and not self.o3tot_overwritten
            revisions = [
                2 if overwritten else 1,
                *(r.revision for r in self.republished if r.applies(collection, scan)),
            ]
            return replace(scan, revision=max(revisions), former_grid=former)

    def set_o3tot_overwritten(self, overwritten: bool) -> None:
        """True (the default): O3TOT V04's files as NASA serves them since April 2026; False: as before."""
        with self.lock:
            self.o3tot_overwritten = bool(overwritten)

    def set_republished(self, entries: list[dict]) -> None:
        """Granules republished under the same name: [{"start", "end", "revision", "collection"?}]
        (replaces earlier ones). CMR then lists them with that `meta.revision-id`, and their files
        hold slightly different values."""
        parsed = []
        for raw in entries:
            unknown = set(raw) - {"start", "end", "revision", "collection"}
            if unknown:
                raise ValueError(f"unknown republication field(s) {sorted(unknown)}")
            revision = int(raw["revision"])
            if revision < 2:
                raise ValueError("a republished granule's revision is 2 or more")
            parsed.append(Republished(_utc(raw["start"]), _utc(raw["end"]), revision, raw.get("collection")))
        with self.lock:
            self.republished = parsed

    # ---------------------------------------------------------------- Earthdata tokens
    def issue_token(self) -> tuple[str, date]:
        with self.lock:
            live = [t for t in self.tokens if t not in self.expired]
            if live:
                return live[0], self.tokens[live[0]]
            return self.create_token()

    def create_token(self) -> tuple[str, date]:
        with self.lock:
            token = "eyJ" + secrets.token_urlsafe(48)
            self.tokens[token] = datetime.now(UTC).date() + timedelta(days=60)
            self.stats["tokens_issued"] += 1
            return token, self.tokens[token]

    def token_valid(self, token: str) -> bool:
        with self.lock:
            return token in self.tokens and token not in self.expired

    def expire(self, token: str) -> None:
        with self.lock:
            self.expired.add(token)
            self.tokens.pop(token, None)

    # ---------------------------------------------------------------- jobs and results
    def add_result(
        self, collection: str, variables: tuple[str, ...], bbox: tuple, scan: Scan, prefix: str, kind: str
    ) -> Result:
        covered = covered_variables(collection, variables)
        file_fault = next((f for f in sorted(FILE_FAULTS) if self.take_fault(f, collection, covered)), None)
        stem = granule_name(collection, scan).removesuffix(".nc")
        if kind == NATIVE:
            key = daac_path(collection, scan)
        else:
            short = "all" if "all" in variables else "_".join(v.rsplit("/", 1)[-1] for v in variables)
            suffix = "tif" if kind == GEOTIFF else "nc4"
            key = f"{RESULTS_BUCKET}/public/{prefix}/{stem}_{short}_subsetted.{suffix}"
        result = Result(key, collection, covered, tuple(bbox), scan, kind, file_fault)
        with self.lock:
            self.results[key] = result
        return result

    def create_job(
        self,
        request_url: str,
        collection: str,
        variables: tuple[str, ...],
        bbox: tuple,
        scans: list[Scan],
        skip_preview: bool,
        kind: str = GEOTIFF,
        note: str = "",
    ) -> Job:
        job_id = str(uuid.uuid4())
        first = covered_variables(collection, variables)
        results = [self.add_result(collection, variables, bbox, s, job_id, kind) for s in scans]
        for result in results:
            if result.kind == NATIVE:
                build_soon(result.collection, result.scan, result.render_fault)
        job = Job(job_id, request_url, results, self.job_seconds, note)
        if slow := self.take_fault_rule("slow_job", collection, first):
            job.duration_s = slow.seconds or self.slow_job_seconds
        for fault, final in (
            ("job_failed", "failed"),
            ("job_canceled", "canceled"),
            ("complete_with_errors", "complete_with_errors"),
        ):
            if self.take_fault(fault, collection, first):
                job.final_status = final
        if self.take_fault("paused", collection, first):
            job.status_override = "paused"
        elif not skip_preview and self.take_fault("previewing", collection, first):
            job.status_override = "previewing"
        with self.lock:
            self.jobs[job_id] = job
        return job

    def sign(self, key: str, expires: int) -> str:
        return hmac.new(self.signing_key, f"{key}|{expires}".encode(), hashlib.sha256).hexdigest()


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
