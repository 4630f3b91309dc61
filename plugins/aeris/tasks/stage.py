"""The hour's raster from a Harmony job's outputs: native granules read over the bbox by byte range on
the DAAC (downloaded whole when it does not honour ranges), subsets downloaded; each opened by its
signature and checked against the request before a pixel is read; merged (mean where two scans observed
a cell) in memory, staged as one GeoTIFF in S3 (the load's input, the audit COG's source)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aeris.config.settings import queue_from
from aeris.hooks import staging
from aeris.hooks.harmony import HarmonyHook
from aeris.tasks import shared_reads
from aeris.tasks.gas_task import DAAC_READS, GAS_TASK, ONE_XCOM, gas_context
from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.observability.stats import Stats
from rasterio.errors import RasterioIOError

from aeris_lib import tempo_l3
from aeris_lib.gas_hour import GasHour
from aeris_lib.harmony.capabilities import NATIVE
from aeris_lib.harmony.http import safe_url
from aeris_lib.harmony.ranges import RangeNotHonoured, RemoteGranule
from aeris_lib.memory_raster import ArrayRaster
from aeris_lib.merge import merge_rasters
from aeris_lib.raster import RasterError, RequestGrid, check_request, read_requested
from aeris_lib.safe_files import gdal_sandbox, signature

log = logging.getLogger(__name__)


@task(**queue_from("AERIS_STAGE_QUEUE"), **GAS_TASK, **DAAC_READS, **ONE_XCOM)
def stage_geotiff(product: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """Every granule's output of the job over the bbox onto TEMPO's grid (native granules read by
    byte range, subsets downloaded), merged into the hour's raster (mean where two scans observed a
    cell) and staged in S3; the load reads it from there and makes the audit COG of it once published.
    (With one queue for both steps, `load_gas_hour` stages in its own process instead.)"""
    with staged_raster(gas_context(product)[0], job) as (staged, _path):
        return staged


@contextlib.contextmanager
def staged_raster(gas_hour: GasHour, job: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Path]]:
    """The hour's raster staged in S3: (its XCom, the local file, which lasts as long as the block)."""
    gas, data_links = gas_hour.gas, job["data_links"]
    key = staging.audit_key(gas, gas_hour.hour)
    if len(data_links) != len(job["granules"]):
        log.warning(
            "%s: %d data link(s) for %d granule(s) listed in CMR", gas, len(data_links), len(job["granules"])
        )
    client = HarmonyHook().client
    native = job.get("shape") == NATIVE  # native granules are read by range; outputs are downloaded
    # Every file here came from outside: GDAL reads them with its network off, and only as GeoTIFFs.
    # Each granule's window stays in memory (checked, merged); one file is written: the staged raster.
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp, gdal_sandbox():
        identities, moved, rasters = [], [], []
        for number, link in enumerate(data_links, start=1):
            started = time.monotonic()
            got = _read_by_range(gas_hour, client, link, job["job_id"]) if native else None
            if got is None:
                # A native granule downloaded whole must be the size CMR lists (when it lists one).
                expected = (job.get("granule_sizes") or {}).get(urlsplit(link).path.rsplit("/", 1)[-1], 0)
                got = _download(
                    gas_hour, client, link, Path(tmp) / f"granule_{number}", expected if native else 0
                )
            raster, identity, size, how = got
            if raster.former_grid:  # NASA's overwrite of the file is reloaded by the reprocess DAG
                how += f", split from the product's former {raster.former_grid} grid"
            log.info(
                "%s: granule %d/%d, %s bytes from %s in %.1f s: %s (identity %s)",
                gas, number, len(data_links), f"{size:,}", safe_url(link), time.monotonic() - started, how,
                identity[:16],
            )  # fmt: skip
            Stats.incr(f"aeris.harmony.bytes_downloaded.{gas}", size)
            identities.append(identity)
            moved.append(size)
            _check_request(gas_hour, raster)  # before merge reads a pixel of it
            rasters.append(raster)
        merged = rasters[0] if len(rasters) == 1 else merge_rasters(rasters)
        if len(rasters) > 1:
            log.info(
                "%s: merged %d granules into one raster (mean where both observed a cell)", gas, len(rasters)
            )
        # The hour's identity, which decides "unchanged": what was asked (bbox, variables, shape) and
        # its granules' identities, in order. Another bbox or variable is another source.
        sha256 = hashlib.sha256(
            "\n".join([_request_identity(gas_hour, job), *identities]).encode()
        ).hexdigest()
        path = merged.write_geotiff(Path(tmp) / "staged.tif")
        staged_bytes = path.stat().st_size
        # Staged apart from the audit copy: the load makes the audit COG from it only once the slice is
        # published, so a file the quality checks reject never replaces the published one's.
        staged = staging.store().put(path, staging.staged_key(gas, gas_hour.hour, sha256))
        log.info("%s: staged %d x %d raster (%s bytes) at %s; the audit COG %s once published", gas,
                 merged.width, merged.height, f"{staged_bytes:,}", staged.uri, key)  # fmt: skip
        yield {
            **asdict(staged), "audit_key": key, "sha256": sha256, "bytes": sum(moved), "job_url": job["job_url"],
            "granules": job["granules"], "granule_revisions": job.get("granule_revisions"),
            "listed_at": job.get("listed_at"), "shape": job.get("shape"),
        }, path  # fmt: skip


