"""TaskFlow steps of `aeris_tempo_hourly`: thin Airflow adapters around `aeris_lib`."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, Variable, get_current_context, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from airflow.sdk.observability.stats import Stats
from hooks.harmony import HarmonyHook

from aeris_lib import archive, circuit
from aeris_lib.db.load import load_slice
from aeris_lib.db.migrate import apply_migrations
from aeris_lib.db.routes import recompute_route_exposure
from aeris_lib.gases import GAS_NAMES, build_catalog
from aeris_lib.harmony.client import safe_url
from aeris_lib.harmony.errors import HarmonyError, RequestValidationError
from aeris_lib.harmony.models import JobRef, NoData
from aeris_lib.harmony.request import BBox, RangesetRequest
from aeris_lib.quality import check_slice
from tasks import staging
from tasks.connections import REDIS_CONN_ID, aeris_db

log = logging.getLogger(__name__)

CONUS = (-125.0, 24.0, -66.0, 50.0)
# TEMPO L3 granules usually appear in Harmony/CMR 20-60 min after the scan ends; 45 min catches most
# on the first try, and retries with backoff absorb the late ones. AERIS_AVAILABILITY_DELAY_MINUTES
# changes the default of the DAG's param (read when the DAG is parsed).
DEFAULT_AVAILABILITY_DELAY_MINUTES = int(os.environ.get("AERIS_AVAILABILITY_DELAY_MINUTES") or 45)
POLLUTION_GRID = Asset("pollution_grid")
LAST_UPDATE_KEY = "tempo:last_update"


def audit_key(gas: str, hour: datetime) -> str:
    return f"audit/geotiff/{hour:%Y-%m-%d}/{gas}_{hour:%H}.tif"


def default_gases() -> list[str]:
    """The gases an hourly run asks for: AERIS_GASES (comma-separated, e.g. to leave out PM), else all."""
    configured = [g.strip().upper() for g in os.environ.get("AERIS_GASES", "").split(",") if g.strip()]
    unknown = [g for g in configured if g not in GAS_NAMES]
    if unknown:
        raise AirflowException(f"AERIS_GASES: unknown gas(es) {unknown}; choose from {list(GAS_NAMES)}")
    return configured or list(GAS_NAMES)


def _breaker_threshold() -> int:
    return int(os.environ.get("AERIS_CIRCUIT_BREAKER_FAILURES") or circuit.DEFAULT_THRESHOLD)


def record_gas_failure(context: dict[str, Any]) -> None:
    """on_failure_callback of the per-gas tasks: one more failed hour for the gas's circuit breaker."""
    # The sensor is generic: its gas is its job_label, its hour the run's.
    gas = context.get("gas") or getattr(context.get("task"), "job_label", None)
    hour = context.get("gas_hour") or _resolve_hour(context["params"], context).isoformat()
    if gas not in GAS_NAMES:
        return
    key = circuit.variable_key(gas)
    state = circuit.BreakerState.parse(Variable.get(key, default=None)).record_failure(hour)
    Variable.set(key, state.dumps())
    threshold = _breaker_threshold()
    log.warning("%s: circuit breaker now at %s (opens at %d)", gas, state.describe(), threshold)


def warn_circuit_open(context: dict[str, Any]) -> None:
    """on_skipped_callback: a loud warning when the skip came from an open circuit breaker."""
    opened = context.get("circuit_breaker")
    if opened:
        Stats.incr(f"aeris.circuit.open.{opened['gas']}")
        log.warning(
            "CIRCUIT BREAKER OPEN for %s (%s): hourly runs skip it. Reset: `airflow variables delete %s`,"
            " or trigger a manual run with gases=[%s] that succeeds.",
            opened["gas"], opened["state"], opened["key"], opened["gas"],
        )  # fmt: skip


def _check_breaker(product: dict[str, Any], context: dict[str, Any]) -> None:
    gas = product["gas"]
    key = circuit.variable_key(gas)
    state = circuit.BreakerState.parse(Variable.get(key, default=None))
    if not state.is_open(_breaker_threshold()):
        return
    asked = (context["dag_run"].conf or {}).get("gases") or []
    if gas in asked and context["dag_run"].run_type in ("manual", "operator_triggered"):
        log.warning(
            "%s: circuit breaker open (%s); trying anyway: this run asked for it", gas, state.describe()
        )
        return
    context["circuit_breaker"] = {"gas": gas, "state": state.describe(), "key": key}
    raise AirflowSkipException(
        f"{gas}: circuit breaker open after {state.describe()}; skipped. Reset with "
        f"`airflow variables delete {key}` or a manual run with gases=[{gas}]"
    )


