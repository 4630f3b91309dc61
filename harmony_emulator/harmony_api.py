"""Harmony's own API: the OGC API Coverages rangeset (sync and async), `/capabilities`, jobs (status,
lists, paging, control) and `/service-results/...`."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from harmony_emulator.granules import (
    COLLECTIONS,
    TEMPO_EAST,
    TEMPO_NORTH,
    TEMPO_SOUTH,
    TEMPO_WEST,
    GranuleError,
    check_product,
    grid_window,
)
from harmony_emulator.http_base import EmulatorHandler, iso, parse_time
from harmony_emulator.scans import PRODUCTS
from harmony_emulator.services import capabilities_document, select_service
from harmony_emulator.state import (
    EMULATOR_USER,
    NATIVE,
    Job,
    covered_variables,
)

RANGESET = re.compile(
    r"^/(?P<collection>[^/]+)/ogc-api-coverages/1\.0\.0/collections/(?P<variables>[^/]+)/coverage/rangeset/?$"
)
SUBSET = re.compile(
    r'^(?P<dim>lon|lat)\((?P<low>[^:]+):(?P<high>[^:]+)\)$|^(?P<tdim>time)\("?(?P<tlow>[^"]+)"?:"?(?P<thigh>[^"]+)"?\)$'
)
JOB = re.compile(r"^/jobs/(?P<job_id>[0-9a-f-]{36})(?:/(?P<action>cancel|pause|resume|skip-preview))?/?$")


class HarmonyApi(EmulatorHandler):
    # ---------------------------------------------------------------- rangeset
    def rangeset(self, collection: str, variables: str, fields: list[tuple[str, str]]) -> None:
        """One rangeset request; `fields` are the query's and, for a POST, the form's (harmony-py POSTs
        every request as multipart/form-data)."""
        self.state.stats["rangeset_requests"] += 1
        params = [(k.lower(), v) for k, v in fields]
        try:
            subsets = _parse_subsets([v for k, v in params if k == "subset"])
        except ValueError as error:
            return self.send_error_json(400, "RequestValidationError", str(error))
        options = {k: v for k, v in params if k not in ("subset", "variable")}
        if variables == "parameter_vars":
            # The variables are in `variable=` values (repeated, or comma-separated), as harmony-py sends.
            variable_list = tuple(v for k, value in params if k == "variable" for v in value.split(",") if v)
            if not variable_list:
                return self.send_error_json(
                    400, "RequestValidationError", "parameter_vars requires at least one variable= value"
                )
        else:
            variable_list = tuple(variables.split(","))
            if "parameter_vars" in variable_list:
                return self.send_error_json(
                    400, "RequestValidationError", "parameter_vars must be the only path variable"
                )
        if "all" in variable_list and len(variable_list) > 1:
            return self.send_error_json(
                400, "RequestValidationError", "'all' cannot be combined with variables"
            )
        west, east = subsets.get("lon", (-180.0, 180.0))
        south, north = subsets.get("lat", (-90.0, 90.0))
        start, end = subsets.get("time", (None, None))
        if start is None:
            return self.send_error_json(400, "RequestValidationError", "a time subset is required")
        try:
            for variable in variable_list:
                if variable != "all":
                    check_product(collection, variable)
            if "all" in variable_list:
                check_product(collection, COLLECTIONS.get(collection, ("?",))[0])
        except GranuleError as error:
            return self.send_error_json(404, "NotFoundError", str(error))
        choice = select_service(
            self.state.capability_mode(collection),
            collection,
            variable_subset="all" not in variable_list,
            output_format=options.get("format"),
            spatial="lon" in subsets or "lat" in subsets,
            temporal=True,
        )
        if isinstance(choice, str):
            return self.send_error_json(422, "UnsupportedOperation", choice)
        kind, note = choice
        scans = self.state.published_scans(collection, start, end)
        if not scans or self.state.take_fault(
            "no_data", collection, covered_variables(collection, variable_list)
        ):
            return self.send_error_json(400, "RequestValidationError", "No matching granules found.")
        try:
            grid_window(west, south, east, north)
        except GranuleError as error:
            return self.send_error_json(400, "RequestValidationError", str(error))
        bbox = (west, south, east, north)
        force_async = options.get("forceasync", "").lower() == "true"
        if force_async or len(scans) > 1 or kind == NATIVE:  # harmony/download is never synchronous
            # As Harmony does, the job's `request` is the URL with every field, POSTed ones included.
            request_url = (
                f"{self.emulator.base_url}{urlsplit(self.path).path}?{urlencode(fields, safe='()/:,')}"
            )
            job = self.state.create_job(
                request_url,
                collection,
                variable_list,
                bbox,
                scans,
                skip_preview=options.get("skippreview", "").lower() == "true",
                kind=kind,
                note=note,
            )
            return self.redirect(303, f"/jobs/{job.job_id}")
        result = self.state.add_result(
            collection, variable_list, bbox, scans[0], f"sync-{uuid.uuid4().hex[:12]}", kind
        )
        if self.state.take_fault("sync_inline", collection, variable_list):
            return self.send_file_bytes(result.body(), result.media_type)
        return self.redirect(303, f"{self.emulator.base_url}/service-results/{result.key}")

    def capabilities(self, query: str) -> None:
        """Harmony's collection capabilities (version 2 of the document)."""
        self.state.stats["capabilities_requests"] += 1
        params = {k.lower(): v for k, v in parse_qsl(query)}
        collection_id, short_name = params.get("collectionid"), params.get("shortname")
        if bool(collection_id) == bool(short_name):
            return self.send_error_json(
                400, "RequestValidationError", "Must specify either collectionId or shortName, not both"
            )
        if short_name:
            version = params.get("version")
            collection_id = next(
                (
                    c
                    for c, p in PRODUCTS.items()
                    if p.short_name == short_name and version in (None, p.version)
                ),
                None,
            )
            if collection_id is None:
                return self.send_error_json(
                    404, "NotFoundError", f"Unable to find collection short name {short_name} in the CMR."
                )
        if collection_id not in COLLECTIONS:
            return self.send_error_json(
                404, "NotFoundError",
                f"{collection_id} must be a CMR collection identifier, but we could not find a matching collection.",
            )  # fmt: skip
        return self.send_json(
            200, capabilities_document(collection_id, self.state.capability_mode(collection_id))
        )

    # ---------------------------------------------------------------- jobs
    def job_statuses(self, body: bytes) -> None:
        """`POST /jobs/status` `{"jobIDs": [...]}`: status and progress of several jobs in one call
        (what harmony-py's `wait_for_processing` polls)."""
        try:
            wanted = json.loads(body or b"{}").get("jobIDs")
        except (ValueError, AttributeError):
            wanted = None
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
            return self.send_error_json(400, "RequestValidationError", "jobIDs must be a list of job ids")
        self.state.stats["job_status_requests"] += 1
        statuses, missing = [], []
        for job_id in wanted:
            job = self.state.jobs.get(job_id)
            if job is None:
                missing.append(job_id)
                continue
            status, progress = job.status()
            statuses.append({"jobID": job_id, "status": status, "progress": progress})
        return self.send_json(200, {"jobStatuses": statuses, "notFoundJobIDs": missing})

    def job_list(self, query: str) -> None:
        """`GET /jobs`: the user's jobs, newest first (harmony-py validates credentials with it)."""
        jobs = sorted(self.state.jobs.values(), key=lambda j: j.created_at, reverse=True)
        summaries = []
        for job in jobs[:2000]:
            status, progress = job.status()
            summaries.append({
                "jobID": job.job_id, "status": status, "progress": progress, "username": EMULATOR_USER,
                "createdAt": iso(job.created_at), "request": job.request_url,
            })  # fmt: skip
        return self.send_json(200, {"count": len(jobs), "jobs": summaries, "links": []})

    def job(self, job_id: str, action: str | None, query: str) -> None:
        job = self.state.jobs.get(job_id)
        if job is None:
            return self.send_error_json(404, "NotFoundError", f"Unable to find job {job_id}")
        if action:
            problem = job.act(action)
            if problem:
                return self.send_error_json(409, "ConflictError", problem)
            return self.redirect(302, f"/jobs/{job_id}")
        self.state.stats["job_status_requests"] += 1
        params = dict(parse_qsl(query))
        try:
            page, limit = (
                max(int(params.get("page", 1)), 1),
                min(max(int(params.get("limit", 2000)), 1), 2000),
            )
        except ValueError:
            return self.send_error_json(400, "RequestValidationError", "page and limit must be integers")
        return self.send_json(200, self.job_json(job, page, limit))

    def job_json(self, job: Job, page: int, limit: int) -> dict:
        status, progress = job.status()
        base = self.emulator.base_url
        job_url = f"{base}/jobs/{job.job_id}"
        links = [{"title": "Job Status", "href": job_url, "rel": "self", "type": "application/json"}]
        controls = {
            "running": ("cancel", "pause"),
            "accepted": ("cancel", "pause"),
            "paused": ("cancel", "resume"),
            "previewing": ("cancel", "skip-preview"),
        }
        rels = {
            "cancel": "canceler",
            "pause": "pauser",
            "resume": "resumer",
            "skip-preview": "preview-skipper",
        }
        for action in controls.get(status, ()):
            links.append(
                {
                    "title": action,
                    "href": f"{job_url}/{action}",
                    "rel": rels[action],
                    "type": "application/json",
                }
            )
        body: dict = {
            "username": EMULATOR_USER,
            "status": status,
            "progress": progress,
            "jobID": job.job_id,
            "createdAt": iso(job.created_at),
            "updatedAt": iso(datetime.now(UTC)),
            "dataExpiration": iso(job.created_at + timedelta(days=30)),
            "labels": [],
            "request": job.request_url,
            "numInputGranules": len(job.results),
        }
        messages = {
            "accepted": "The job has been accepted and is waiting to be processed",
            "running": "The job is being processed",
            "paused": "The job is paused",
            "previewing": "The job is generating a preview before auto-pausing",
            "successful": "The job has completed successfully",
            "canceled": "Canceled by user.",
            "complete_with_errors": "The job has completed with errors. See the errors field for more details",
            "failed": "Variable subsetter failed: emulated service error on 1 of 1 granules",
        }
        body["message"] = f"{messages[status]}. {job.note}" if job.note else messages[status]
        if status in ("failed", "complete_with_errors"):
            body["errors"] = [
                {
                    "url": "https://data.asdc.earthdata.nasa.gov/emulated/granule.nc",
                    "message": "WorkItem failed: emulated service error",
                }
            ]
        if status in ("successful", "complete_with_errors"):
            results = (
                job.results[:1] if status == "complete_with_errors" and len(job.results) > 1 else job.results
            )
            pages = max((len(results) + limit - 1) // limit, 1)
            for result in results[(page - 1) * limit : page * limit]:
                native = result.kind == NATIVE
                links.append(
                    {
                        "href": f"{self.emulator.daac_url}/{result.key}"
                        if native
                        else f"{base}/service-results/{result.key}",
                        "title": result.name,
                        "type": result.media_type,
                        "rel": "data",
                        "bbox": [TEMPO_WEST, TEMPO_SOUTH, TEMPO_EAST, TEMPO_NORTH]
                        if native
                        else list(result.bbox),
                        "temporal": {"start": iso(result.scan.start), "end": iso(result.scan.end)},
                    }
                )
            links.append(
                {
                    "href": f"{base}/stac/{job.job_id}/",
                    "title": "STAC catalog",
                    "rel": "stac-catalog-json",
                    "type": "application/json",
                }
            )

            def page_link(rel: str, number: int) -> dict:
                return {
                    "href": f"{job_url}?{urlencode({'page': number, 'limit': limit})}",
                    "rel": rel,
                    "title": f"The {rel} page",
                    "type": "application/json",
                }

            if pages > 1:
                links.append(page_link("first", 1))
                if page > 1:
                    links.append(page_link("prev", page - 1))
                if page < pages:
                    links.append(page_link("next", page + 1))
                links.append(page_link("last", pages))
        body["links"] = links
        return body

    # ---------------------------------------------------------------- results
    def service_result(self, key: str) -> None:
        result = self.state.results.get(key)
        if result is None or result.kind == NATIVE:
            return self.send_error_json(404, "NotFoundError", "The requested file could not be found")
        return self.redirect(307, self.presigned(key))


def _parse_subsets(values: list[str]) -> dict[str, tuple]:
    subsets: dict[str, tuple] = {}
    for raw in values:
        match = SUBSET.match(raw)
        if not match:
            raise ValueError(f"Invalid subset {raw!r}: expected dim(low:high)")
        dim = match["dim"] or match["tdim"]
        if dim in subsets:
            raise ValueError(f"Only one subset for dimension {dim} is allowed")
        if dim == "time":
            try:
                low, high = (parse_time(match[k]) for k in ("tlow", "thigh"))
            except ValueError:
                raise ValueError(f"Invalid time subset {raw!r}") from None
            if low >= high:
                raise ValueError(f"time subset start must be before its end: {raw!r}")
        else:
            try:
                low, high = float(match["low"]), float(match["high"])
            except ValueError:
                raise ValueError(f"Invalid {dim} subset {raw!r}: bounds must be numbers") from None
            limit = 180 if dim == "lon" else 90
            if not (-limit <= low <= limit and -limit <= high <= limit):
                raise ValueError(f"{dim} subset {raw!r} is out of range [-{limit}, {limit}]")
            if dim == "lat" and low > high:
                raise ValueError(f"lat subset {raw!r}: south must not exceed north")
        subsets[dim] = (low, high)
    return subsets