def _request_identity(gas_hour: GasHour, job: dict[str, Any]) -> str:
    entry = gas_hour.entry
    request = {"bbox": [round(float(v), 6) for v in gas_hour.bbox], "variable": entry.variable,
               "quality": entry.quality_variable or None, "shape": job.get("shape")}  # fmt: skip
    return json.dumps(request, sort_keys=True)


def _download(
    gas_hour: GasHour, client, link: str, path: Path, expected_bytes: int = 0
) -> tuple[ArrayRaster, str, int, str]:
    """The whole file, then its bbox window in memory: (raster, the file's sha256, bytes moved, what)."""
    download = client.download(link, path, expected_bytes)
    return _as_raster(gas_hour, download.path), download.sha256, download.size_bytes, "downloaded whole"


def _read_by_range(
    gas_hour: GasHour, client, link: str, job_id: str
) -> tuple[ArrayRaster, str, int, str] | None:
    """A native granule's bbox window read remotely, by byte range, into memory: (raster, the window's
    identity, bytes moved, what); None when the server does not honour ranges (then it is downloaded).
    With companions (the run's other gases read from this granule), one read serves them all."""
    entry, companions = gas_hour.entry, gas_hour.companions
    others = ", ".join(gas for gas, _, _ in companions)
    # Alone, the read needs no lock; with companions, the first task through reads for all of them.
    with shared_reads.granule_lock(gas_hour.hour, link) if companions else contextlib.nullcontext():
        key = shared_reads.window_key(gas_hour.hour, job_id, link, entry.variable)
        window, moved = (shared_reads.take(key) if companions else None), 0
        if window is not None:
            how = f"shared: read with {others} in one range read"
        else:
            wanted: list[tuple[str, str | None]] = [
                (entry.variable, entry.quality_variable),
                *((v, q) for _, v, q in companions),
            ]
            windows, how, moved = _read_windows(gas_hour, client, link, wanted)
            if windows is None:
                return None
            window = windows[entry.variable]
            for _, variable, _ in companions:
                shared_reads.put(
                    shared_reads.window_key(gas_hour.hour, job_id, link, variable), windows[variable]
                )
            if companions:
                how += f"; {others}'s window read in the same pass and left for it"
    # The hour's identity: which granule (its path names product and version) and what was read.
    digest = hashlib.sha256(urlsplit(link).path.encode() + b"\n" + window.values.tobytes())
    if window.flags is not None:
        digest.update(window.flags.tobytes())
    rows, cols = window.granule_shape
    cells = f"{window.shape[1]} x {window.shape[0]} cells"
    return (
        window.to_raster(safe_url(link)),
        digest.hexdigest(),
        moved,
        f"{how}; {entry.variable} over the bbox of a {cols} x {rows} NetCDF-4 granule: {cells}",
    )


