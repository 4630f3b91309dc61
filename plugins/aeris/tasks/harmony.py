"""The per-gas Harmony job of both TEMPO DAGs: one job per request, in the shape Harmony can serve
(GeoTIFF subset, NetCDF-4 subset, or native granules; tasks.capabilities), reused on retry or clear
while Harmony holds its results. Submitted and waited for by `aeris.operators.harmony`; reading its
outputs: tasks.stage."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from aeris.config.connections import aeris_db
from aeris.hooks.harmony import HarmonyHook
from aeris.tasks import breaker, capabilities
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from aeris_lib.db.capabilities import forget_capabilities
from aeris_lib.db.jobs import find_job, remember_job, request_key, request_lock
from aeris_lib.gas_hour import GasHour
from aeris_lib.harmony.capabilities import NATIVE, ShapeChoice
from aeris_lib.harmony.errors import HarmonyError, RequestValidationError
from aeris_lib.harmony.models import JobRef, JobStatus, NoData
from aeris_lib.harmony.request import BBox, RangesetRequest
from aeris_lib.publication import revisions_of

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


def submit_or_reuse(gas_hour: GasHour, publication: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ask Harmony for the gas-hour as an asynchronous job, in the best shape its capabilities allow,
    or reuse the job already submitted for the same (hour, bbox, product, shape, granules) while
    Harmony still holds its results (a failed or canceled one is not: a retry submits anew).
    `publication`: the granules CMR listed (default: the product's own, as the reprocess DAG passes
    them). Runs in `HarmonyJobOperator`, which then waits for the job."""
    publication = publication or gas_hour.publication
    if not publication:
        raise AirflowFailException(f"{gas_hour.gas}: no CMR listing for {gas_hour.hour.isoformat()}")
    hour, entry = gas_hour.hour, gas_hour.entry
    granules = [g["name"] for g in publication["granules"]]
    # What the job's XCom says of them: CMR's revision of each granule (the reprocess DAG compares them
    # to find republished files) and its size (a native granule downloaded whole must be that size).
    listed: dict[str, Any] = {
        "granules": granules,
        "granule_revisions": revisions_of(publication),
        "granule_sizes": {g["name"]: int(g.get("size_bytes") or 0) for g in publication["granules"]},
        # When CMR listed the newest of them: the freshness figures measure from it.
        "listed_at": max(
            (g["listed_at"] for g in publication["granules"] if g.get("listed_at")), default=None
        ),
    }
    revisions = listed["granule_revisions"]
    hook = HarmonyHook()
    choice, offered = capabilities.choose(hook, gas_hour)
    # In the task's XCom (UI): what Harmony offers, the shape taken and why.
    shape = {"shape": choice.shape, "format": choice.format, "why": choice.reason, "harmony_offers": offered}
    native = choice.shape == NATIVE
    # The product's quality flag rides in the same request. Native granules hold every variable: the
    # request names none, and the gases read from one collection (O3 and AI) share one job.
    wanted = (
        ("all",)
        if native
        else (entry.variable, *((entry.quality_variable,) if entry.quality_variable else ()))
    )
    # A republished granule keeps its name: its revision is part of the request, so its old job is not reused.
    versions_of_granules = [f"{name}@{revisions[name]}" if revisions[name] else name for name in granules]
    key = request_key(
        list(gas_hour.bbox), gas_hour.collection_id, "+".join(wanted), versions_of_granules, choice.shape
    )
    with aeris_db() as lock_conn, request_lock(lock_conn, hour, key):
        return _submit_or_reuse(hook, gas_hour, listed, wanted, key, shape, choice)


def _submit_or_reuse(
    hook: HarmonyHook,
    gas_hour: GasHour,
    listed: dict[str, Any],
    wanted: tuple[str, ...],
    key: str,
    shape: dict[str, Any],
    choice: ShapeChoice,
) -> dict[str, Any]:
    """The job of the request `key`: one already submitted (by this gas, or another sharing it) while
    Harmony still holds its results, else a new one, remembered. Runs under the request's lock."""
    gas, hour, granules = gas_hour.gas, gas_hour.hour, listed["granules"]
    native = choice.shape == NATIVE
    with aeris_db() as conn:
        earlier = find_job(conn, gas, hour, key, any_gas=native)
    if earlier:
        job_id, job_url, submitted = earlier
        why_not = _reusable(hook, job_id)
        if why_not is None:
            log.info("%s: reusing Harmony job %s submitted at %s", gas, job_url, submitted.isoformat())
            return {
                "gas": gas, "hour": hour.isoformat(), "job_id": job_id, "job_url": job_url, **listed,
                "product": asdict(breaker.product_of(gas_hour)), "reused": True, **shape,
            }  # fmt: skip
        log.info("%s: not reusing Harmony job %s: %s", gas, job_url, why_not)
    try:
        request = RangesetRequest(
            collection_id=gas_hour.collection_id,
            # Native granules: no variable subset (a service would be needed), no format.
            variables=wanted,
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
        "hour": hour.isoformat(),
        "job_id": outcome.job_id,
        "job_url": outcome.job_url,
        **listed,
        "product": asdict(breaker.product_of(gas_hour)),
        "reused": False,
        **shape,
    }
