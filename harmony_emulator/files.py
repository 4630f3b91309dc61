"""The two file hosts: a stand-in S3 behind pre-signed URLs (rejects any Authorization header, as S3
does), and the DAAC's protected distribution of native granules (wants the Earthdata bearer token)."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from harmony_emulator import objects
from harmony_emulator.http_base import EmulatorHandler
from harmony_emulator.state import NATIVE


class FilesHandler(EmulatorHandler):
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


class DaacHandler(EmulatorHandler):
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
