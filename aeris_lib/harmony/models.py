"""Harmony job status and submit outcomes as typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    ACCEPTED = "accepted"
    RUNNING = "running"
    RUNNING_WITH_ERRORS = "running_with_errors"
    SUCCESSFUL = "successful"
    COMPLETE_WITH_ERRORS = "complete_with_errors"
    FAILED = "failed"
    CANCELED = "canceled"
    PAUSED = "paused"
    PREVIEWING = "previewing"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def has_results(self) -> bool:
        return self in (JobStatus.SUCCESSFUL, JobStatus.COMPLETE_WITH_ERRORS)


_TERMINAL = frozenset(
    {JobStatus.SUCCESSFUL, JobStatus.COMPLETE_WITH_ERRORS, JobStatus.FAILED, JobStatus.CANCELED}
)


@dataclass(frozen=True)
class Link:
    href: str
    rel: str
    title: str = ""
    type: str = ""
    bbox: tuple[float, ...] | None = None
    temporal: dict[str, str] | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Link:
        bbox = raw.get("bbox")
        return cls(
            href=raw["href"],
            rel=raw.get("rel", ""),
            title=raw.get("title", ""),
            type=raw.get("type", ""),
            bbox=tuple(bbox) if bbox else None,
            temporal=raw.get("temporal"),
        )


@dataclass(frozen=True)
class JobError:
    url: str
    message: str


@dataclass(frozen=True)
class Job:
    """One page of `GET /jobs/<id>`; `links` holds every page's links once the client merged them."""

    job_id: str
    status: JobStatus
    progress: int
    message: str
    links: tuple[Link, ...] = ()
    errors: tuple[JobError, ...] = ()
    warnings: tuple[JobError, ...] = ()
    request: str = ""
    num_input_granules: int | None = None
    created_at: str = ""
    updated_at: str = ""
    data_expiration: str = ""

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Job:
        """Raises `ValueError` naming what is wrong when `raw` is not a Harmony job document."""
        if not isinstance(raw, dict) or "jobID" not in raw or "status" not in raw:
            raise ValueError(f"not a Harmony job document: {str(raw)[:120]!r}")
        try:
            status = JobStatus(raw["status"])
        except ValueError:
            raise ValueError(f"unknown Harmony job status {str(raw['status'])[:40]!r}") from None
        return cls(
            job_id=raw["jobID"],
            status=status,
            progress=int(raw.get("progress", 0)),
            message=raw.get("message", ""),
            links=tuple(Link.from_json(link) for link in raw.get("links", [])),
            errors=tuple(JobError(e.get("url", ""), e.get("message", "")) for e in raw.get("errors", [])),
            warnings=tuple(JobError(w.get("url", ""), w.get("message", "")) for w in raw.get("warnings", [])),
            request=raw.get("request", ""),
            num_input_granules=raw.get("numInputGranules"),
            created_at=raw.get("createdAt", ""),
            updated_at=raw.get("updatedAt", ""),
            data_expiration=raw.get("dataExpiration", ""),
        )

    def link(self, rel: str) -> Link | None:
        return next((link for link in self.links if link.rel == rel), None)

    @property
    def data_links(self) -> list[Link]:
        return [link for link in self.links if link.rel == "data"]

    def error_summary(self) -> str:
        details = "; ".join(e.message for e in self.errors[:3])
        more = f" (+{len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return f"{self.message}{': ' + details + more if details else ''}"


@dataclass(frozen=True)
class JobRef:
    """Harmony accepted the request as an asynchronous job."""

    job_id: str
    job_url: str


@dataclass(frozen=True)
class DataLink:
    """Harmony finished synchronously and redirected to the single result file."""

    url: str


@dataclass(frozen=True)
class InlineData:
    """Harmony finished synchronously and sent the bytes; `response` is an open streamed response."""

    response: Any = field(repr=False)


@dataclass(frozen=True)
class NoData:
    """No granule matches the request (night hour, or not yet published): skip, do not retry."""

    message: str


@dataclass(frozen=True)
class Download:
    path: str
    sha256: str
    size_bytes: int
    content_type: str
