"""Per-gas Harmony steps of `aeris_tempo_hourly`: one job per request, in the shape Harmony can serve
(GeoTIFF subset, NetCDF-4 subset, or native granules; tasks.capabilities), reused on retry or clear;
and the download of every granule's output, read over the bbox, merged into the hour's raster and
kept as the audit copy."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.sdk.observability.stats import Stats
from hooks.harmony import HarmonyHook
from tasks import breaker, capabilities, staging
from tasks.connections import aeris_db
from tasks.gas_task import GAS_TASK, gas_context
from tasks.settings import queue_from

from aeris_lib import archive, defaults, tempo_l3
from aeris_lib.db.capabilities import forget_capabilities
from aeris_lib.db.jobs import find_job, remember_job, request_key
from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import TEMPO_PIXEL_DEGREES
from aeris_lib.harmony.capabilities import NATIVE
from aeris_lib.harmony.errors import HarmonyError, RequestValidationError
from aeris_lib.harmony.http import safe_url
from aeris_lib.harmony.models import JobRef, JobStatus, NoData
from aeris_lib.harmony.ranges import RangeNotHonoured, RemoteGranule
from aeris_lib.harmony.request import BBox, RangesetRequest
from aeris_lib.merge import merge_granules
from aeris_lib.raster import RasterError, RequestGrid, check_request
from aeris_lib.safe_files import gdal_sandbox, open_geotiff, signature

log = logging.getLogger(__name__)


def _reusable(hook: HarmonyHook, job_id: str) -> str | None:
    """Why the job cannot be reused (failed, canceled, results expired, unknown), or None."""
    try:
        job = hook.client.get_job(job_id)
    except HarmonyError as error:
        return str(error)
    if job.status in (JobStatus.FAILED, JobStatus.CANCELED):
        return f"it ended {job.status.value}"
    if job.data_expiration:
        expires = datetime.fromisoformat(job.data_expiration.replace("Z", "+00:00"))
        if expires <= datetime.now(UTC) + timedelta(hours=1):
            return f"its results expire at {job.data_expiration}"
    return None


@task(multiple_outputs=True, pool=defaults.HARMONY_POOL, **GAS_TASK)
def submit_harmony_job(product: dict[str, Any], publication: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ask Harmony for the gas-hour as an asynchronous job, in the best shape its capabilities allow,
    or reuse the job already submitted for the same (hour, bbox, product, shape, granules) while
    Harmony still holds its results. `publication`: the granules CMR listed (default: the product's
    own, as the reprocess DAG passes them)."""
    gas_hour, _ = gas_context(product)
    publication = publication or gas_hour.publication
    if not publication:
        raise AirflowFailException(f"{gas_hour.gas}: no CMR listing for {gas_hour.hour.isoformat()}")
    gas, hour, entry = gas_hour.gas, gas_hour.hour, gas_hour.entry
    granules = [g["name"] for g in publication["granules"]]
    # CMR's revision of each granule: the reprocess DAG compares them to find republished files.
    revisions = {g["name"]: int(g.get("revision") or 0) for g in publication["granules"]}
    hook = HarmonyHook()
    choice, offered = capabilities.choose(hook, gas_hour)
    # In the task's XCom (UI): what Harmony offers, the shape taken and why.
    shape = {"shape": choice.shape, "format": choice.format, "why": choice.reason, "harmony_offers": offered}
    # The product's quality flag rides in the same request (a native granule holds every variable).
    wanted = (entry.variable, *((entry.quality_variable,) if entry.quality_variable else ()))
    # A republished granule keeps its name: its revision is part of the request, so its old job is not reused.
    versions_of_granules = [f"{name}@{revisions[name]}" if revisions[name] else name for name in granules]
    key = request_key(
        list(gas_hour.bbox), gas_hour.collection_id, "+".join(wanted), versions_of_granules, choice.shape
    )
    with aeris_db() as conn:
        earlier = find_job(conn, gas, hour, key)
    if earlier:
        job_id, job_url, submitted = earlier
        why_not = _reusable(hook, job_id)
        if why_not is None:
            log.info("%s: reusing Harmony job %s submitted at %s", gas, job_url, submitted.isoformat())
            return {
                "gas": gas, "job_id": job_id, "job_url": job_url, "granules": granules,
                "granule_revisions": revisions, "product": asdict(breaker.product_of(gas_hour)), "reused": True,
                **shape,
            }  # fmt: skip
        log.info("%s: not reusing Harmony job %s: %s", gas, job_url, why_not)
    native = choice.shape == NATIVE
    try:
        request = RangesetRequest(
            collection_id=gas_hour.collection_id,
            # Native granules: no variable subset (a service would be needed), no format.
            variables=("all",) if native else wanted,
            bbox=BBox(*gas_hour.bbox),
            start=hour,
            end=hour + timedelta(hours=1),
            format=choice.format,
            force_async=True,
            skip_preview=True,
        )
    except RequestValidationError as error:
        raise AirflowFailException(str(error)) from None
    try:
        outcome = hook.client.submit(request)
    except HarmonyError as error:
        if error.status == 422:
            # Harmony cannot do what its capabilities said (they changed since we cached them): forget
            # them, so the retry asks again and picks a shape Harmony can serve.
            with aeris_db() as conn:
                forget_capabilities(conn, gas_hour.collection_id)
            raise AirflowException(
                f"{gas}: Harmony refused the {choice.shape} request: {error}; its capabilities are asked "
                "again on the next try"
            ) from None
        if error.status is not None and 400 <= error.status < 500 and error.status != 429:
            # A rejected request (unknown collection, bad subset) fails the same way on every retry.
            raise AirflowFailException(f"{gas}: {error}") from None
        raise
    if isinstance(outcome, NoData):
        # CMR lists the granules but Harmony does not see them yet (its own copy of CMR lags): retry.
        raise AirflowException(f"{gas}: CMR lists {', '.join(granules)} but Harmony says: {outcome.message}")
    if not isinstance(outcome, JobRef):
        raise AirflowException(
            f"expected an asynchronous Harmony job (forceAsync), got {type(outcome).__name__}"
        )
    with aeris_db() as conn:
        remember_job(conn, gas, hour, key, outcome.job_id, outcome.job_url)
    log.info(
        "%s: Harmony job %s submitted (%s) for %d granule(s): %s",
        gas, outcome.job_url, choice.shape, len(granules), granules,
    )  # fmt: skip
    return {
        "gas": gas,
        "job_id": outcome.job_id,
        "job_url": outcome.job_url,
        "granules": granules,
        "granule_revisions": revisions,
        "product": asdict(breaker.product_of(gas_hour)),
        "reused": False,
        **shape,
    }


