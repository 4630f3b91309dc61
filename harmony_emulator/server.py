"""Harmony + Earthdata Login emulator over real HTTP, for tests and the offline demo.

    python -m harmony_emulator.server --port 58080 --files-port 58081 --daac-port 58082 \
        [--capabilities native|netcdf|hoss|tiff] [--fault job_failed ...]

Main port: the OGC rangeset endpoint (sync and async), `/capabilities` per collection (what the
chosen --capabilities mode offers; services.py picks the service per request as Harmony does),
`/jobs/<id>` (paged links), job control,
`/service-results/...` (307 to the files port with a pre-signed-style query), Earthdata's token
endpoints, and CMR's granule search (`/search/granules.umm_json` and `.json`). TEMPO is modelled as
it publishes: one granule per scan (scans.py), each listed in CMR and processed by Harmony only
`--publication-delay-minutes` after its scan ended; `/_emulator/publication` holds granules back.
Files port: a stand-in S3 that rejects any request carrying an Authorization header, as S3
does for pre-signed URLs. DAAC port: the protected distribution of native granules (NetCDF-4,
netcdf.py), which wants the Earthdata bearer token and sends a request without one to the login page.
`/_emulator/faults`, `/_emulator/capabilities`, `/_emulator/jobs/finish` (every running job completes
now) and `/_emulator/stats` let tests drive it.
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import email.policy
import json
import logging
import re
import socket
import struct
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from harmony_emulator import objects
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
from harmony_emulator.netcdf import real_sizes, set_granule_sizes
from harmony_emulator.scans import (
    PRODUCTS,
    Scan,
    granule_concept_id,
    granule_name,
)
from harmony_emulator.services import capabilities_document, select_service
from harmony_emulator.state import (
    CAPABILITY_MODES,
    EMULATOR_PASSWORD,
    EMULATOR_USER,
    MAX_TOKENS,
    NATIVE,
    EmulatorState,
    Job,
    covered_variables,
)

log = logging.getLogger("aeris.emulator")

RANGESET = re.compile(
    r"^/(?P<collection>[^/]+)/ogc-api-coverages/1\.0\.0/collections/(?P<variables>[^/]+)/coverage/rangeset/?$"
)
SUBSET = re.compile(
    r'^(?P<dim>lon|lat)\((?P<low>[^:]+):(?P<high>[^:]+)\)$|^(?P<tdim>time)\("?(?P<tlow>[^"]+)"?:"?(?P<thigh>[^"]+)"?\)$'
)
JOB = re.compile(r"^/jobs/(?P<job_id>[0-9a-f-]{36})(?:/(?P<action>cancel|pause|resume|skip-preview))?/?$")


class HarmonyEmulator:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, files_port: int = 0, daac_port: int = 0, **state_options
    ):
        self.state = EmulatorState(**state_options)
        self.files = ThreadingHTTPServer((host, files_port), _handler(FilesHandler, self))
        self.daac = ThreadingHTTPServer((host, daac_port), _handler(DaacHandler, self))
        self.api = ThreadingHTTPServer((host, port), _handler(HarmonyHandler, self))
        self.files.daemon_threads = self.api.daemon_threads = self.daac.daemon_threads = True
        self.base_url = f"http://{host}:{self.api.server_address[1]}"
        # The files host (S3) is another host name than Harmony's, as in production: clients that
        # drop the token on a redirect to another host (harmony-py compares host names) must drop it here.
        files_host = "localhost" if host == "127.0.0.1" else host
        self.files_url = f"http://{files_host}:{self.files.server_address[1]}"
        self.daac_url = f"http://{host}:{self.daac.server_address[1]}"

    @property
    def servers(self) -> tuple[ThreadingHTTPServer, ...]:
        return self.api, self.files, self.daac

    def start(self) -> HarmonyEmulator:
        for server in self.servers:
            # shutdown() waits up to one poll interval (0.5 s by default) per server: tests start and
            # stop an emulator per test.
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _handler(cls, emulator: HarmonyEmulator):
    return type(cls.__name__, (cls,), {"emulator": emulator})


class _Base(BaseHTTPRequestHandler):
    def presigned(self, key: str) -> str:
        """A pre-signed-style URL for `key` on the files host (S3): valid one hour, no token needed."""
        expires = int(time.time()) + 3600
        query = urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Expires": "3600",
                "X-Amz-Credential": "ASIAEMULATOR/20240101/us-west-2/s3/aws4_request",
                "X-Amz-Date": str(expires),
                "X-Amz-Signature": self.state.sign(key, expires),
            }
        )
        return f"{self.emulator.files_url}/{key}?{query}"

    emulator: HarmonyEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:
        # Paths only: queries may carry signatures.
        log.info("%s %s -> %s", self.command, urlsplit(self.path).path, args[1] if len(args) > 1 else "")

    @property
    def state(self) -> EmulatorState:
        return self.emulator.state

    def send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(
        self, status: int, error_class: str, message: str, headers: dict | None = None
    ) -> None:
        self.send_json(
            status, {"code": f"harmony.{error_class}", "description": f"Error: {message}"}, headers
        )

    def redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def reset_connection(self) -> None:
        """Close with RST, as a dropped connection looks to the client."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class HarmonyHandler(_Base):
    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def do_DELETE(self) -> None:
        self.route("DELETE")

    def route(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.read_body() if method in ("POST", "DELETE") else b""
        if url.path.startswith("/_emulator/"):
            return self.control(method, url.path, body)
        if url.path.startswith("/api/users/"):
            return self.earthdata(method, url.path)
        if url.path == "/oauth/authorize":
            return self.login_page()
        if url.path in ("/search/granules.umm_json", "/search/granules.json"):
            return self.cmr_granules(url.path.rsplit(".", 1)[-1], url.query)
        if url.path == "/search/collections.json":
            return self.cmr_collections(url.query)
        for fault, status in (("429", 429), ("503", 503)):
            if self.state.take_fault(fault):
                self.state.stats["transient_faults"] += 1
                return self.send_error_json(
                    status, "ServerError", f"emulated HTTP {status}", {"Retry-After": "1"}
                )
        if self.state.take_fault("reset"):
            self.state.stats["transient_faults"] += 1
            return self.reset_connection()
        if not self.authorised():
            return None
        if url.path.rstrip("/") == "/capabilities":
            return self.capabilities(url.query)
        if match := RANGESET.match(url.path):
            try:
                fields = parse_qsl(url.query, keep_blank_values=True) + _form_fields(self.headers, body)
            except ValueError as error:
                return self.send_error_json(400, "RequestValidationError", str(error))
            return self.rangeset(match["collection"], unquote(match["variables"]), fields)
        if url.path.rstrip("/") == "/jobs/status" and method == "POST":
            return self.job_statuses(body)
        if url.path.rstrip("/") == "/jobs" and method == "GET":
            return self.job_list(url.query)
        if match := JOB.match(url.path):
            return self.job(match["job_id"], match["action"], url.query)
        if url.path.startswith("/service-results/"):
            return self.service_result(url.path.removeprefix("/service-results/"))
        return self.send_error_json(404, "NotFoundError", f"the page {url.path} could not be found")

    # ---------------------------------------------------------------- auth
    def authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if token and self.state.take_fault("expired_token"):
            self.state.expire(token)
        if not self.state.token_valid(token):
            self.state.stats["rejected_tokens"] += 1
            self.send_error_json(401, "UnauthorizedError", "Invalid or expired token: please log in again")
            return False
        return True

    def earthdata(self, method: str, path: str) -> None:
        auth = self.headers.get("Authorization", "")
        try:
            user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user = password = ""
        if not auth.startswith("Basic ") or (user, password) != (EMULATOR_USER, EMULATOR_PASSWORD):
            return self.send_json(
                401, {"error": "invalid_credentials", "error_description": "Invalid user credentials"}
            )
        if path == "/api/users/find_or_create_token" and method == "POST":
            token, expires = self.state.issue_token()
        elif path == "/api/users/token" and method == "POST":
            if len(self.state.tokens) >= MAX_TOKENS:
                return self.send_json(
                    403,
                    {
                        "error": "max_token_limit",
                        "error_description": "Cannot have more than 2 tokens at a time",
                    },
                )
            token, expires = self.state.create_token()
        elif path == "/api/users/tokens" and method == "GET":
            return self.send_json(
                200,
                [
                    {"access_token": t, "expiration_date": f"{d:%m/%d/%Y}"}
                    for t, d in self.state.tokens.items()
                ],
            )
        else:
            return self.send_json(404, {"error": "not_found"})
        return self.send_json(
            200, {"access_token": token, "token_type": "Bearer", "expiration_date": f"{expires:%m/%d/%Y}"}
        )

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

    def full_url(self) -> str:
        return self.emulator.base_url + self.path

    # ---------------------------------------------------------------- CMR collection search
    def cmr_collections(self, query: str) -> None:
        """CMR's collection search (`collections.json`) by short_name, version and provider: the
        emulated TEMPO products whose fields all match what was asked."""
        self.state.stats["cmr_collection_requests"] += 1
        params = parse_qsl(query, keep_blank_values=True)
        known = {"short_name", "version", "provider", "provider_short_name", "page_size"}
        unknown = sorted({k for k, _ in params} - known)
        if unknown:
            return self.send_json(400, {"errors": [f"Parameter [{unknown[0]}] was not recognized."]})
        wanted = dict(params)
        provider = wanted.get("provider") or wanted.get("provider_short_name")
        entries = [
            {"id": concept_id, "short_name": product.short_name, "version_id": product.version,
             "data_center": "LARC_CLOUD", "title": f"{product.short_name} {product.version} (AERIS emulator)",
             "archive_center": "NASA/LARC/SD/ASDC"}
            for concept_id, product in PRODUCTS.items()
            if wanted.get("short_name", product.short_name) == product.short_name
            and wanted.get("version", product.version) == product.version
            and (provider or "LARC_CLOUD") == "LARC_CLOUD"
        ]  # fmt: skip
        body = {"feed": {"updated": datetime.now(UTC).isoformat(), "id": self.full_url(),
                         "title": "ECHO dataset metadata", "entry": entries}}  # fmt: skip
        return self.send_json(200, body, {"CMR-Hits": str(len(entries))})

    # ---------------------------------------------------------------- CMR granule search
    def cmr_granules(self, form: str, query: str) -> None:
        """CMR's granule search for the TEMPO collections: published granules overlapping `temporal`."""
        self.state.stats["cmr_requests"] += 1
        params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
        collection = params.get("collection_concept_id", "")
        try:
            start, end = (_parse_time(t) for t in params["temporal"].split(",", 1))
            page_size = min(int(params.get("page_size", 10)), 2000)
            page_num = max(int(params.get("page_num", 1)), 1)
            bbox = (
                [float(v) for v in params["bounding_box"].split(",")] if params.get("bounding_box") else None
            )
        except (KeyError, ValueError):
            return self.send_json(
                400,
                {"errors": ["temporal must be 'start,end' (ISO 8601); page_size and bounding_box numbers"]},
            )
        scans = []
        if collection in COLLECTIONS and (bbox is None or _meets_field_of_regard(bbox)):
            scans = self.state.published_scans(collection, start, end)
        if params.get("sort_key", "start_date").startswith("-"):
            scans.reverse()
        shown = scans[(page_num - 1) * page_size : page_num * page_size]
        if form == "umm_json":
            body: dict = {"hits": len(scans), "took": 3, "items": [_umm_item(collection, s) for s in shown]}
        else:
            body = {"feed": {"id": self.full_url(), "title": "ECHO granule metadata",
                             "entry": [_json_entry(collection, s) for s in shown]}}  # fmt: skip
        return self.send_json(200, body, {"CMR-Hits": str(len(scans))})

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
                "createdAt": _iso(job.created_at), "request": job.request_url,
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
            "createdAt": _iso(job.created_at),
            "updatedAt": _iso(datetime.now(UTC)),
            "dataExpiration": _iso(job.created_at + timedelta(days=30)),
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
                        "temporal": {"start": _iso(result.scan.start), "end": _iso(result.scan.end)},
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

    def login_page(self) -> None:
        """Earthdata Login's sign-in page: where a protected DAAC sends a request without a token."""
        page = b"<!DOCTYPE html><html><head><title>Earthdata Login</title></head><body>Sign in</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def send_file_bytes(self, data: bytes, media_type: str = "image/tiff") -> None:
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def control(self, method: str, path: str, body: bytes) -> None:
        if path == "/_emulator/stats":
            return self.send_json(200, self.state.stats)
        if path == "/_emulator/faults" and method == "POST":
            try:
                self.state.set_rules(json.loads(body or b"[]"))
            except (ValueError, TypeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, {"faults": len(self.state.rules)})
        if path == "/_emulator/publication" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                self.state.set_publication(
                    spec.get("delay_s"), spec.get("holds", []), spec.get("standard_delay_s")
                )
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                return self.send_json(400, {"error": f"{type(error).__name__}: {error}"})
            return self.send_json(200, {"holds": len(self.state.holds)})
        if path == "/_emulator/republished" and method == "POST":
            try:
                self.state.set_republished(json.loads(body or b"[]"))
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                return self.send_json(400, {"error": f"{type(error).__name__}: {error}"})
            return self.send_json(200, {"republished": len(self.state.republished)})
        if path == "/_emulator/jobs/finish" and method == "POST":
            return self.send_json(200, {"finished": self.state.finish_jobs()})
        if path == "/_emulator/capabilities" and method == "POST":
            try:
                self.state.set_capabilities(json.loads(body or b"{}"))
            except (ValueError, TypeError, AttributeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, {"default": self.state.default_capabilities})
        if path == "/_emulator/granule_sizes" and method == "POST":
            try:
                set_granule_sizes(json.loads(body or b"{}").get("sizes"))
            except (ValueError, AttributeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, {"real": real_sizes()})
        if path == "/_emulator/reset" and method == "POST":
            set_granule_sizes(None)
            self.state.reset()
            return self.send_json(200, {"reset": True})
        return self.send_json(404, {"error": "unknown emulator control path"})


class FilesHandler(_Base):
    """A stand-in for S3 behind pre-signed URLs: whole objects or one byte range (206, 416), HEAD."""

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        key = url.path.lstrip("/")
        if "Authorization" in self.headers:
            self.state.stats["auth_header_on_files_host"] += 1
            return self.send_json(
                400,
                {
                    "Code": "InvalidArgument",
                    "Message": "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                    "query parameter or the Authorization header should be specified",
                },
            )
        result = self.state.results.get(key)
        expires = params.get("X-Amz-Date", "0")
        if result is None or params.get("X-Amz-Signature") != self.state.sign(
            key, int(expires) if expires.isdigit() else 0
        ):
            return self.send_json(
                403, {"Code": "AccessDenied", "Message": "Request has expired or signature mismatch"}
            )
        body = result.object()
        if result.file_fault == "truncated" and not head:
            self.state.stats["file_downloads"] += 1
            data = body.data
            self.send_response(200)
            self.send_header("Content-Type", result.media_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self.reset_connection()

        def count(status: int, length: int) -> None:
            if not head:
                self.state.stats["file_downloads" if status == 200 else "range_requests"] += 1
                self.state.stats["bytes_served"] += length

        objects.send(self, body, result.media_type, head=head, count=count)


class DaacHandler(_Base):
    """A stand-in for the DAAC's protected distribution (ASDC's Thin Egress App): for a valid Earthdata
    bearer token, 303 to a pre-signed S3 URL (which honours Range); without one, 302 to Earthdata
    Login. HEAD answers the same."""

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        key = unquote(url.path.lstrip("/"))
        result = self.state.results.get(key)
        if result is None or result.kind != NATIVE:
            return self.send_json(404, {"error": f"{url.path} not found"})
        header = self.headers.get("Authorization", "")
        if not header:
            login = urlencode(
                {
                    "client_id": "asdc-tea",
                    "response_type": "code",
                    "redirect_uri": f"{self.emulator.daac_url}/login",
                }
            )
            return self.redirect(302, f"{self.emulator.base_url}/oauth/authorize?{login}")
        self.state.stats["auth_header_on_daac"] += 1
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not self.state.token_valid(token):
            return self.send_json(401, {"error": "invalid or expired Earthdata token"})
        self.state.stats["daac_downloads"] += 1
        return self.redirect(303, self.presigned(key))


def _form_fields(headers, body: bytes) -> list[tuple[str, str]]:
    """The fields of a POSTed form: multipart/form-data (harmony-py's way) or urlencoded."""
    content_type = headers.get("Content-Type", "")
    if not body:
        return []
    if content_type.startswith("application/x-www-form-urlencoded"):
        return parse_qsl(body.decode(), keep_blank_values=True)
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            raise ValueError("a multipart/form-data body without parts")
        fields = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None:
                raise ValueError("a form part without a name")
            if part.get_filename():  # a shapefile: this emulator subsets by bbox only
                raise ValueError("shapefile subsetting is not served by this emulator")
            fields.append((name, part.get_payload(decode=True).decode()))
        return fields
    raise ValueError(f"unsupported request body type {content_type or '(none)'}")


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
                low, high = (_parse_time(match[k]) for k in ("tlow", "thigh"))
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


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _meets_field_of_regard(bbox: list[float]) -> bool:
    west, south, east, north = bbox
    return (
        south < TEMPO_NORTH
        and north > TEMPO_SOUTH
        and (east < west or (west < TEMPO_EAST and east > TEMPO_WEST))
    )


def _umm_item(collection: str, scan: Scan) -> dict:
    name = granule_name(collection, scan)
    return {
        "meta": {
            "concept-type": "granule",
            "concept-id": granule_concept_id(collection, scan),
            "collection-concept-id": collection,
            "provider-id": "LARC_CLOUD",
            "native-id": name,
            "revision-id": scan.revision,
            # Republished files get a new revision a day or two after the first publication.
            "revision-date": _iso(
                scan.end + timedelta(hours=2 if scan.revision == 1 else 24 * scan.revision)
            ),
        },
        "umm": {
            "GranuleUR": name,
            "TemporalExtent": {
                "RangeDateTime": {"BeginningDateTime": _iso(scan.start), "EndingDateTime": _iso(scan.end)}
            },
            "SpatialExtent": {
                "HorizontalSpatialDomain": {
                    "Geometry": {
                        "BoundingRectangles": [
                            {
                                "WestBoundingCoordinate": TEMPO_WEST,
                                "SouthBoundingCoordinate": TEMPO_SOUTH,
                                "EastBoundingCoordinate": TEMPO_EAST,
                                "NorthBoundingCoordinate": TEMPO_NORTH,
                            }
                        ]
                    }
                }
            },
        },
    }


def _json_entry(collection: str, scan: Scan) -> dict:
    name = granule_name(collection, scan)
    return {
        "id": granule_concept_id(collection, scan),
        "title": name,
        "producer_granule_id": name,
        "collection_concept_id": collection,
        "time_start": _iso(scan.start),
        "time_end": _iso(scan.end),
        "boxes": [f"{TEMPO_SOUTH} {TEMPO_WEST} {TEMPO_NORTH} {TEMPO_EAST}"],
    }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=58080)
    parser.add_argument("--files-port", type=int, default=58081)
    parser.add_argument("--daac-port", type=int, default=58082, help="the DAAC's protected distribution")
    parser.add_argument(
        "--capabilities", choices=CAPABILITY_MODES, default="native",
        help="what Harmony can do for every TEMPO collection: no service (native granules only, the "
        "default, as public records suggest), a NetCDF-4 subsetter, HOSS as TEMPO would get it "
        "(application/netcdf only), or a subsetter with GeoTIFF output",
    )  # fmt: skip
    parser.add_argument("--job-seconds", type=float, default=1.5, help="how long an async job runs")
    parser.add_argument("--slow-job-seconds", type=float, default=30.0, help="how long a slow_job fault runs")
    parser.add_argument(
        "--publication-delay-minutes", type=float, default=45.0,
        help="minutes after a scan ends until CMR lists its near-real-time granule and Harmony can process it",
    )  # fmt: skip
    parser.add_argument(
        "--standard-delay-hours", type=float, default=24.0,
        help="hours after a scan ends until its standard (reprocessed) granule is published",
    )  # fmt: skip
    parser.add_argument("--fault", action="append", default=[], help="switch a fault on for every request")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    emulator = HarmonyEmulator(
        args.host,
        args.port,
        args.files_port,
        args.daac_port,
        capabilities=args.capabilities,
        job_seconds=args.job_seconds,
        slow_job_seconds=args.slow_job_seconds,
        publication_delay_s=args.publication_delay_minutes * 60,
        standard_delay_s=args.standard_delay_hours * 3600,
    )
    emulator.state.set_rules([{"fault": fault} for fault in args.fault])
    emulator.start()
    log.info(
        "Harmony emulator on %s (files on %s, DAAC on %s; capabilities: %s)",
        emulator.base_url, emulator.files_url, emulator.daac_url, args.capabilities,
    )  # fmt: skip
    threading.Event().wait()


if __name__ == "__main__":
    main()
