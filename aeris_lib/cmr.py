"""NASA CMR: which collection a product name is, and which of its granules are published.

- Collection search: `GET {cmr}/search/collections.json?short_name=…&version=…&provider=LARC_CLOUD`
  → `feed.entry[].id` is the concept id (`resolve_collection`).
- Granule search: `GET {cmr}/search/granules.umm_json?collection_concept_id=…&temporal=start,end
  &bounding_box=W,S,E,N` (the temporal filter matches granules that overlap the range).
Public collections need no token, so none is ever sent here. The sync searches are for tasks and
scripts (retries by urllib3); `search_granules_async` is the triggerer's, where a transient answer is
`CmrUnavailable` and the trigger's poll interval is the retry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp
import requests

from aeris_lib import defaults
from aeris_lib.publication import Granule

DEFAULT_CMR_URL = defaults.CMR_URL
PAGE_SIZE = 100
TEMPO_PROVIDER = "LARC_CLOUD"


class CmrError(RuntimeError):
    """CMR answered with an error or something that is not a search result."""


class CmrUnavailable(CmrError):
    """CMR did not answer, or answered 429/5xx: worth asking again later."""


TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class UnknownCollection(CmrError):
    """CMR has no collection by that short name and version (from that provider)."""


def collection_search_url(cmr_url: str, short_name: str, version: str, provider: str = TEMPO_PROVIDER) -> str:
    params = [("short_name", short_name), ("version", version), ("provider", provider)]
    return f"{cmr_url.rstrip('/')}/search/collections.json?{urlencode(params)}"


def parse_collection_ids(body: object) -> list[str]:
    """Concept ids of a `collections.json` answer."""
    try:
        entries = body["feed"]["entry"]  # type: ignore[index]
        ids = [entry["id"] for entry in entries]
    except (KeyError, TypeError):
        raise CmrError(f"CMR answered something that is not a collection search: {str(body)[:200]}") from None
    if not all(isinstance(i, str) and i for i in ids):
        raise CmrError(f"CMR collection without a concept id: {str(body)[:200]}")
    return ids


def resolve_collection(
    session: requests.Session, cmr_url: str, short_name: str, version: str, provider: str = TEMPO_PROVIDER,
    *, timeout: float = 60.0,
) -> str:  # fmt: skip
    """The concept id of the collection named (short_name, version, provider); `UnknownCollection` when
    CMR has none, `CmrError` when it has several or cannot answer."""
    url = collection_search_url(cmr_url, short_name, version, provider)
    body = _get_json(session, url, "collection search", timeout)
    ids = parse_collection_ids(body)
    if not ids:
        raise UnknownCollection(
            f"CMR has no collection short_name={short_name} version={version} from provider {provider}"
            f" ({url}): check the gas catalog's names"
        )
    if len(ids) > 1:
        raise CmrError(f"CMR has {len(ids)} collections named {short_name} {version} ({', '.join(ids)}): "
                       "set collection_id in the gas catalog")  # fmt: skip
    return ids[0]


def _get_json(session: requests.Session, url: str, what: str, timeout: float) -> object:
    try:
        response = session.get(url, timeout=timeout)
    except requests.RequestException as error:
        raise CmrUnavailable(f"CMR unreachable: {type(error).__name__}: {error}") from None
    return _answer(response.status_code, response.text, what)


def _answer(status: int, text: str, what: str) -> object:
    """The JSON of a CMR answer; `CmrUnavailable` for a transient status, `CmrError` for any other error."""
    if status in TRANSIENT_STATUSES:
        raise CmrUnavailable(f"CMR {what} answered HTTP {status} (transient)")
    if status >= 400:
        raise CmrError(f"CMR {what} answered HTTP {status}: {text[:300]}")
    try:
        return json.loads(text)
    except ValueError:
        raise CmrError(f"CMR answered non-JSON: {text[:200]}") from None


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
    return parse_granules(_get_json(session, url, "granule search", timeout))


async def search_granules_async(url: str, *, timeout: float = 60.0) -> list[Granule]:
    """The async twin of `search_granules`, without retries: the caller polls."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), trust_env=False) as session,
            session.get(url) as response,
        ):
            status, text = response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise CmrUnavailable(f"CMR unreachable: {type(error).__name__}: {error}") from None
    return parse_granules(_answer(status, text, "granule search"))