@task(**queue_from("AERIS_STAGE_QUEUE"), **GAS_TASK)
def stage_geotiff(product: dict[str, Any], data_links: list[str], job: dict[str, Any]) -> dict[str, Any]:
    """Download every granule's output of the job, read NetCDF-4 outputs (subsets or native granules)
    over the bbox onto TEMPO's grid, merge them into the hour's raster (mean where two scans observed
    a cell) and keep it as the audit copy (COG) in S3; the load reads it from there."""
    gas_hour, _ = gas_context(product)
    gas = gas_hour.gas
    key = staging.audit_key(gas, gas_hour.hour)
    if len(data_links) != len(job["granules"]):
        log.warning(
            "%s: %d data link(s) for %d granule(s) listed in CMR", gas, len(data_links), len(job["granules"])
        )
    client = HarmonyHook().client
    native = job.get("shape") == NATIVE  # native granules are read by range; outputs are downloaded
    # Every file here came from outside: GDAL reads them with raw VRT bands and network off.
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp, gdal_sandbox():
        identities, moved, rasters = [], [], []
        for number, link in enumerate(data_links, start=1):
            started = time.monotonic()
            raster = Path(tmp) / f"granule_{number}.tif"
            got = _read_by_range(gas_hour, client, link, raster) if native else None
            if got is None:
                got = _download(gas_hour, client, link, Path(tmp) / f"granule_{number}", raster)
            identity, size, how = got
            log.info(
                "%s: granule %d/%d from %s: %s in %.1f s (identity %s)",
                gas, number, len(data_links), safe_url(link), how, time.monotonic() - started, identity[:16],
            )  # fmt: skip
            Stats.incr(f"aeris.harmony.bytes_downloaded.{gas}", size)
            identities.append(identity)
            moved.append(size)
            _check_request(gas_hour, raster)  # before merge reads a pixel of it
            rasters.append(raster)
        if len(rasters) == 1:
            source, sha256 = rasters[0], identities[0]
        else:
            source = merge_granules([str(r) for r in rasters], Path(tmp) / "merged.tif")
            # The hour's identity: its granules' identities, in order (an unchanged rerun has the same).
            sha256 = hashlib.sha256("\n".join(identities).encode()).hexdigest()
            log.info(
                "%s: merged %d granules into one raster (mean where both observed a cell)", gas, len(rasters)
            )
        cog = archive.to_cog(source, Path(tmp) / "cog.tif")
        cog_bytes = cog.stat().st_size
        staged = staging.put(cog, key)
    log.info("%s: audit copy (COG, %s bytes) at %s", gas, f"{cog_bytes:,}", staged.uri)
    return {
        **asdict(staged),
        "sha256": sha256,
        "bytes": sum(moved),
        "job_url": job["job_url"],
        "granules": job["granules"],
        "granule_revisions": job.get("granule_revisions"),
        "shape": job.get("shape"),
    }


