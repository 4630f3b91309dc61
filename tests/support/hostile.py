r"""A hostile Harmony for tests: real HTTP, misbehaving on purpose, recording who sent a token.

Two servers on free ports: `harmony` (what the client is pointed at) and `elsewhere` (another origin).
Each request's path picks the misbehaviour, so one server serves every case:
- `/jobs/<id>` with `?mode=`: `next_elsewhere` (a `rel=next` page on the other origin),
  `next_loop` (a `next` link back to page 1), `many_pages` (a new `next` page forever), `html`
  (an HTML error page with 200), `not_json`, `unknown_status`, `redirect_elsewhere`,
  `next_backslash` (a `next` URL that urlsplit reads as Harmony's origin and urllib3 sends to the
  other server: `http://<elsewhere>\@<harmony>/…`), `failed_with_secrets` (a failed job whose
  message quotes a signed URL and a bearer token), `successful_with_secrets` (the same message on a
  successful job), `status_<code>` (that HTTP status with Harmony's JSON error body);
- `/files/endless` (no Content-Length, bytes forever), `/files/huge` (Content-Length says 10 GB),
  `/files/redirect-no-location` (a 303 without Location), `/files/redirect-backslash` (a 303 to the
  backslash URL).
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

JOB_ID = "0b5e3c5c-5d1b-4c3e-9b8e-2f1d2c3b4a59"
# A failed job's message that echoes what it should not: a pre-signed URL (urllib3's wording) and a token.
FAILED_MESSAGE = (
    "Service failed: HTTPSConnectionPool(host='bucket.s3.amazonaws.com', port=443): Max retries exceeded with "
    "url: /out.nc?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIASECRET "
    "(sent Authorization: Bearer eyJhbGciOiJ.eyJzdWIiOiJ.c2ln)"
)


class HostileHarmony:
    def __init__(self):
        self.seen_tokens: list[tuple[str, str]] = []  # (server, path) of every request with a token
        self.requests = 0
        self.harmony = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("harmony"))
        self.elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("elsewhere"))
        self.harmony.daemon_threads = self.elsewhere.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.harmony.server_address[1]}"
        self.elsewhere_url = f"http://127.0.0.1:{self.elsewhere.server_address[1]}"
        self.mode = ""

    def __enter__(self) -> HostileHarmony:
        for server in (self.harmony, self.elsewhere):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in (self.harmony, self.elsewhere):
            server.shutdown()
            server.server_close()

    def backslash_url(self, path: str) -> str:
        """Harmony's origin to `urlsplit`, the other server to urllib3 (and so to requests)."""
        return f"{self.elsewhere_url}\\@{self.base_url.removeprefix('http://')}{path}"

    def tokens_sent_to(self, server: str) -> list[str]:
        return [path for name, path in self.seen_tokens if name == server]

    def _handler(self, name: str):
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                hostile.requests += 1
                if self.headers.get("Authorization"):
                    hostile.seen_tokens.append((name, self.path))
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query))
                if url.path.startswith("/jobs/"):
                    return self.job(int(params.get("page", 1)))
                if url.path == "/files/endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(b"\0" * 65536)
                    except OSError:
                        return None
                if url.path == "/files/huge":
                    self.send_response(200)
                    self.send_header("Content-Length", str(10 * 1024**3))
                    self.end_headers()
                    with contextlib.suppress(OSError):
                        self.wfile.write(b"\0" * 65536)
                    return None
                if url.path == "/files/redirect-backslash":
                    return self.redirect(hostile.backslash_url("/files/granule.nc"))
                if url.path == "/files/redirect-no-location":
                    self.send_response(303)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self.send_body(404, "application/json", b'{"code": "harmony.NotFoundError"}')

            def job(self, page: int) -> None:
                mode = hostile.mode
                if mode == "html":
                    body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
                    return self.send_body(200, "text/html", body)
                if mode == "not_json":
                    return self.send_body(200, "application/json", b'{"jobID": "x", "status": ')
                if mode == "redirect_elsewhere":
                    return self.redirect(f"{hostile.elsewhere_url}/jobs/{JOB_ID}")
                if mode.startswith("status_"):
                    error = {"code": "harmony.HostileError", "description": f"Error: answered {mode[7:]}"}
                    return self.send_body(int(mode[7:]), "application/json", json.dumps(error).encode())
                status = {"unknown_status": "exploded", "failed_with_secrets": "failed",
                          "successful_with_secrets": "successful"}.get(mode, "running")  # fmt: skip
                links = [{"href": f"{hostile.base_url}/jobs/{JOB_ID}", "rel": "self"}]
                if mode == "successful_with_secrets":
                    links.append({"href": f"{hostile.base_url}/service-results/out.nc", "rel": "data"})
                if mode == "next_elsewhere":
                    links.append({"href": f"{hostile.elsewhere_url}/jobs/{JOB_ID}?page=2", "rel": "next"})
                elif mode == "next_backslash":
                    links.append({"href": hostile.backslash_url(f"/jobs/{JOB_ID}?page=2"), "rel": "next"})
                elif mode == "next_loop":
                    links.append(
                        {"href": f"{hostile.base_url}/jobs/{JOB_ID}?page=1&limit=2000", "rel": "next"}
                    )
                elif mode == "many_pages":
                    links.append({"href": f"{hostile.base_url}/jobs/{JOB_ID}?page={page + 1}", "rel": "next"})
                body = {
                    "jobID": JOB_ID,
                    "status": status,
                    "progress": 10,
                    "message": FAILED_MESSAGE if mode.endswith("_with_secrets") else "hostile",
                    "links": links,
                }
                return self.send_body(200, "application/json", json.dumps(body).encode())

            def redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def send_body(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