def _read_windows(
    gas_hour: GasHour, client, link: str, wanted: list[tuple[str, str | None]]
) -> tuple[dict[str, tempo_l3.GridWindow] | None, str, int]:
    """{variable: window} of each (variable, quality variable) over the bbox, in one range-read
    session of the granule (coordinates and metadata are read once); (None, …) without ranges."""
    pixel = gas_hour.pixel
    try:
        with RemoteGranule(client, link, max_bytes=client.max_download_bytes) as remote:
            windows = {
                variable: tempo_l3.read_window(
                    remote,
                    variable,
                    gas_hour.bbox,
                    pixel=pixel,
                    quality_variable=quality or None,
                    name=safe_url(link),
                    former_grids=gas_hour.entry.former_grids,
                )
                for variable, quality in wanted
            }
            return windows, remote.summary(), remote.bytes_moved
    except RangeNotHonoured as error:
        log.warning("%s: %s; downloading the whole granule instead", gas_hour.gas, error)
        return None, "", 0
    except RasterError as error:  # names the product: a regridded version is told apart by its name
        raise AirflowFailException(f"{gas_hour.gas} ({gas_hour.label}): {error}") from None


def _check_request(gas_hour: GasHour, raster: ArrayRaster) -> None:
    """A raster that is not what was asked (pixel size, extent, size) fails the gas before merging;
    by then a file on a former grid of the product is on its grid."""
    request = RequestGrid(gas_hour.bbox, gas_hour.pixel)
    try:
        check_request(raster.name, raster, request)
    except RasterError as error:
        raise AirflowFailException(
            f"{gas_hour.gas}: Harmony's output of {gas_hour.label} is not what was asked: {error}"
        ) from None


def _as_raster(gas_hour: GasHour, path: str) -> ArrayRaster:
    """The downloaded output in memory on TEMPO's grid: a GeoTIFF as Harmony made it (checked against
    the request from its header before its pixels are read); a NetCDF-4 output (subset or native
    granule) read over the bbox only. Decided by the file's own signature, not by what was asked: a
    service may answer in its default format. Anything else (a VRT, HTML, an archive) fails the gas
    unopened."""
    try:
        kind = signature(str(path))
    except RasterError as error:
        raise AirflowFailException(f"{gas_hour.gas}: Harmony's output of {gas_hour.label}: {error}") from None
    name = Path(path).name
    entry = gas_hour.entry
    if kind == "tiff":
        try:
            return read_requested(
                str(path), RequestGrid(gas_hour.bbox, gas_hour.pixel, entry.former_grids), name
            )
        except RasterioIOError as error:
            problem = f": {name}: corrupt or truncated data ({error})"
        except RasterError as error:
            problem = f" is not what was asked: {error}"
        raise AirflowFailException(f"{gas_hour.gas}: Harmony's output of {gas_hour.label}{problem}")
    started = time.monotonic()
    try:
        window = tempo_l3.read_window(
            path, entry.variable, gas_hour.bbox, pixel=gas_hour.pixel,
            quality_variable=entry.quality_variable or None, former_grids=entry.former_grids,
        )  # fmt: skip
    except RasterError as error:  # names the product: a regridded version is told apart by its name
        raise AirflowFailException(f"{gas_hour.gas} ({gas_hour.label}): {error}") from None
    rows, cols = window.granule_shape
    log.info(
        "%s: read %s over the bbox from a %d x %d NetCDF-4 granule (%s to %s): %d x %d cells in %.1f s",
        gas_hour.gas, entry.variable, cols, rows, *window.time_coverage, window.shape[1], window.shape[0],
        time.monotonic() - started,
    )  # fmt: skip
    return window.to_raster(name)
