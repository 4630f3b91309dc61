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

One module per protocol: earthdata_login.py, harmony_api.py, cmr.py, control.py (the emulator's own),
files.py (S3 and the DAAC); http_base.py holds what their handlers share, granule_store.py the native
granules on disk. This module starts the three servers and routes the main port's paths.
"""

from __future__ import annotations

import argparse
import logging
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from harmony_emulator.cmr import CmrSearch
from harmony_emulator.cmr_events import EventSender
from harmony_emulator.cmr_subscriptions import CmrSubscriptions
from harmony_emulator.control import EmulatorControl
from harmony_emulator.earthdata_login import EarthdataLogin
from harmony_emulator.files import DaacHandler, FilesHandler
from harmony_emulator.harmony_api import JOB, RANGESET, HarmonyApi
from harmony_emulator.http_base import form_fields
from harmony_emulator.state import (
    CAPABILITY_MODES,
    DEFAULT_NRT_WINDOW_DAYS,
    EmulatorState,
)

log = logging.getLogger("aeris.emulator")


class HarmonyEmulator:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, files_port: int = 0, daac_port: int = 0,
        sqs_endpoint: str | None = None, events_tick_s: float = 1.0, **state_options,
    ):  # fmt: skip
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
        # CMR's subscription messages go to SQS at this endpoint (the stack's moto server); None: none.
        self.events = EventSender(self, sqs_endpoint, events_tick_s) if sqs_endpoint else None

    @property
    def servers(self) -> tuple[ThreadingHTTPServer, ...]:
        return self.api, self.files, self.daac

    def start(self) -> HarmonyEmulator:
        for server in self.servers:
            # shutdown() waits up to one poll interval (0.5 s by default) per server: tests start and
            # stop an emulator per test.
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        if self.events:
            self.events.start()
        return self

    def stop(self) -> None:
        if self.events:
            self.events.stop()
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _handler(cls, emulator: HarmonyEmulator):
    return type(cls.__name__, (cls,), {"emulator": emulator})


class HarmonyHandler(EarthdataLogin, HarmonyApi, CmrSearch, CmrSubscriptions, EmulatorControl):
    """The main port: every protocol but the file hosts', routed as the real services' paths are."""

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def do_DELETE(self) -> None:
        self.route("DELETE")

    def do_PUT(self) -> None:
        self.route("PUT")

    def route(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.read_body() if method in ("POST", "PUT", "DELETE") else b""
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
        if url.path.startswith("/ingest/subscriptions/") and method in ("PUT", "POST", "DELETE"):
            return self.subscription_ingest(
                method, unquote(url.path.removeprefix("/ingest/subscriptions/")), body
            )
        if url.path == "/search/subscriptions.umm_json" and method == "GET":
            return self.subscription_search(url.query)
        if url.path.rstrip("/") == "/capabilities":
            return self.capabilities(url.query)
        if match := RANGESET.match(url.path):
            try:
                fields = parse_qsl(url.query, keep_blank_values=True) + form_fields(self.headers, body)
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
    parser.add_argument(
        "--nrt-window-days", type=float, default=DEFAULT_NRT_WINDOW_DAYS,
        help="days after a scan ends that its near-real-time granule stays in CMR and Harmony (ASDC's "
        "rolling window: 14); 0 keeps them for ever",
    )  # fmt: skip
    parser.add_argument("--fault", action="append", default=[], help="switch a fault on for every request")
    parser.add_argument(
        "--sqs-endpoint", default=None,
        help="send CMR's subscription messages to SQS at this endpoint (the local stack's moto server)",
    )  # fmt: skip
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
        nrt_window_days=args.nrt_window_days,
        sqs_endpoint=args.sqs_endpoint,
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
