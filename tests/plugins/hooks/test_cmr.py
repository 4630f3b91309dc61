"""aeris.hooks.cmr: CmrHook searches the configured CMR (the test's own emulator here) over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aeris.hooks.cmr import CmrHook, cmr_base_url

from aeris_lib.cmr import CmrUnavailable
from harmony_emulator.scans import PRODUCTS
from tests.support.cmr import BBOX, HOUR_GRANULES, NO2, H

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_the_base_url_is_earthdata_cmr_url_else_nasas(monkeypatch):
    monkeypatch.delenv("EARTHDATA_CMR_URL", raising=False)
    assert cmr_base_url() == "https://cmr.earthdata.nasa.gov" and CmrHook().base_url == cmr_base_url()
    monkeypatch.setenv("EARTHDATA_CMR_URL", "http://cmr.local:8080/")
    assert CmrHook().base_url == "http://cmr.local:8080"
    assert CmrHook("https://cmr.uat.earthdata.nasa.gov/").base_url == "https://cmr.uat.earthdata.nasa.gov"


def test_granules_of_an_hour_sync_and_async_agree(fresh_emulator):
    hook = CmrHook(fresh_emulator.base_url)
    listed = hook.granules(NO2, H, H + timedelta(hours=1), BBOX)
    assert [g.name for g in listed] == HOUR_GRANULES
    assert [
        g.name for g in asyncio.run(hook.agranules(NO2, H, H + timedelta(hours=1), BBOX))
    ] == HOUR_GRANULES
    day = hook.granules_between(NO2, H - timedelta(hours=6), H + timedelta(hours=6), BBOX)
    assert set(HOUR_GRANULES) <= {g.name for g in day} and len(day) > len(listed)


def test_versions_of_a_short_name(fresh_emulator):
    versions = CmrHook(fresh_emulator.base_url).versions("TEMPO_NO2_L3")
    expected = {p.version: cid for cid, p in PRODUCTS.items() if p.short_name == "TEMPO_NO2_L3"}
    assert versions == expected and {"V03", "V04"} <= set(versions)


def test_the_triggerers_search_says_when_cmr_is_down():
    hook = CmrHook("http://127.0.0.1:9")
    with pytest.raises(CmrUnavailable):
        asyncio.run(hook.agranules(NO2, H, H + timedelta(hours=1), BBOX))
