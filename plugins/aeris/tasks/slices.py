"""Per-gas grid steps of the TEMPO DAGs: write, check and publish the slice, then its audit copy (COG,
map and STAC item)."""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from aeris.config.connections import aeris_db
from aeris.config.settings import checked, queue_from
from aeris.hooks import staging
from aeris.tasks import breaker
from aeris.tasks.gas_task import DAAC_READS, GAS_TASK, ONE_XCOM, gas_context
from airflow.sdk import Asset, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.observability.stats import Stats

from aeris_lib import config
from aeris_lib.gas_hour import GasHour

log = logging.getLogger(__name__)

POLLUTION_GRID = Asset("pollution_grid")


@task(outlets=[POLLUTION_GRID], **queue_from("AERIS_LOAD_QUEUE"), **GAS_TASK, **ONE_XCOM)
def load_gas_hour(product: dict[str, Any], staged: dict[str, Any]) -> dict[str, Any]:
    """Write the staged raster as a new slice, run the data-quality checks on it, and only if they all
    pass swap it in for the published one (a failed check keeps the published slice, and the new one
    for inspection); then write the audit copy of what was published."""
    gas_hour, context = gas_context(product)
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp:
        path = staging.store().fetch(staging.StagedObject.from_xcom(staged), Path(tmp))
        return _load_and_archive(gas_hour, context, staged, path)


@task(task_id="load_gas_hour", outlets=[POLLUTION_GRID], **queue_from("AERIS_LOAD_QUEUE"), **GAS_TASK,
      **DAAC_READS, **ONE_XCOM)  # fmt: skip
