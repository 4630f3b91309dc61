"""The rangeset request: a validated value object and the OGC API Coverages URL built from it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from aeris_lib.harmony.capabilities import NETCDF_FORMATS, TIFF_FORMATS
from aeris_lib.harmony.errors import RequestValidationError

OGC_PATH = "ogc-api-coverages/1.0.0/collections/{variables}/coverage/rangeset"
# Characters left readable in query values: the OGC subset syntax, ISO times and media types.
_QUERY_SAFE = "():,/-.+"


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    def problems(self) -> list[str]:
        found = []
        for name, value, limit in (
            ("west", self.west, 180),
            ("east", self.east, 180),
            ("south", self.south, 90),
            ("north", self.north, 90),
        ):
            if not isinstance(value, int | float) or not math.isfinite(value):
                found.append(f"bbox.{name} must be a finite number, got {value!r}")
            elif not -limit <= value <= limit:
                found.append(f"bbox.{name} must be within [-{limit}, {limit}], got {value}")
        if not found and self.south > self.north:
            found.append(f"bbox.south ({self.south}) must not exceed bbox.north ({self.north})")
        if not found and self.west == self.east:
            found.append("bbox.west and bbox.east are equal: the box has no width")
        return found


@dataclass(frozen=True)
class RangesetRequest:
    """One Harmony rangeset request. Construction validates and reports every problem at once.

    `west > east` is allowed (a box across the antimeridian), as Harmony allows it. `format=None`
    asks for no reformatting: with variable `all`, Harmony lists the native granules.
    """

    collection_id: str
    variables: tuple[str, ...]
    bbox: BBox
    start: datetime
    end: datetime
    format: str | None = "image/tiff"
    granule_id: str | None = None
    max_results: int | None = None
    force_async: bool = False
    skip_preview: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.collection_id or not self.collection_id.strip():
            problems.append("collection_id must not be empty")
        if isinstance(self.variables, str):
            problems.append("variables must be a sequence of names, not one string")
        elif not self.variables or any(not v for v in self.variables):
            problems.append("variables must name at least one variable")
        elif "all" in self.variables and len(self.variables) > 1:
            problems.append("variable 'all' cannot be combined with other variables")
        problems += self.bbox.problems()
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                problems.append(f"{name} must be a datetime, got {type(value).__name__}")
            elif value.tzinfo is None or value.utcoffset() is None:
                problems.append(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
        if not problems and self.start >= self.end:
            problems.append(f"start ({_iso(self.start)}) must be before end ({_iso(self.end)})")
        if self.format is not None and self.format not in (*TIFF_FORMATS, *NETCDF_FORMATS):
            known = ", ".join((*TIFF_FORMATS, *NETCDF_FORMATS))
            problems.append(f"format must be one of {known} or None, got {self.format!r}")
        if self.max_results is not None and (not isinstance(self.max_results, int) or self.max_results < 1):
            problems.append(f"max_results must be a positive integer, got {self.max_results!r}")
        if problems:
            raise RequestValidationError(problems)

    def url(self, base_url: str) -> str:
        """The rangeset URL: `{base}/{collection}/ogc-api-coverages/1.0.0/collections/{variable}/...`."""
        path = OGC_PATH.format(variables=quote(",".join(self.variables), safe=","))
        b = self.bbox
        params = [
            ("subset", f"lon({_num(b.west)}:{_num(b.east)})"),
            ("subset", f"lat({_num(b.south)}:{_num(b.north)})"),
            ("subset", f'time("{_iso(self.start)}":"{_iso(self.end)}")'),
        ]
        if self.format:
            params.append(("format", self.format))
        if self.granule_id:
            params.append(("granuleId", self.granule_id))
        if self.max_results is not None:
            params.append(("maxResults", str(self.max_results)))
        if self.force_async:
            params.append(("forceAsync", "true"))
        if self.skip_preview:
            params.append(("skipPreview", "true"))
        params.extend(self.extra)
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe=_QUERY_SAFE)}" for k, v in params)
        return f"{base_url.rstrip('/')}/{quote(self.collection_id, safe='')}/{path}?{query}"


def _num(value: float) -> str:
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
