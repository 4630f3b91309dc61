"""Earthdata Login as the emulator models it: bearer tokens (`/api/users/...`), their check on every
Harmony request, and the sign-in page a protected DAAC sends a request without a token to."""

from __future__ import annotations

import base64

from harmony_emulator.http_base import EmulatorHandler
from harmony_emulator.state import (
    EMULATOR_PASSWORD,
    EMULATOR_USER,
    MAX_TOKENS,
)


class EarthdataLogin(EmulatorHandler):
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

    def login_page(self) -> None:
        """Earthdata Login's sign-in page: where a protected DAAC sends a request without a token."""
        page = b"<!DOCTYPE html><html><head><title>Earthdata Login</title></head><body>Sign in</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)
