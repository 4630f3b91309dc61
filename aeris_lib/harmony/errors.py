"""Typed failures. Messages carry Harmony's own `description` and never a token or signed URL."""

from __future__ import annotations


class HarmonyError(Exception):
    """Harmony answered with an error (after retries where retrying makes sense)."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None, fault: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.fault = fault  # a transient fault (aeris_lib.harmony.faults) a reader may recover from


class RequestValidationError(ValueError):
    """A rangeset request is invalid; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid Harmony request: " + "; ".join(problems))
        self.problems = problems


class HarmonyUnreachable(HarmonyError):
    """No answer from Harmony: connection refused or reset, DNS, a timeout (after retries)."""


class UnsafeUrl(HarmonyError):
    """A URL (redirect, `next` page, data link) whose host two parsers could read differently."""


class HarmonyBadAnswer(HarmonyError):
    """Harmony answered something that is not what the protocol says: not JSON, not a job document."""


class HarmonyAuthError(HarmonyError):
    """Harmony rejected the token (401/403) even after one refresh."""


class EarthdataLoginError(HarmonyError):
    """Earthdata Login did not issue a token (bad credentials, token limit, no credentials)."""


class HarmonyJobFailed(HarmonyError):
    """A Harmony job ended failed or canceled, or stopped in a state we were told not to accept."""

    def __init__(self, job_id: str, message: str, *, status: str = "failed"):
        super().__init__(f"Harmony job {job_id} {status}: {message}")
        self.job_id = job_id
        self.job_status = status
        self.job_message = message


class DownloadError(HarmonyError):
    """A result file could not be downloaded completely (short body, bad status, too many redirects).
    `where`: the URL that answered with the error, when it is known (kept, never shown)."""

    def __init__(self, message: str, *, where: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.where = where
