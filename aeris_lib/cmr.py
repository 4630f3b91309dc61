"""NASA CMR: which collection a product name is, and which of its granules are published.

- Collection search: `GET {cmr}/search/collections.json?short_name=…&version=…&provider=LARC_CLOUD`
  → `feed.entry[].id` is the concept id (`resolve_collection`). Without `version` CMR lists every
  version of the short name, in no guaranteed order (`collection_versions`, `newest`).
- Granule search: `GET {cmr}/search/granules.umm_json?collection_concept_id=…&temporal=start,end
  &bounding_box=W,S,E,N` (the temporal filter matches granules that overlap the range).
Public collections need no token, so none is ever sent here. The sync searches are for tasks and
scripts (retries by urllib3); `search_granules_async` is the triggerer's, where a transient answer is
`CmrUnavailable` and the trigger's poll interval is the retry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

import requests

from aeris_lib import defaults
from aeris_lib.publication import Granule

DEFAULT_CMR_URL = defaults.CMR_URL
PAGE_SIZE = 100
MAX_PAGE_SIZE, MAX_PAGES = 2000, 20  # CMR's largest page; 40,000 granules is ~7 years of one product
TEMPO_PROVIDER = "LARC_CLOUD"


class CmrError(RuntimeError):
    """CMR answered with an error or something that is not a search result."""


class CmrUnavailable(CmrError):
    """CMR did not answer, or answered 429/5xx: worth asking again later."""


TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class UnknownCollection(CmrError):
    """CMR has no collection by that short name and version (from that provider)."""


def collection_search_url(
    cmr_url: str, short_name: str, version: str | None, provider: str = TEMPO_PROVIDER
) -> str:
    """The collection search for a product name; `version` None asks for every version."""
    params = [
        ("short_name", short_name),
        *([("version", version)] if version else []),
        ("provider", provider),
    ]
    return f"{cmr_url.rstrip('/')}/search/collections.json?{urlencode(params)}"


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a product version: "V04" > "V03" > "V2" (numbers compared, not text); a version
    without digits sorts first."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def newest(versions: dict[str, str]) -> tuple[str, str]:
    """(version, concept id) of the highest version in `{version: concept id}`."""
    if not versions:
        raise ValueError("no versions to choose from")
    version = max(versions, key=lambda v: (version_key(v), v))
    return version, versions[version]


def collection_versions(
    session: requests.Session, cmr_url: str, short_name: str, provider: str = TEMPO_PROVIDER,
    *, timeout: float = 60.0,
) -> dict[str, str]:  # fmt: skip
    """{version: concept id} of every collection CMR has under the short name (from the provider)."""
    url = collection_search_url(cmr_url, short_name, None, provider)
    body = _get_json(session, url, "collection search", timeout)
    ids = parse_collection_ids(body)
    versions: dict[str, str] = {}
    for entry, concept_id in zip(body["feed"]["entry"], ids, strict=True):  # type: ignore[index]
        version = entry.get("version_id")
        if entry.get("short_name", short_name) != short_name:
            continue  # CMR's short_name match is exact, but an answer naming another product is not ours
        if not isinstance(version, str) or not version:
            raise CmrError(f"CMR collection {concept_id} without a version_id: {str(entry)[:200]}")
        if version in versions and versions[version] != concept_id:
            raise CmrError(f"CMR has two collections named {short_name} {version}: {versions[version]}, "
                           f"{concept_id}: set collection_id in the gas catalog")  # fmt: skip
        versions[version] = concept_id
    return versions


def resolve_latest(
    session: requests.Session, cmr_url: str, short_name: str, provider: str = TEMPO_PROVIDER,
    *, timeout: float = 60.0,
) -> tuple[str, str]:  # fmt: skip
    """(version, concept id) of the newest version CMR has of the short name."""
    versions = collection_versions(session, cmr_url, short_name, provider, timeout=timeout)
    if not versions:
        raise UnknownCollection(
            f"CMR has no collection short_name={short_name} (any version) from provider {provider}:"
            " check the gas catalog's names"
        )
    return newest(versions)


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
    return parse_answer(response.status_code, response.text, what)


def parse_answer(status: int, text: str, what: str) -> object:
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
    cmr_url: str, collection_id: str, start: datetime, end: datetime, bbox: Sequence[float] | None = None,
    *, page_size: int = PAGE_SIZE, page_num: int = 1,
) -> str:  # fmt: skip
    params = [
        ("collection_concept_id", collection_id),
        ("temporal", f"{_iso(start)},{_iso(end)}"),
        ("sort_key", "start_date"),
        ("page_size", str(page_size)),
        *([("page_num", str(page_num))] if page_num > 1 else []),
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
                    int(meta.get("revision-id") or 0),
                    _size_bytes(umm),
                    _time(meta["revision-date"]) if meta.get("revision-date") else None,
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CmrError(
                f"CMR granule without name or temporal extent ({error!r}): {str(item)[:200]}"
            ) from None
    return sorted(granules, key=lambda g: g.start)


_UNIT_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _size_bytes(umm: dict) -> int:
    """The granule file's size from UMM-G (`SizeInBytes`, else `Size` in `SizeUnit`); 0 when not listed."""
    for info in (umm.get("DataGranule") or {}).get("ArchiveAndDistributionInformation") or []:
        if not isinstance(info, dict):
            continue
        if isinstance(info.get("SizeInBytes"), int) and info["SizeInBytes"] > 0:
            return info["SizeInBytes"]
        unit = _UNIT_BYTES.get(str(info.get("SizeUnit", "")).upper())
        if unit and isinstance(info.get("Size"), (int, float)) and info["Size"] > 0:
            return int(info["Size"] * unit)
    return 0


def search_granules(session: requests.Session, url: str, *, timeout: float = 60.0) -> list[Granule]:
    """GET a granule search URL (see `granule_search_url`); retries are the session's (urllib3 Retry)."""
    return parse_granules(_get_json(session, url, "granule search", timeout))


def search_granules_between(
    session: requests.Session, cmr_url: str, collection_id: str, start: datetime, end: datetime,
    bbox: Sequence[float] | None = None, *, page_size: int = MAX_PAGE_SIZE, max_pages: int = MAX_PAGES,
) -> list[Granule]:  # fmt: skip
    """Every granule overlapping [start, end), page after page (days of TEMPO: ~15 granules a day)."""
    found: list[Granule] = []
    for page in range(1, max_pages + 1):
        url = granule_search_url(cmr_url, collection_id, start, end, bbox, page_size=page_size, page_num=page)
        batch = search_granules(session, url)
        found += batch
        if len(batch) < page_size:
            return sorted(found, key=lambda g: g.start)
    raise CmrError(f"CMR lists more than {max_pages * page_size} granules of {collection_id} from "
                   f"{_iso(start)} to {_iso(end)}: ask for a shorter time")  # fmt: skip


async def search_granules_async(url: str, *, timeout: float = 60.0) -> list[Granule]:
    """The async twin of `search_granules`, without retries: the caller polls."""
    import aiohttp  # only the triggerer runs this: not on every task's import of the module

    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), trust_env=False) as session,
            session.get(url) as response,
        ):
            status, text = response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise CmrUnavailable(f"CMR unreachable: {type(error).__name__}: {error}") from None
    return parse_granules(parse_answer(status, text, "granule search"))
