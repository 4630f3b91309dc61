"""A DAAC and an S3 that throttle, fail and lie, as the public record says they do at scale
(../shared/reference/harmony-and-tempo.md, "Transient faults at scale"; "Downloads").

Two servers on free loopback ports, as ASDC's are two hosts:
- `daac`: `/granule.nc` with an Earthdata bearer token answers 303 to a pre-signed URL on `s3` (a new
  signature each time, counted); without a token, 401. `throttle_daac` answers CloudFront's 403
  "Request blocked" to that many sign requests first.
- `s3`: the object behind the pre-signed URL; honours one `Range`. `script` is the answers to give the
  next ranged GETs, one mode each, then plain honest answers:
  `short` (206, an honest Content-Range for half the bytes asked), `empty` (206 claiming the range,
  no bytes), `cut` (206 claiming the range, the connection closed before the first byte),
  `wrong_start`, `past_end`, `other_size` (a lying Content-Range), `gzip` (the range gzip-encoded),
  `endless` (206 with the asked Content-Range, no Content-Length, bytes forever), `trickle` (a byte
  every 0.2 s), `slowdown` (503 SlowDown), `internal` (500 InternalError), `throttle` (403 Request
  blocked, CloudFront's page), `expired` (403 AccessDenied "Request has expired"), `denied` (403
  AccessDenied, a real refusal), `whole` (200 with the whole object).
"""

from __future__ import annotations

import contextlib
import gzip
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from harmony_emulator.files import CLOUDFRONT_BLOCKED, S3_SLOWDOWN

S3_INTERNAL = (
    b"<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again."
    b"</Message></Error>"
)
S3_EXPIRED = (
    b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
    b"<X-Amz-Expires>3600</X-Amz-Expires><Expires>2026-12-06T08:00:00Z</Expires>"
    b"<ServerTime>2026-12-06T09:00:01Z</ServerTime></Error>"
)
S3_DENIED = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


class HostileDaac:
    def __init__(self, data: bytes):
        self.data = data
        self.script: deque[str] = deque()
        self.throttle_daac = 0
        self.redirect_to: str | None = None  # the DAAC sends its 303 here instead of to s3
        self.signatures = 0
        self.ranges: list[tuple[int, int, str]] = []  # (first, last, mode) of every ranged GET on s3
        self.tokens_on_s3 = 0
        self.daac = ThreadingHTTPServer(("127.0.0.1", 0), self._daac_handler())
        self.s3 = ThreadingHTTPServer(("127.0.0.1", 0), self._s3_handler())
        self.daac.daemon_threads = self.s3.daemon_threads = True
        self.daac_url = f"http://127.0.0.1:{self.daac.server_address[1]}"
        self.s3_url = f"http://127.0.0.1:{self.s3.server_address[1]}"
        self.link = f"{self.daac_url}/granule.nc"

    def __enter__(self) -> HostileDaac:
        for server in (self.daac, self.s3):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in (self.daac, self.s3):
            server.shutdown()
            server.server_close()

    def then(self, *modes: str) -> HostileDaac:
        self.script.extend(modes)
        return self

    def _daac_handler(self):
        hostile = self

        class Daac(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    return _send(self, 401, b'{"error": "no token"}', "application/json")
                if hostile.throttle_daac > 0:
                    hostile.throttle_daac -= 1
                    return _send(self, 403, CLOUDFRONT_BLOCKED, "text/html")
                hostile.signatures += 1
                self.send_response(303)
                signed = f"{hostile.s3_url}/granule.nc?X-Amz-Credential=AKIAHOSTILE&X-Amz-Signature=sig{hostile.signatures}"
                self.send_header("Location", hostile.redirect_to or signed)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Daac

    def _s3_handler(self):
        hostile = self

        class S3(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.headers.get("Authorization"):
                    hostile.tokens_on_s3 += 1
                if "X-Amz-Signature" not in dict(parse_qsl(urlsplit(self.path).query)):
                    return _send(self, 403, S3_DENIED, "application/xml")
                match = _RANGE.match(self.headers.get("Range", ""))
                mode = hostile.script.popleft() if hostile.script else "ok"
                size = len(hostile.data)
                if not match or mode == "whole":
                    return _send(self, 200, hostile.data, "application/x-netcdf")
                first, last = int(match.group(1)), min(int(match.group(2)), size - 1)
                hostile.ranges.append((first, last, mode))
                body = hostile.data[first : last + 1]
                errors = {"slowdown": (503, S3_SLOWDOWN), "internal": (500, S3_INTERNAL),
                          "expired": (403, S3_EXPIRED), "denied": (403, S3_DENIED)}  # fmt: skip
                if mode in errors:
                    return _send(self, *errors[mode], "application/xml")
                if mode == "throttle":
                    return _send(self, 403, CLOUDFRONT_BLOCKED, "text/html")
                claimed = (first, last, size)
                if mode == "short":
                    body = body[: max(len(body) // 2, 1)]
                    claimed = (first, first + len(body) - 1, size)
                elif mode == "wrong_start":
                    claimed = (first + 10, last, size)
                elif mode == "past_end":
                    claimed = (first, last + 100, size)
                elif mode == "other_size":
                    claimed = (first, last, size * 2)
                self.send_response(206)
                self.send_header("Content-Range", "bytes {}-{}/{}".format(*claimed))
                if mode == "gzip":
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                if mode == "empty":
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "cut":
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if mode in ("endless", "trickle"):
                    self.end_headers()  # no Content-Length: the body ends when the server says so
                    with contextlib.suppress(OSError):
                        if mode == "trickle":
                            for byte in body:
                                self.wfile.write(bytes([byte]))
                                self.wfile.flush()
                                time.sleep(0.2)
                        else:
                            self.wfile.write(body)
                            while True:
                                self.wfile.write(b"\xff" * 65536)
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

        return S3


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(body)