def _default_bbox() -> tuple[float, ...]:
    names = ("TEMPO_BBOX_WEST", "TEMPO_BBOX_SOUTH", "TEMPO_BBOX_EAST", "TEMPO_BBOX_NORTH")
    if all(os.environ.get(n) for n in names):
        try:
            return tuple(float(os.environ[n]) for n in names)
        except ValueError:
            raise AirflowException(f"{'/'.join(names)} must be numbers") from None
    return CONUS


def _resolve_hour(params: dict, context: dict) -> datetime:
    if params.get("hour"):
        try:
            hour = datetime.fromisoformat(str(params["hour"]).replace("Z", "+00:00"))
        except ValueError:
            raise AirflowException(f"param 'hour': not an ISO date-time: {params['hour']!r}") from None
        hour = hour if hour.tzinfo else hour.replace(tzinfo=UTC)
    elif context.get("data_interval_start"):
        hour = context["data_interval_start"]
    else:
        hour = datetime.now(UTC) - timedelta(hours=1)
    return hour.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@task
def plan(**context: Any) -> list[dict[str, Any]]:
    """Resolve and validate the run's hour, gases and bbox; apply pending schema migrations."""
    params = context["params"]
    hour = _resolve_hour(params, context)
    gases = params.get("gases") or default_gases()
    unknown = [g for g in gases if g not in GAS_NAMES]
    if unknown:
        raise AirflowException(f"param 'gases': unknown {unknown}; choose from {list(GAS_NAMES)}")
    bbox = params.get("bbox") or _default_bbox()
    if len(bbox) != 4:
        raise AirflowException(f"param 'bbox': expected [west, south, east, north], got {bbox!r}")
    problems = BBox(*map(float, bbox)).problems()
    if problems:
        raise AirflowException("param 'bbox': " + "; ".join(problems))
    catalog = build_catalog(Variable.get("aeris_gas_catalog", default=None) or _catalog_file())
    with aeris_db() as conn:
        applied = apply_migrations(conn)
    log.info(
        "Plan: hour %s, gases %s, bbox %s; schema %s",
        hour.isoformat(),
        ",".join(gases),
        list(bbox),
        f"migrated ({', '.join(applied)})" if applied else "up to date",
    )
    return [
        {**catalog[g].to_dict(), "hour": hour.isoformat(), "bbox": [float(v) for v in bbox]} for g in gases
    ]


def _catalog_file() -> str | None:
    path = os.environ.get("AERIS_GAS_CATALOG_FILE")
    return Path(path).read_text() if path else None


def _gas_context(product: dict[str, Any]) -> dict[str, Any]:
    """The task context, tagged with the gas and hour (map index label, failure callback)."""
    context = get_current_context()
    context["gas"], context["gas_hour"] = product["gas"], product["hour"]
    return context


GAS_TASK = {"map_index_template": "{{ gas }}", "on_failure_callback": record_gas_failure}


@task(multiple_outputs=True, pool="harmony_api", on_skipped_callback=warn_circuit_open, **GAS_TASK)
def submit_harmony_job(product: dict[str, Any]) -> dict[str, Any]:
    """Ask Harmony for the gas-hour subset as an asynchronous job; skip when no granule exists."""
    _check_breaker(product, _gas_context(product))
    hour = datetime.fromisoformat(product["hour"])
    try:
        request = RangesetRequest(
            collection_id=product["collection_id"],
            variables=(product["variable"],),
            bbox=BBox(*product["bbox"]),
            start=hour,
            end=hour + timedelta(hours=1),
            force_async=True,
            skip_preview=True,
        )
    except RequestValidationError as error:
        raise AirflowException(str(error)) from None
    hook = HarmonyHook()
    if not product.get("verified", True):
        log.warning("%s: %s", product["gas"], product.get("note") or "catalog entry is unverified")
    try:
        outcome = hook.client.submit(request)
    except HarmonyError as error:
        if error.status is not None and 400 <= error.status < 500 and error.status != 429:
            # A rejected request (unknown collection, bad subset) fails the same way on every retry.
            raise AirflowFailException(f"{product['gas']}: {error}") from None
        raise
    if isinstance(outcome, NoData):
        raise AirflowSkipException(
            f"{product['gas']} {hour:%Y-%m-%d %H}:00 UTC: Harmony has no granule ({outcome.message})"
        )
    if not isinstance(outcome, JobRef):
        raise AirflowException(
            f"expected an asynchronous Harmony job (forceAsync), got {type(outcome).__name__}"
        )
    log.info("%s: Harmony job %s submitted", product["gas"], outcome.job_url)
    return {"gas": product["gas"], "job_id": outcome.job_id, "job_url": outcome.job_url}