def stage_and_load_gas_hour(product: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """`stage_geotiff` and then `load_gas_hour` in one process, when one worker runs both (one queue):
    the staged raster is loaded, and archived once published, from the local file it was staged from."""
    from aeris.tasks import stage  # heavy (rasterio, h5py): imported where used, not at DAG parse

    gas_hour, context = gas_context(product)
    with stage.staged_raster(gas_hour, job) as (staged, path):
        return _load_and_archive(gas_hour, context, staged, path)


def _load_and_archive(gas_hour: GasHour, context: Any, staged: dict[str, Any], path: Path) -> dict[str, Any]:
    """What the load says of the staged raster at `path`, with the audit copy it then made."""
    loaded = _load(gas_hour, context, staged, path)
    return {**loaded, "audit": archive_slice(gas_hour, loaded, staged, path)}


def _load(gas_hour: GasHour, context: Any, staged: dict[str, Any], path: Path) -> dict[str, Any]:
    """The load of the staged raster at `path` (its XCom: `staged`), logged; what the load returns."""
    from aeris_lib.db.load import SliceRejected, load_slice  # heavy (rasterio): not at DAG parse

    gas, hour = gas_hour.gas, gas_hour.hour
    max_cells = checked(config.Region.from_env).max_cells
    source = staging.StagedObject.from_xcom(staged)
    context[breaker.LOAD_BEGUN] = True  # from here a failed try writes its own ledger row
    with aeris_db() as conn:
        try:
            result = load_slice(
                conn, str(path), gas, hour, source_sha256=staged["sha256"], max_cells=max_cells,
                harmony_job_id=(staged.get("job_url") or "").rsplit("/", 1)[-1] or None,
                audit_bbox=gas_hour.bbox, granules=staged.get("granules"),
                pixel_degrees=gas_hour.entry.pixel_degrees, product_line=gas_hour.line,
                upgraded_from=gas_hour.upgraded_from, short_name=gas_hour.short_name or None,
                version=gas_hour.version or None, line_reason=gas_hour.line_reason or None,
                granule_revisions=staged.get("granule_revisions"),
                fetched={"listed_at": staged.get("listed_at"), "request_shape": staged.get("shape"),
                         "bytes_moved": staged.get("bytes")},
                force=bool(context["params"].get("force_reload")),
            )  # fmt: skip
        except SliceRejected as rejected:
            for check in rejected.checks:
                log.info("%s %s: %s — %s", gas, check.name, "ok" if check.passed else "FAILED", check.detail)
            Stats.incr(f"aeris.quality.failures.{gas}", sum(not c.passed for c in rejected.checks))
            # The same file fails the same way on a retry: fail now, the previous slice stays published.
            raise AirflowFailException(str(rejected)) from None
        except Exception:
            Stats.incr(f"aeris.load.failures.{gas}")
            raise
    for check in result.checks:
        log.info("%s %s: ok — %s", gas, check.name, check.detail)
    Stats.timing(f"aeris.load.duration.{gas}", timedelta(seconds=result.duration_s))
    granules = ", ".join(staged.get("granules") or []) or "?"
    if result.status == "kept_standard":
        log.info(
            "%s %s from Harmony job %s (%s): the standard product's slice is already published (%s rows);"
            " this near-real-time file does not replace it, nothing written",
            gas, hour.isoformat(), staged.get("job_url") or "?", granules, f"{result.rows_in_slice:,}",
        )  # fmt: skip
    elif result.status == "unchanged":
        Stats.incr(f"aeris.load.unchanged.{gas}")
        log.info(
            "%s %s from Harmony job %s (%s), %s: same source (sha256 %s) as the slice already published;"
            " %s rows kept, nothing written",
            gas, hour.isoformat(), staged.get("job_url") or "?", granules, source.uri, staged["sha256"][:16],
            f"{result.rows_in_slice:,}",
        )  # fmt: skip
    else:
        Stats.incr(f"aeris.load.rows.{gas}", result.rows_written)
        log.info(
            "%s %s from Harmony job %s (%s), %s: %s cells read, %s fill skipped, %s flagged implausible,"
            " %s rows checked and published in %.1f s (%s rows/s)%s",
            gas, hour.isoformat(), staged.get("job_url") or "?", granules, source.uri, f"{result.cells_read:,}",
            f"{result.cells_skipped:,}", f"{result.cells_flagged:,}", f"{result.rows_written:,}",
            result.duration_s, f"{result.rows_per_s:,.0f}",
            f"; {gas_hour.label}, replacing the {gas_hour.upgraded_from} slice"
            if gas_hour.upgraded_from else f"; {gas_hour.label}",
        )  # fmt: skip
    breaker.close_breaker(gas)
    # What consumers of the asset read: the hour, the gas's rows, and whether anything changed
    # (`unchanged` and `kept_standard` wrote nothing).
    context["outlet_events"][POLLUTION_GRID].extra = {
        "hour": hour.isoformat(),
        gas: result.rows_in_slice,
        "status": result.status,
    }
    return {
        "gas": gas,
        "hour": hour.isoformat(),
        "rows": result.rows_in_slice,
        "status": result.status,
        "line": gas_hour.line,
        "key": staged.get("audit_key") or staged["key"],
    }


def archive_slice(
    gas_hour: GasHour, loaded: dict[str, Any], staged: dict[str, Any], path: Path
) -> dict[str, str]:
    """The audit copy of what the load published, as a Cloud-Optimized GeoTIFF, with a PNG map and a
    STAC Item beside it, so the archive is browsable with standard tools. Made after the slice is
    published, never on the load's way to it (a file the checks reject never replaces the published
    one's copy); nothing when the load published nothing. In the load's own task: a task of its own
    cost about a second of CPU more per gas-hour (docs/measurements.md). Should S3 fail here, the
    retry finds the slice `unchanged` and writes the copy again."""
    from aeris_lib import archive  # heavy (rasterio, matplotlib): not at DAG parse

    gas, hour = gas_hour.gas, gas_hour.hour
    key = staged.get("audit_key") or staging.audit_key(gas, hour)
    audit = staging.StagedObject(staged["store"], staged["bucket"], key)
    if loaded.get("status") == "kept_standard":
        log.info("%s %s: the standard slice stays published; its audit copy %s is unchanged", gas,
                 hour.isoformat(), audit.uri)  # fmt: skip
        return {}
    if loaded.get("status") == "unchanged" and staging.store().exists(key):
        log.info("%s %s: same source as the published slice; audit copy %s kept", gas, hour.isoformat(),
                 audit.uri)  # fmt: skip
        return {"cog": audit.uri}
    stem = key.rsplit(".", 1)[0]
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp:
        cog = staging.store().put(archive.to_cog(path, Path(tmp) / "cog.tif"), key)
        png = staging.store().put(archive.render_png(path, gas, hour, Path(tmp) / "map.png"), f"{stem}.png")
        item = archive.stac_item(
            gas=gas, hour=hour, bbox=gas_hour.bbox, cog_href=cog.uri, png_href=png.uri,
            collection_id=gas_hour.collection_id, variable=gas_hour.entry.variable, source_sha256=staged["sha256"],
        )  # fmt: skip
        item_path = Path(tmp) / "item.json"
        item_path.write_text(json.dumps(item, indent=2))
        stac = staging.store().put(item_path, f"{stem}.json")
    log.info("%s %s: audit COG %s, map %s, STAC item %s", gas, hour.isoformat(), cog.uri, png.uri, stac.uri)
    return {"png": png.uri, "stac": stac.uri, "cog": cog.uri}
