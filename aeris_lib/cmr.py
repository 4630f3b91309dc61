"""NASA CMR granule search: which granules of a collection are published for a time range.

`GET {cmr}/search/granules.umm_json?collection_concept_id=…&temporal=start,end&bounding_box=W,S,E,N`
(the temporal filter matches granules that overlap the range). Public collections need no token, so
none is ever sent here. The sync search is for tasks and scripts; the trigger parses the same JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

import requests

from aeris_lib.publication import Granule

DEFAULT_CMR_URL = "https://cmr.earthdata.nasa.gov"
PAGE_SIZE = 100


class CmrError(RuntimeError):
    """CMR answered with an error or something that is not a granule search result."""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def granule_search_url(
    cmr_url: str, collection_id: str, start: datetime, end: datetime, bbox: Sequence[float] | None = None
) -> str:
    params = [
        ("collection_concept_id", collection_id),
        ("temporal", f"{_iso(start)},{_iso(end)}"),
        ("sort_key", "start_date"),
        ("page_size", str(PAGE_SIZE)),
    ]
    if bbox is not None:
        params.append(("bounding_box", ",".join(f"{v:g}" for v in bbox)))
    return f"{cmr_url.rstrip('/')}/search/granules.umm_json?{urlencode(params)}"


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_granules(body: object) -> list[Granule]:
    """Granules of a `granules.umm_json` answer, sorted by start."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise CmrError(f"CMR answered something that is not a umm_json granule search: {str(body)[:200]}")
    granules = []
    for item in body["items"]:
        try:
            umm, meta = item["umm"], item.get("meta", {})
            extent = umm["TemporalExtent"]["RangeDateTime"]
            granules.append(
                Granule(
                    umm["GranuleUR"],
                    _time(extent["BeginningDateTime"]),
                    _time(extent["EndingDateTime"]),
                    meta.get("concept-id", ""),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CmrError(
                f"CMR granule without name or temporal extent ({error!r}): {str(item)[:200]}"
            ) from None
    return sorted(granules, key=lambda g: g.start)


def search_granules(session: requests.Session, url: str, *, timeout: float = 60.0) -> list[Granule]:
    """GET a granule search URL (see `granule_search_url`); retries are the session's (urllib3 Retry)."""
    try:
        response = session.get(url, timeout=timeout)
    except requests.RequestException as error:
        raise CmrError(f"CMR unreachable: {type(error).__name__}: {error}") from None
    if response.status_code >= 400:
        raise CmrError(f"CMR granule search answered HTTP {response.status_code}: {response.text[:300]}")
    try:
        return parse_granules(response.json())
    except ValueError:
        raise CmrError(f"CMR answered non-JSON: {response.text[:200]}") from None
