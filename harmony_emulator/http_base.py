"""What every emulated host's request handler shares: JSON and error answers, redirects, pre-signed
links, bodies; and the parsing helpers its protocols share (forms, times)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import socket
import struct
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from harmony_emulator.state import EmulatorState

if TYPE_CHECKING:
    from harmony_emulator.server import HarmonyEmulator

log = logging.getLogger("aeris.emulator")


class EmulatorHandler(BaseHTTPRequestHandler):
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

    def send_body(self, status: int, body: bytes, media_type: str) -> None:
        """`body` as sent: a file, or an error answer as the real service words it (S3's XML,
        CloudFront's HTML page)."""
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_file_bytes(self, data: bytes, media_type: str = "image/tiff") -> None:
        self.send_body(200, data, media_type)


def form_fields(headers, body: bytes) -> list[tuple[str, str]]:
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


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