def _download(gas_hour: GasHour, client, link: str, path: Path, raster: Path) -> tuple[str, int, str]:
    """The whole file, then its bbox window as a GeoTIFF: (the file's sha256, bytes moved, what)."""
    download = client.download(link, path)
    if (made := _as_geotiff(gas_hour, download.path, raster)) != raster:  # a GeoTIFF output, as it is
        made.rename(raster)
    return download.sha256, download.size_bytes, f"downloaded {download.size_bytes:,} bytes"


def _read_by_range(gas_hour: GasHour, client, link: str, raster: Path) -> tuple[str, int, str] | None:
    """A native granule's bbox window read remotely, by byte range, into a GeoTIFF: (the window's
    sha256, bytes moved, what); None when the server does not honour ranges (then it is downloaded)."""
    entry = gas_hour.entry
    try:
        with RemoteGranule(client, link, max_bytes=client.max_download_bytes) as remote:
            window = tempo_l3.read_window(
                remote, entry.variable, gas_hour.bbox, pixel=entry.pixel_degrees or TEMPO_PIXEL_DEGREES,
                quality_variable=entry.quality_variable or None, name=safe_url(link),
            )  # fmt: skip
            summary, moved = remote.summary(), remote.bytes_moved
    except RangeNotHonoured as error:
        log.warning("%s: %s; downloading the whole granule instead", gas_hour.gas, error)
        return None
    except RasterError as error:  # names the product: a regridded version is told apart by its name
        raise AirflowFailException(f"{gas_hour.gas} ({gas_hour.label}): {error}") from None
    tempo_l3.write_geotiff(window, raster)
    digest = hashlib.sha256(window.values.tobytes())
    if window.flags is not None:
        digest.update(window.flags.tobytes())
    rows, cols = window.granule_shape
    cells = f"{window.shape[1]} x {window.shape[0]} cells"
    what = f"{summary}; {entry.variable} over the bbox of a {cols} x {rows} granule: {cells}"
    return digest.hexdigest(), moved, what


def _check_request(gas_hour: GasHour, path: Path) -> None:
    """A raster that is not what was asked (pixel size, extent, size) fails the gas, unread."""
    request = RequestGrid(gas_hour.bbox, gas_hour.entry.pixel_degrees or TEMPO_PIXEL_DEGREES)
    try:
        with open_geotiff(str(path)) as src:
            check_request(str(path), src, request)
    except RasterError as error:
        raise AirflowFailException(
            f"{gas_hour.gas}: Harmony's output of {gas_hour.label} is not what was asked: {error}"
        ) from None


def _as_geotiff(gas_hour: GasHour, path: str, dest: Path) -> Path:
    """The downloaded output as a GeoTIFF on TEMPO's grid: as is when Harmony made a GeoTIFF; a
    NetCDF-4 output (subset or native granule) is read over the bbox only. Decided by the file's
    own signature, not by what was asked: a service may answer in its default format. Anything
    else (a VRT, HTML, an archive) fails the gas unopened."""
    try:
        kind = signature(str(path))
    except RasterError as error:
        raise AirflowFailException(f"{gas_hour.gas}: Harmony's output of {gas_hour.label}: {error}") from None
    if kind == "tiff":
        return Path(path)
    started = time.monotonic()
    entry = gas_hour.entry
    pixel = entry.pixel_degrees or TEMPO_PIXEL_DEGREES
    try:
        window = tempo_l3.granule_to_geotiff(
            path, entry.variable, gas_hour.bbox, dest, pixel, entry.quality_variable or None
        )
    except RasterError as error:  # names the product: a regridded version is told apart by its name
        raise AirflowFailException(f"{gas_hour.gas} ({gas_hour.label}): {error}") from None
    rows, cols = window.granule_shape
    log.info(
        "%s: read %s over the bbox from a %d x %d NetCDF-4 granule (%s to %s): %d x %d cells in %.1f s",
        gas_hour.gas, entry.variable, cols, rows, *window.time_coverage, window.shape[1], window.shape[0],
        time.monotonic() - started,
    )  # fmt: skip
    return dest