@task(**GAS_TASK)
def stage_geotiff(product: dict[str, Any], data_links: list[str], job_url: str = "") -> dict[str, Any]:
    """Download the job's GeoTIFF and keep the audit copy in S3 (the load reads it from there)."""
    _gas_context(product)
    key = audit_key(product["gas"], datetime.fromisoformat(product["hour"]))
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp:
        started = time.monotonic()
        download = HarmonyHook().client.download(data_links[0], Path(tmp) / "granule.tif")
        log.info(
            "%s: downloaded %s bytes from %s in %.1f s (sha256 %s)",
            product["gas"],
            f"{download.size_bytes:,}",
            safe_url(data_links[0]),
            time.monotonic() - started,
            download.sha256[:16],
        )
        Stats.incr(f"aeris.harmony.bytes_downloaded.{product['gas']}", download.size_bytes)
        # The audit copy is a Cloud-Optimized GeoTIFF (same pixels), readable by standard tools.
        cog = archive.to_cog(download.path, Path(tmp) / "cog.tif")
        cog_bytes = cog.stat().st_size
        staged = staging.put(cog, key)
    log.info("%s: audit copy (COG, %s bytes) at %s", product["gas"], f"{cog_bytes:,}", staged.uri)
    return {
        **asdict(staged),
        "sha256": download.sha256,
        "bytes": download.size_bytes,
        "job_url": job_url,
    }


@task(outlets=[POLLUTION_GRID], **GAS_TASK)
def load_gas_hour(product: dict[str, Any], staged: dict[str, Any]) -> dict[str, Any]:
    """COPY the staged GeoTIFF into PostGIS, replacing the gas-hour slice atomically."""
    context = _gas_context(product)
    gas = product["gas"]
    hour = datetime.fromisoformat(product["hour"])
    max_cells = int(os.environ["AERIS_MAX_CELLS"]) if os.environ.get("AERIS_MAX_CELLS") else None
    source = staging.StagedObject.from_xcom(staged)
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp:
        path = staging.fetch(source, Path(tmp))
        with aeris_db() as conn:
            try:
                result = load_slice(
                    conn, str(path), gas, hour, source_sha256=staged["sha256"], max_cells=max_cells,
                    harmony_job_id=(staged.get("job_url") or "").rsplit("/", 1)[-1] or None,
                )  # fmt: skip
            except Exception:
                Stats.incr(f"aeris.load.failures.{gas}")
                raise
    Stats.incr(f"aeris.load.rows.{gas}", result.rows_written)
    Stats.timing(f"aeris.load.duration.{gas}", timedelta(seconds=result.duration_s))
    if result.status == "unchanged":
        Stats.incr(f"aeris.load.unchanged.{gas}")
        log.info(
            "%s %s from Harmony job %s, %s: same source (sha256 %s) as the slice already loaded;"
            " %s rows kept, nothing written",
            gas, hour.isoformat(), staged.get("job_url") or "?", source.uri, staged["sha256"][:16],
            f"{result.rows_in_slice:,}",
        )  # fmt: skip
    else:
        log.info(
            "%s %s from Harmony job %s, %s: %s cells read, %s fill skipped, %s flagged implausible,"
            " %s rows loaded in %.1f s (%s rows/s)",
            gas, hour.isoformat(), staged.get("job_url") or "?", source.uri, f"{result.cells_read:,}",
            f"{result.cells_skipped:,}", f"{result.cells_flagged:,}", f"{result.rows_written:,}",
            result.duration_s, f"{result.rows_per_s:,.0f}",
        )  # fmt: skip
    context["outlet_events"][POLLUTION_GRID].extra = {"hour": hour.isoformat(), gas: result.rows_in_slice}
    return {
        "gas": gas,
        "hour": hour.isoformat(),
        "rows": result.rows_in_slice,
        "status": result.status,
        "key": staged["key"],
    }


