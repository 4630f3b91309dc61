"""Products by name: the catalog's short names and versions resolve to concept ids through CMR's
collection search (the emulator's, over real HTTP), cached in PostGIS; unknown names fail by name."""

from __future__ import annotations

import psycopg
import pytest

from aeris_lib.cmr import (
    CmrError,
    UnknownCollection,
    collection_search_url,
    collection_versions,
    newest,
    version_key,
)
from aeris_lib.db.collections import resolve_cached
from aeris_lib.db.migrate import apply_migrations
from aeris_lib.gases import DEFAULT_CATALOG
from aeris_lib.harmony.http import build_session
from harmony_emulator.scans import PRODUCTS

DAY = 24 * 3600


@pytest.fixture
def collections_db(database_url):
    conn = psycopg.connect(database_url)
    apply_migrations(conn)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM cmr_collection")
    conn.commit()
    yield conn
    conn.close()


def _collection_searches(fresh_emulator) -> int:
    return fresh_emulator.state.stats["cmr_collection_requests"]


@pytest.mark.parametrize(
    ("gas", "line"), [("NO2", "nrt"), ("NO2", "standard"), ("CH2O", "nrt"), ("O3", "standard")]
)
def test_every_default_product_name_resolves_through_cmr(fresh_emulator, collections_db, gas, line):
    short_name, version, explicit = DEFAULT_CATALOG[gas].product_name(line)
    assert not explicit  # by name, not by a hard-coded id
    resolved = resolve_cached(
        collections_db, build_session(), fresh_emulator.base_url, short_name, version, ttl_s=DAY
    )
    product = PRODUCTS[resolved.concept_id]
    assert (product.short_name, product.line) == (short_name, line)
    # `latest` (every standard product) is V04, TEMPO's current standard version; NRT is pinned at V02.
    assert product.version == resolved.version == ("V04" if line == "standard" else "V02")


def test_latest_is_the_highest_version_number_whatever_cmrs_order():
    assert newest({"V03": "C3", "V10": "C10", "V04": "C4"}) == ("V10", "C10")  # not "V04" > "V10" as text
    assert version_key("V04") > version_key("V03") > version_key("V2") and version_key("") == ()


def test_latest_is_resolved_through_a_search_without_version_and_cached_with_what_it_resolved_to(
    fresh_emulator, collections_db
):
    session = build_session()
    first = resolve_cached(
        collections_db, session, fresh_emulator.base_url, "TEMPO_O3TOT_L3", "latest", ttl_s=DAY
    )
    assert (first.concept_id, first.version) == ("C3685896625-LARC_CLOUD", "V04")
    assert collection_versions(session, fresh_emulator.base_url, "TEMPO_O3TOT_L3") == {
        "V03": "C2930764281-LARC_CLOUD", "V04": "C3685896625-LARC_CLOUD"}  # fmt: skip
    searches = _collection_searches(fresh_emulator)
    again = resolve_cached(
        collections_db, session, fresh_emulator.base_url, "TEMPO_O3TOT_L3", "latest", ttl_s=DAY
    )
    assert (again.concept_id, again.version) == (first.concept_id, "V04") and again.source.startswith(
        "cached"
    )
    assert _collection_searches(fresh_emulator) == searches
    pinned = resolve_cached(
        collections_db, session, fresh_emulator.base_url, "TEMPO_O3TOT_L3", "V03", ttl_s=DAY
    )
    assert (pinned.concept_id, pinned.version) == ("C2930764281-LARC_CLOUD", "V03")  # a pin wins


def test_the_second_resolution_comes_from_the_cache_until_the_ttl(fresh_emulator, collections_db):
    session = build_session()
    first = resolve_cached(
        collections_db, session, fresh_emulator.base_url, "TEMPO_NO2_L3_NRT", "V02", ttl_s=DAY
    )
    assert (first.concept_id, first.source) == ("C3685668637-LARC_CLOUD", "CMR") and _collection_searches(
        fresh_emulator
    ) == 1
    second = resolve_cached(
        collections_db, session, fresh_emulator.base_url, "TEMPO_NO2_L3_NRT", "V02", ttl_s=DAY
    )
    assert second.concept_id == first.concept_id and second.source.startswith("cached")
    assert _collection_searches(fresh_emulator) == 1
    third = resolve_cached(
        collections_db, session, fresh_emulator.base_url, "TEMPO_NO2_L3_NRT", "V02", ttl_s=0
    )  # expired
    assert third == first and _collection_searches(fresh_emulator) == 2


def test_a_cached_name_survives_cmr_being_down(fresh_emulator, collections_db):
    session = build_session(retries=0)
    resolve_cached(collections_db, session, fresh_emulator.base_url, "TEMPO_HCHO_L3", "V03", ttl_s=DAY)
    cached = resolve_cached(collections_db, session, "http://127.0.0.1:9", "TEMPO_HCHO_L3", "V03", ttl_s=0)
    assert cached.concept_id == "C2930761273-LARC_CLOUD" and "CMR did not answer" in cached.source
    with pytest.raises(CmrError, match="CMR unreachable"):
        resolve_cached(
            collections_db, session, "http://127.0.0.1:9", "TEMPO_O3TOT_L3", "V03", ttl_s=DAY
        )  # never cached


@pytest.mark.parametrize(
    ("short_name", "version"), [("TEMPO_NO3_L3_NRT", "V02"), ("TEMPO_NO2_L3_NRT", "V09")]
)
def test_an_unknown_name_is_an_error_naming_it(fresh_emulator, collections_db, short_name, version):
    with pytest.raises(
        UnknownCollection, match=f"short_name={short_name} version={version} from provider LARC_CLOUD"
    ):
        resolve_cached(
            collections_db, build_session(), fresh_emulator.base_url, short_name, version, ttl_s=DAY
        )
    with collections_db.cursor() as cur:
        cur.execute("SELECT count(*) FROM cmr_collection")
        assert cur.fetchone() == (0,)  # nothing cached for a name CMR does not know


def test_the_collection_search_url_is_cmrs():
    url = collection_search_url("https://cmr.earthdata.nasa.gov/", "TEMPO_NO2_L3_NRT", "V02")
    assert url == (
        "https://cmr.earthdata.nasa.gov/search/collections.json?short_name=TEMPO_NO2_L3_NRT&version=V02&provider=LARC_CLOUD"
    )
