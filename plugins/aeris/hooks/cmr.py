"""CmrHook: NASA's Common Metadata Repository, where TEMPO granules are listed once published.

CMR's granule search is public: no connection and no token. The base URL is `EARTHDATA_CMR_URL`
(default https://cmr.earthdata.nasa.gov; the local stack points it at the Harmony emulator).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

import requests
from airflow.sdk import BaseHook

from aeris_lib import config
from aeris_lib.cmr import (
    collection_versions,
    granule_search_url,
    search_granules,
    search_granules_async,
    search_granules_between,
)
from aeris_lib.harmony.http import build_session
from aeris_lib.publication import Granule


def cmr_base_url() -> str:
    """EARTHDATA_CMR_URL, else NASA's CMR."""
    return config.Earthdata.from_env().cmr_url


class CmrHook(BaseHook):
    """Granule and collection searches against CMR; sync GETs retry transient failures (urllib3 Retry).

    :param base_url: CMR's base URL (default `EARTHDATA_CMR_URL`, else NASA's).
    """

    hook_name = "NASA CMR"

    def __init__(self, base_url: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = (base_url or cmr_base_url()).rstrip("/")

    @cached_property
    def session(self) -> requests.Session:
        return build_session(retries=3)

    def get_conn(self) -> requests.Session:
        return self.session

    def search_url(self, collection_id: str, start: datetime, end: datetime, bbox: Sequence[float]) -> str:
        return granule_search_url(self.base_url, collection_id, start, end, bbox)

    def granules(
        self, collection_id: str, start: datetime, end: datetime, bbox: Sequence[float]
    ) -> list[Granule]:
        """Published granules of the collection overlapping [start, end) over the bbox."""
        return search_granules(self.session, self.search_url(collection_id, start, end, bbox))

    def granules_between(
        self, collection_id: str, start: datetime, end: datetime, bbox: Sequence[float]
    ) -> list[Granule]:
        """Every published granule of the collection overlapping [start, end), across CMR's pages."""
        return search_granules_between(self.session, self.base_url, collection_id, start, end, bbox)

    def versions(self, short_name: str) -> dict[str, str]:
        """{version: concept id} of every collection CMR has under the short name."""
        return collection_versions(self.session, self.base_url, short_name)

    async def agranules(
        self, collection_id: str, start: datetime, end: datetime, bbox: Sequence[float]
    ) -> list[Granule]:
        """`granules` for the triggerer: one try; `CmrUnavailable` when CMR is down or busy."""
        return await search_granules_async(self.search_url(collection_id, start, end, bbox))