@task(**GAS_TASK)
def check_gas_hour(product: dict[str, Any], loaded: dict[str, Any]) -> dict[str, bool]:
    """Data-quality checks of the loaded slice; a failure names the check and its numbers.
    Passing closes the gas's circuit breaker (a good hour ends a failure streak)."""
    _gas_context(product)
    gas = product["gas"]
    hour = datetime.fromisoformat(product["hour"])
    with aeris_db() as conn:
        results = check_slice(conn, gas, hour, tuple(product["bbox"]))
    for result in results:
        log.info("%s %s: %s — %s", gas, result.name, "ok" if result.passed else "FAILED", result.detail)
    failed = [r for r in results if not r.passed]
    if failed:
        Stats.incr(f"aeris.quality.failures.{gas}", len(failed))
        raise AirflowFailException(
            f"{gas} {hour.isoformat()}: data-quality check(s) failed: "
            + "; ".join(f"{r.name} ({r.detail})" for r in failed)
        )
    if Variable.get(circuit.variable_key(gas), default=None):
        Variable.delete(circuit.variable_key(gas))
        log.info("%s: a good hour: circuit breaker reset", gas)
    return {r.name: r.passed for r in results}


@task(**GAS_TASK)
def archive_gas_hour(product: dict[str, Any], staged: dict[str, Any]) -> dict[str, str]:
    """A PNG map and a STAC Item beside the audit COG, so the archive is browsable with standard tools."""
    _gas_context(product)
    gas, hour = product["gas"], datetime.fromisoformat(product["hour"])
    cog = staging.StagedObject.from_xcom(staged)
    stem = staged["key"].rsplit(".", 1)[0]
    with tempfile.TemporaryDirectory(prefix="aeris-") as tmp:
        local = staging.fetch(cog, Path(tmp))
        png = staging.put(archive.render_png(local, gas, hour, Path(tmp) / "map.png"), f"{stem}.png")
        item = archive.stac_item(
            gas=gas, hour=hour, bbox=tuple(product["bbox"]), cog_href=cog.uri, png_href=png.uri,
            collection_id=product["collection_id"], variable=product["variable"], source_sha256=staged["sha256"],
        )  # fmt: skip
        item_path = Path(tmp) / "item.json"
        item_path.write_text(json.dumps(item, indent=2))
        stac = staging.put(item_path, f"{stem}.json")
    log.info("%s %s: map %s, STAC item %s (data %s)", gas, hour.isoformat(), png.uri, stac.uri, cog.uri)
    return {"png": png.uri, "stac": stac.uri, "cog": cog.uri}


@task(trigger_rule="all_done")
def recompute_saved_route_exposure(loads: list[dict[str, Any]]) -> dict[str, Any]:
    """Recompute every saved route's exposure for the hour, once at least one gas loaded."""
    # Airflow hands over None when every gas was skipped, and a bare dict when only one gas loaded.
    loaded = [item for item in ([loads] if isinstance(loads, dict) else loads or []) if item]
    if not loaded:
        raise AirflowSkipException("no gas loaded for this hour: nothing to recompute")
    with aeris_db() as conn:
        result = recompute_route_exposure(conn, datetime.fromisoformat(loaded[0]["hour"]))
    log.info(
        "Recomputed exposure for %d saved routes (%s) in %.2f s",
        result.routes_updated,
        ", ".join(f"{i['gas']}={i['rows']:,}" for i in loaded),
        result.duration_s,
    )
    return {
        "hour": loaded[0]["hour"],
        "routes_updated": result.routes_updated,
        "gases": {i["gas"]: i["rows"] for i in loaded},
    }


@task
def publish_last_update(recomputed: dict[str, Any]) -> None:
    """Set Redis `tempo:last_update` (TTL 1 h). Redis being down is a warning, not a failed ingest."""
    from airflow.providers.redis.hooks.redis import RedisHook

    hour = recomputed["hour"]
    try:
        RedisHook(redis_conn_id=REDIS_CONN_ID).get_conn().set(LAST_UPDATE_KEY, hour, ex=3600)
    except Exception as error:  # any client/connection error: the data is loaded either way
        log.warning(
            "Could not set Redis %s (%s: %s); the data is loaded",
            LAST_UPDATE_KEY,
            type(error).__name__,
            error,
        )
        return
    log.info("Redis %s = %s (TTL 3600 s)", LAST_UPDATE_KEY, hour)
